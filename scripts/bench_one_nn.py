"""How much does the 1-NN two-sample accuracy move with the subsample it is scored on?

Usage: python scripts/bench_one_nn.py [--protocol de-random] → scripts/results/one_nn_noise.json

On the validation days of a ``bench_quality.py`` protocol (a quarter of its training days;
test days never read): 2,000 curves from the Gaussian copula (three draws), the bootstrap of
training days and the default ``tsgan train`` (seed 0, three noise draws), each scored
against the validation days over 40 subsample seeds, two ways: on one subsample of the
size of the validation days (``tsgan.evaluation`` before 2026-11-30) and as the mean over
disjoint parts that use every curve (``one_nn_accuracy`` now). The spread over the seeds is
the estimator's noise alone: the curves are the same.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras
import numpy as np
from _common import RESULTS
from bench_quality import PROTOCOLS, split

from tsgan.evaluation.baselines import bootstrap, gaussian_copula
from tsgan.evaluation.metrics import one_nn_accuracy
from tsgan.settings import TrainConfig
from tsgan.train import train

N, SEEDS = 2000, range(40)


def spread(X: np.ndarray, Y: np.ndarray) -> dict:
    """1-NN accuracy over the subsample seeds: one part of len(Y) curves, and every part."""
    one = [
        one_nn_accuracy(X[np.random.default_rng(s).permutation(len(X))[: len(Y)]], Y) for s in SEEDS
    ]
    every = [one_nn_accuracy(X, Y, seed=s) for s in SEEDS]
    return {
        "one_part": {
            "first": round(one[0], 4),
            "mean": round(float(np.mean(one)), 4),
            "sd": round(float(np.std(one)), 4),
        },
        "every_part": {
            "mean": round(float(np.mean(every)), 4),
            "sd": round(float(np.std(every)), 4),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--protocol", default="de-random", choices=sorted(PROTOCOLS))
    args = parser.parse_args()
    train_days, valid = split(PROTOCOLS[args.protocol], validate=True)
    T, Y = train_days.to_numpy(), valid.to_numpy()
    samples = {
        f"gaussian_copula draw {g}": gaussian_copula(T)(N, np.random.default_rng(g))
        for g in range(3)
    }
    samples["bootstrap"] = bootstrap(T)(N, np.random.default_rng(0))
    with tempfile.TemporaryDirectory() as tmp:
        source = str(PROTOCOLS[args.protocol]["source"])
        config = TrainConfig.from_values(
            {"sources": (source,), "out": f"{tmp}/run", "seed": 0, "gif": False}
        )
        train(config, progress=None, days=train_days.index)
        gan = keras.models.load_model(f"{tmp}/run/model.keras")
    samples |= {
        f"tsgan seed 0, draw {g}": gan.generate(N, seed=g, as_frame=False) for g in range(3)
    }
    rows = {}
    for name, X in samples.items():
        rows[name] = spread(X, Y)
        one, every = rows[name]["one_part"], rows[name]["every_part"]
        print(
            f"{name:26s} one part: {one['first']:.3f} (mean {one['mean']:.3f}, sd {one['sd']:.4f})"
            f"  every part: {every['mean']:.3f} (sd {every['sd']:.4f})",
            flush=True,
        )
    out = RESULTS / "one_nn_noise.json"
    result = {
        "protocol": args.protocol,
        "validation_days": len(Y),
        "curves": N,
        "subsample_seeds": len(SEEDS),
        "scores": rows,
    }
    out.write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
