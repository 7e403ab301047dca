"""What does the animation cost? Trains with and without TrainingAnimation at default settings.

Usage: python scripts/bench_animation.py [--epochs 300] [--data demo|real] [--repeat 2]
Frames as ``tsgan train`` draws them by default (at most about 300).
Writes scripts/results/bench_animation.json.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras
from PIL import Image

import tsgan
from tsgan.config import TrainConfig

ROOT = Path(__file__).resolve().parents[1]


def curves(kind: str):
    if kind == "demo":
        return tsgan.daily_curves(tsgan.demo_prices())
    prices = tsgan.load_prices(ROOT.parent / "shared" / "data" / "energy_charts_de_lu")
    return tsgan.daily_curves(prices).loc["2023-01-01":"2025-12-31"]


def run(data, epochs: int, gif: Path | None, every: int | None = None) -> float:
    """Seconds of ``fit`` at default settings, with the animation when ``gif`` is given.

    ``every``: render every n-th epoch; None: as ``tsgan train`` does by default.
    """
    every = every or TrainConfig(demo=True, out="x", epochs=epochs).frame_every
    keras.utils.set_random_seed(0)
    gan = tsgan.PriceGAN(seed=0)
    gan.compile()
    callbacks = [tsgan.TrainingAnimation(gif, real=data, every=every)] if gif else []
    start = time.perf_counter()
    gan.fit(data, epochs=epochs, batch_size=64, verbose=0, callbacks=callbacks)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=300)
    parser.add_argument("--data", choices=("demo", "real"), default="demo")
    parser.add_argument("--repeat", type=int, default=2, help="alternating runs of each kind")
    args = parser.parse_args()
    data = curves(args.data)
    plains, animateds = [], []
    with tempfile.TemporaryDirectory() as tmp:
        gif = Path(tmp) / "training.gif"
        for _ in range(args.repeat):  # alternate, so that drifts in machine load hit both kinds
            plains.append(run(data, args.epochs, None))
            animateds.append(run(data, args.epochs, gif))
        size = gif.stat().st_size
        frames = Image.open(gif).n_frames
    plain, animated = min(plains), min(animateds)
    result = {
        "data": args.data,
        "days": len(data),
        "epochs": args.epochs,
        "batch_size": 64,
        "frame_every": TrainConfig(demo=True, out="x", epochs=args.epochs).frame_every,
        "runs_without_animation_s": [round(t, 1) for t in plains],
        "runs_with_animation_s": [round(t, 1) for t in animateds],
        "train_s_without_animation": round(plain, 1),
        "train_s_with_animation": round(animated, 1),
        "overhead_pct": round(100 * (animated - plain) / plain, 1),
        "gif_frames": frames,
        "gif_mb": round(size / 1e6, 2),
        "cpus": os.cpu_count(),
    }
    print(json.dumps(result, indent=2))
    out = ROOT / "scripts" / "results" / f"bench_animation_{args.data}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
