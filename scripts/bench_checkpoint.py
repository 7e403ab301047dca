"""What the checkpoints of ``tsgan train`` cost: one save, and its share of training time.

Usage: python scripts/bench_checkpoint.py [--repeat 10] → scripts/results/checkpoint.json

Trains the default PriceGAN on DE-LU 2023-2024 for a few epochs, then times ``model.keras``
saves as the checkpoint does them (atomically: temporary name, then rename) together with
the ``run.json`` update, and reports the median against the default interval of 30 s.
It also times a whole ``tsgan.train.train`` run with a checkpoint after every epoch
against one with none, side by side, to show the cost when checkpoints are frequent.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
from _common import DE_LU, RESULTS, machine

from tsgan.atomic import write_atomic
from tsgan.settings import TrainConfig
from tsgan.train import CHECKPOINT_SECONDS, build_model, save_model, train, training_curves

DATA = DE_LU


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--epochs", type=int, default=150, help="epochs of the whole-run timing")
    args = parser.parse_args()
    config = TrainConfig(
        sources=(str(DATA),), out="unused", date_from="2023-01-01", date_to="2024-12-31"
    )
    curves, _ = training_curves(config)
    gan = build_model(config, curves)
    gan.fit(curves, epochs=3, batch_size=config.batch_size, verbose=0)
    saves = []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.repeat):
            start = time.perf_counter()
            save_model(gan, Path(tmp) / "model.keras")
            write_atomic(Path(tmp) / "run.json", json.dumps({"epochs_completed": 3}) + "\n")
            saves.append(time.perf_counter() - start)
        size = (Path(tmp) / "model.keras").stat().st_size
        runs: dict[str, list[float]] = {"no checkpoints": [], "a checkpoint every epoch": []}
        for _ in range(2):  # alternated, best kept
            for name, seconds in (("no checkpoints", 1e9), ("a checkpoint every epoch", 0.0)):
                cfg = TrainConfig(
                    sources=(str(DATA),),
                    out=f"{tmp}/{len(runs[name])}{name[0]}",
                    date_from="2023-01-01",
                    date_to="2024-12-31",
                    epochs=args.epochs,
                    gif=False,
                )
                summary = train(cfg, progress=None, checkpoint_seconds=seconds)
                runs[name].append(summary["wall_time_s"])
    save = float(np.median(saves))
    best = {name: min(times) for name, times in runs.items()}
    per_epoch_cost = (best["a checkpoint every epoch"] - best["no checkpoints"]) / args.epochs
    result = {
        "machine": machine(),
        "model_file_bytes": size,
        "save_median_s": round(save, 4),
        "save_all_s": [round(t, 4) for t in saves],
        "checkpoint_interval_s": CHECKPOINT_SECONDS,
        "share_of_training_time_at_default_interval": round(save / CHECKPOINT_SECONDS, 5),
        "whole_runs_s": runs,
        "epochs": args.epochs,
        "extra_s_per_checkpoint_in_a_run": round(per_epoch_cost, 4),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "checkpoint.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
