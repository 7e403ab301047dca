"""Compare PriceGAN settings on real DE-LU days; how the defaults were chosen.

Each setting trains on a random 796 of the 1,096 days 2023-01-01..2025-12-31 and is scored
on the other 300 by ΔES (half the energy distance, EUR/MWh), the mean-profile RMSE, the
average per-hour sd and the hour-to-hour roughness, real against generated.

Usage: python scripts/tune_defaults.py [--epochs 400]  → scripts/results/tune_defaults.json
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras
import numpy as np

import tsgan
from tsgan.evaluation import delta_energy_score

ROOT = Path(__file__).resolve().parents[1]
SETTINGS = {
    "bce, pac 2, dropout 0.2, lr 2e-4/2e-4": (
        {"loss": "bce", "pac": 2, "dropout": 0.2, "d_steps": 1},
        (2e-4, 2e-4),
    ),
    "bce, pac 2, dropout 0.2, lr D 1e-4 / G 3e-4": (
        {"loss": "bce", "pac": 2, "dropout": 0.2, "d_steps": 1},
        (1e-4, 3e-4),
    ),
    "wgan-gp, d_steps 1, pac 1": (
        {"loss": "wgan-gp", "d_steps": 1, "pac": 1, "dropout": 0.0},
        (2e-4, 2e-4),
    ),
    "wgan-gp, d_steps 2, pac 1 (default)": ({}, (2e-4, 2e-4)),
    "wgan-gp, d_steps 2, pac 2": (
        {"loss": "wgan-gp", "d_steps": 2, "pac": 2, "dropout": 0.0},
        (2e-4, 2e-4),
    ),
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=400)
    args = parser.parse_args()
    prices = tsgan.load_prices(ROOT.parent / "shared" / "data" / "energy_charts_de_lu")
    curves = tsgan.daily_curves(prices).loc["2023-01-01":"2025-12-31"].to_numpy()
    rng = np.random.default_rng(0)
    order = rng.permutation(len(curves))
    test, train = curves[order[:300]], curves[order[300:]]
    boot = train[rng.integers(0, len(train), 1000)]
    rough = lambda a: float(np.abs(np.diff(a, axis=1)).mean())  # noqa: E731
    results = {
        "reference: bootstrap of training days": {"delta_es": delta_energy_score(boot, test)}
    }
    for name, (kwargs, (lr_d, lr_g)) in SETTINGS.items():
        keras.utils.set_random_seed(0)
        gan = tsgan.PriceGAN(seed=0, **kwargs)
        gan.compile(
            d_optimizer=keras.optimizers.Adam(lr_d, beta_1=0.5),
            g_optimizer=keras.optimizers.Adam(lr_g, beta_1=0.5),
        )
        start = time.perf_counter()
        gan.fit(train, epochs=args.epochs, batch_size=64, verbose=0)
        generated = gan.generate(1000, seed=0, as_frame=False)
        results[name] = {
            "train_s": round(time.perf_counter() - start, 1),
            "delta_es": round(delta_energy_score(generated, test), 3),
            "mean_profile_rmse": round(
                float(np.sqrt(((generated.mean(0) - test.mean(0)) ** 2).mean())), 2
            ),
            "sd_generated": round(float(generated.std(0).mean()), 1),
            "sd_real": round(float(test.std(0).mean()), 1),
            "roughness_generated": round(rough(generated), 1),
            "roughness_real": round(rough(test), 1),
        }
        print(name, results[name], flush=True)
    out = ROOT / "scripts" / "results" / "tune_defaults.json"
    out.write_text(json.dumps({"epochs": args.epochs, "results": results}, indent=2) + "\n")


if __name__ == "__main__":
    main()
