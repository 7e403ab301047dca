"""How fast is tsgan against the textbook Keras GAN loop, and against this machine's limit?

Usage: python scripts/bench_speed.py [--repeat 3] [--epochs 100] [--quick]
Writes scripts/results/speed.md and scripts/results/speed.json.

Measured in one run on the same machine and data (DE-LU 2023-2024 from the Energy-Charts
files, 731 days), the contenders alternated and each one's best of ``--repeat`` kept:

- training samples per second of ``scripts/reference_gan.py`` (keras.io's patterns) and of
  tsgan through the Python API (``PriceGAN(loss=...)``, ``compile()``, ``fit(curves,
  batch_size=...)`` as the README shows it) and through ``tsgan train``, for both losses
  at batch 64 and 256, from the median epoch time (so that a moment of machine noise does
  not decide); for ``tsgan train`` also over the whole run (everything included);
- the compute limit: the matrix-multiply FLOPs of one training step counted from the layer
  sizes, timed at this machine's measured float32 rate for each layer's shape;
- ``generate`` of 1,000,000 curves; ``sample_scenarios`` of 1,000 scenarios for each of
  365 dates (calendar + level model);
- the animation's overhead on the default `tsgan train` of DE-LU 2023-2024;
- ``load_prices`` + ``daily_curves`` of the 2,192 Energy-Charts files;
- ``tsgan train --demo --out DIR`` (the README's first command): wall time and peak memory.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import bench_animation
import keras
import numpy as np
import pandas as pd
import tensorflow as tf
from _common import DE_LU, RESULTS, cpu_name
from reference_gan import REFERENCES, reference_dataset

import tsgan
from tsgan.train import training_speed

DATA = DE_LU
TSGAN = [sys.executable, "-m", "tsgan"]
TARGETS = {
    "ratio": 3.0,
    "limit_pct": 25.0,
    "generate_s": 1.0,
    "conditional_s": 1.0,
    "animation_pct": 5.0,
    "load_s": 1.0,
    "peak_gb": 1.5,
    "first_command_s": 60.0,
}


def machine() -> dict:
    return {
        "cpu": cpu_name(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "tsgan": tsgan.__version__,
    }


def best_of(fn, repeat: int) -> float:
    return min(fn() for _ in range(repeat))


# ---------------------------------------------------------------------- training throughput


class EpochClock(keras.callbacks.Callback):
    """Samples per second as ``run.json`` records them (``tsgan.train.training_speed``)."""

    def __init__(self, days: int) -> None:
        super().__init__()
        self.days, self.ends = days, []

    def on_epoch_end(self, epoch, logs=None) -> None:
        self.ends.append(time.perf_counter())

    @property
    def rate(self) -> float:
        return training_speed(self.ends, self.days)["samples_per_second"]


def tsgan_rate(curves: pd.DataFrame, loss: str, batch: int, epochs: int) -> float:
    """Samples/s of ``PriceGAN.fit`` as the README uses it."""
    gan = tsgan.PriceGAN(loss=loss, seed=0)
    gan.compile()
    clock = EpochClock(len(curves))
    gan.fit(curves, epochs=epochs, batch_size=batch, verbose=0, callbacks=[clock])
    return clock.rate


def reference_rate(unit: np.ndarray, loss: str, batch: int, epochs: int) -> float:
    """Samples/s of the keras.io reference on the same (transformed) curves."""
    model = REFERENCES[loss]()
    model.compile()
    clock = EpochClock(len(unit))
    model.fit(reference_dataset(unit, batch), epochs=epochs, verbose=0, callbacks=[clock])
    return clock.rate


def cli_rate(tmp: Path, loss: str, batch: int, epochs: int, *extra: str) -> tuple[float, float]:
    """``tsgan train`` (animation on unless ``--no-gif``): samples/s from ``run.json``
    (median epoch time, as above) and for the whole run (tracing, animation, saving)."""
    out = tmp / f"cli-{loss}-{batch}"
    args = [
        *TSGAN,
        "train",
        str(DATA),
        "--from",
        "2023-01-01",
        "--to",
        "2024-12-31",
        "--loss",
        loss,
        "--batch-size",
        str(batch),
        "--epochs",
        str(epochs),
        "--out",
        str(out),
        "--overwrite",
        *extra,
    ]
    subprocess.run(args, check=True, capture_output=True)
    run = json.loads((out / "run.json").read_text())
    days = run["data"]["training_days"]
    return run["speed"]["samples_per_second"], epochs * days / run["wall_time_s"]


def training(curves, repeat: int, epochs: int, tmp: Path, quick: bool) -> list[dict]:
    unit = keras.ops.convert_to_numpy(_adapted(curves).transform.forward(curves.to_numpy()))
    rows = []
    for loss in ("bce", "wgan-gp"):
        for batch in (64, 256):
            ref, api, cli, whole, plain = [], [], [], [], []
            for _ in range(repeat):  # alternate, so that drifts in machine load hit all
                ref.append(reference_rate(unit, loss, batch, epochs))
                api.append(tsgan_rate(curves, loss, batch, epochs))
                if not quick:
                    median, total = cli_rate(tmp, loss, batch, 2 * epochs)
                    cli.append(median)
                    whole.append(total)
                    plain.append(cli_rate(tmp, loss, batch, 2 * epochs, "--no-gif")[0])
            row = {
                "loss": loss,
                "batch": batch,
                "reference": max(ref),
                "api": max(api),
                "api_ratio": max(api) / max(ref),
                "runs": {"reference": ref, "api": api},
            }
            if cli:
                row.update(
                    cli=max(cli),
                    cli_whole=max(whole),
                    cli_ratio=max(cli) / max(ref),
                    cli_whole_ratio=max(whole) / max(ref),
                    cli_no_gif=max(plain),
                    cli_no_gif_ratio=max(plain) / max(ref),
                )
                row["runs"].update(cli=cli, cli_whole=whole, cli_no_gif=plain)
            rows.append(row)
            print({k: v for k, v in row.items() if k != "runs"}, flush=True)
    return rows


def _adapted(curves) -> tsgan.PriceGAN:
    gan = tsgan.PriceGAN(seed=0)
    gan.adapt(curves.to_numpy())
    return gan


# ---------------------------------------------------------------------- compute limit


def matmul_seconds(b: int, n_in: int, n_out: int, reps: int = 400) -> float:
    """Best time of one float32 ``(b, n_in) @ (n_in, n_out)`` in a compiled loop."""
    a = tf.random.normal((b, n_in))
    w = tf.random.normal((n_in, n_out))

    @tf.function
    def loop(a, w):
        acc = tf.zeros((b, n_out))
        for _ in tf.range(reps):
            acc += tf.matmul(a, w)
        return acc

    loop(a, w)
    return best_of(lambda: _timed(lambda: loop(a, w).numpy()), 3) / reps


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def layer_shapes(net: keras.Model) -> list[tuple[int, int]]:
    return [tuple(layer.kernel.shape) for layer in net.layers if hasattr(layer, "kernel")]


def compute_limit(loss: str, batch: int) -> dict:
    """Samples/s if one training step took only its matrix multiplies at this machine's rate.

    Per step, with F the forward matmuls of a net on one batch: each critic update costs
    ``F_G + k F_D`` (k = 10 for WGAN-GP: the critic on real, fake and interpolated curves
    (3), the backward passes of real and fake (2 × 2), the penalty's input gradient (1) and
    its gradient with respect to the weights (2; LeakyReLU's derivative is piecewise
    constant, so nothing flows back into the interpolated forward pass); k = 6 for BCE:
    two forward and two backward passes), and the generator update ``3 F_G + 2 F_D``.
    """
    gan = tsgan.PriceGAN(loss=loss)
    flops = {}
    seconds = {}
    for name, net in (("G", gan.generator), ("D", gan.discriminator)):
        shapes = layer_shapes(net)
        flops[name] = sum(2 * batch * i * o for i, o in shapes)
        seconds[name] = sum(matmul_seconds(batch, i, o) for i, o in shapes)
    k = 10 if loss == "wgan-gp" else 6
    mult = {"G": gan.settings.d_steps + 3, "D": gan.settings.d_steps * k + 2}
    step_flops = sum(mult[n] * flops[n] for n in mult)
    step_seconds = sum(mult[n] * seconds[n] for n in mult)
    return {
        "loss": loss,
        "batch": batch,
        "mflop_per_step": step_flops / 1e6,
        "gflops": step_flops / step_seconds / 1e9,
        "limit": batch / step_seconds,
    }


# ---------------------------------------------------------------------- sampling, load, animation


def sampling(curves, repeat: int) -> dict:
    gan = _adapted(curves)
    gan.generate(1000, seed=0, as_frame=False)
    generate = best_of(
        lambda: _timed(lambda: gan.generate(1_000_000, seed=0, as_frame=False)), repeat
    )
    cond = tsgan.PriceGAN(condition="calendar+level", seed=0)
    cond.adapt(curves.to_numpy())
    dates = pd.date_range("2026-01-01", periods=365, freq="D")
    levels = curves.loc["2024"].mean(axis=1).to_numpy()[:365]
    tsgan.sample_scenarios(cond, dates[:2], n_per_day=10, levels=levels[:2], seed=0)

    def conditional():
        return tsgan.sample_scenarios(cond, dates, n_per_day=1000, levels=levels, seed=0)

    return {
        "generate_1M_s": generate,
        "conditional_365x1000_s": best_of(lambda: _timed(conditional), repeat),
    }


def loading(repeat: int) -> float:
    return best_of(lambda: _timed(lambda: tsgan.daily_curves(tsgan.load_prices(DATA))), repeat)


def animation_overhead(repeat: int) -> dict:
    """``scripts/bench_animation.py``'s runs: default ``tsgan train`` on DE-LU 2023-2024 with
    and without the animation."""
    with tempfile.TemporaryDirectory() as tmp:
        return bench_animation.overhead(repeat, Path(tmp) / "samples.npz")


def first_command(tmp: Path) -> dict:
    """``tsgan train --demo --out DIR`` in a fresh interpreter: wall time and peak memory.

    A helper process starts it and reports its children's peak resident memory (tsgan
    and its drawing process), so that this script's earlier children do not count.
    """
    helper = (
        "import resource, subprocess, sys, time; start = time.perf_counter(); "
        f"subprocess.run({[*TSGAN, 'train', '--demo', '--out', str(tmp / 'demo')]!r}, "
        "check=True, capture_output=True); "
        "print(time.perf_counter() - start, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    out = subprocess.run([sys.executable, "-c", helper], check=True, capture_output=True, text=True)
    wall, peak_kb = out.stdout.split()
    return {"wall_s": float(wall), "peak_gb": int(peak_kb) / 1024**2}


# ---------------------------------------------------------------------- report


def report(result: dict) -> str:
    m = result["machine"]
    lines = [
        "# Speed",
        "",
        f"`python scripts/bench_speed.py --repeat {result['repeat']} --epochs {result['epochs']}`"
        f" on {m['cpu']} ({m['cores']} cores, no GPU), Python {m['python']}, TensorFlow "
        f"{m['tensorflow']}, Keras {m['keras']}, tsgan {m['tsgan']}; {result['date']}.",
        "Training data: DE-LU 2023-01-01..2024-12-31 (731 days). Each contender's best of the "
        "repeats, contenders alternated within each repeat. Targets in brackets.",
        "",
        "## Training throughput (samples per second)",
        "",
        "| loss | batch | keras.io reference | tsgan API | ratio [≥ 3] | tsgan train "
        "| ratio [≥ 3] | tsgan train --no-gif | ratio | tsgan train (whole run) | ratio | "
        "compute limit | tsgan API % of limit [≥ 25] | limit ÷ reference |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    limits = {(c["loss"], c["batch"]): c for c in result["compute_limit"]}
    for r in result["training"]:
        lim = limits[(r["loss"], r["batch"])]
        cli = "– | – | – | – | – | –"
        if "cli" in r:
            cli = " | ".join(
                f"{r[k]:,.0f} | {r[k + '_ratio']:.2f}×" for k in ("cli", "cli_no_gif", "cli_whole")
            )
        lines.append(
            f"| {r['loss']} | {r['batch']} | {r['reference']:,.0f} | {r['api']:,.0f} | "
            f"{r['api_ratio']:.2f}× | {cli} | {lim['limit']:,.0f} | "
            f"{100 * r['api'] / lim['limit']:.0f}% | {lim['limit'] / r['reference']:.2f}× |"
        )
    s, a, f = result["sampling"], result["animation"], result["first_command"]
    lines += [
        "",
        "The compute limit times one step's matrix multiplies (MFLOP per step: "
        + ", ".join(
            f"{c['loss']} b{c['batch']} {c['mflop_per_step']:.0f} at {c['gflops']:.0f} GFLOP/s"
            for c in result["compute_limit"]
        )
        + ") at the float32 rate measured here for each layer's shape (backward matmuls "
        "counted at their forward shape's rate). Rates are training days over the median "
        "epoch time (the first, traced, epoch left out): for the reference and the API from "
        "a callback, for `tsgan train` (animation on, as by default) from the `speed` it "
        "records in `run.json`; the whole-run rate divides by `run.json`'s wall time, "
        "which also holds tracing, the animation's start and end and saving.",
        "",
        "## Sampling, loading, animation, first command",
        "",
        "| what | measured | target |",
        "|---|---|---|",
        f"| `gan.generate(1_000_000)` | {s['generate_1M_s']:.2f} s | ≤ 1 s |",
        f"| `sample_scenarios`, 365 dates × 1,000 (calendar + level) | "
        f"{s['conditional_365x1000_s']:.2f} s | ≤ 1 s |",
        "| animation overhead, default `tsgan train` on DE-LU 2023-2024, wall time (best vs "
        f"best; median epoch {a['overhead_epoch_pct']:+.1f}%) | "
        f"{a['overhead_wall_pct']:+.1f}% | ≤ 5% |",
        f"| `load_prices` + `daily_curves`, 2,192 Energy-Charts files | {result['load_s']:.2f} s "
        "| ≤ 1 s |",
        f"| `tsgan train --demo --out DIR`: peak resident memory | {f['peak_gb']:.2f} GB | "
        "≤ 1.5 GB |",
        f"| `tsgan train --demo --out DIR`: wall time (the README's first command, install "
        f"aside) | {f['wall_s']:.0f} s | ≤ 60 s |",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=100, help="epochs per API run (CLI: 2×)")
    parser.add_argument("--quick", action="store_true", help="API only, no CLI runs")
    args = parser.parse_args()
    curves = tsgan.daily_curves(tsgan.load_prices(DATA)).loc["2023-01-01":"2024-12-31"]
    result = {
        "machine": machine(),
        "repeat": args.repeat,
        "epochs": args.epochs,
        "date": time.strftime("%Y-%m-%d"),
    }
    with tempfile.TemporaryDirectory() as tmp:
        result["training"] = training(curves, args.repeat, args.epochs, Path(tmp), args.quick)
        result["compute_limit"] = [
            compute_limit(loss, b) for loss in ("bce", "wgan-gp") for b in (64, 256)
        ]
        result["sampling"] = sampling(curves, args.repeat)
        print(result["sampling"], flush=True)
        result["load_s"] = loading(args.repeat)
        result["animation"] = animation_overhead(args.repeat)
        print(result["animation"], flush=True)
        result["first_command"] = first_command(Path(tmp))
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "speed.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / "speed.md").write_text(report(result))
    print(report(result))


if __name__ == "__main__":
    main()
