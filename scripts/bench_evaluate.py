"""How long does scoring take? 2,000 generated curves against 365 real test days.

Usage: python scripts/bench_evaluate.py  → scripts/results/bench_evaluate.json
The "generated" curves here come from the Gaussian-copula baseline, so no model is needed.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

import tsgan
from tsgan import evaluation as ev

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    curves = tsgan.daily_curves(
        tsgan.load_prices(ROOT.parent / "shared" / "data" / "energy_charts_de_lu")
    )
    train, test = curves.loc["2023-01-01":"2024-12-31"], curves.loc["2025-01-01":"2025-12-31"]
    sampler = ev.gaussian_copula(train.to_numpy())
    rng = np.random.default_rng(0)
    X = sampler(2000, rng)
    t0 = time.perf_counter()
    scores = ev.score(X, test.to_numpy(), train.to_numpy())
    t1 = time.perf_counter()
    results = ev.evaluate_generator(
        lambda m, s: sampler(m, np.random.default_rng(s)), test, train, n=2000, splits=20
    )
    t2 = time.perf_counter()
    out = {
        "n_generated": 2000,
        "n_test_days": len(test),
        "n_train_days": len(train),
        "score_s": round(t1 - t0, 2),
        "full_protocol_s (model + 4 baselines at 2000, 20 matched splits)": round(t2 - t1, 2),
        "scores": {k: round(v, 4) for k, v in scores.items()},
        "floor_delta_es": results["matched"]["floor"]["delta_es"],
    }
    print(json.dumps(out, indent=2))
    path = ROOT / "scripts" / "results" / "bench_evaluate.json"
    path.write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
