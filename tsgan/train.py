"""One training run: settings → data → PriceGAN → run directory. The CLI is a thin layer on top."""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path

import keras
import numpy as np
import pandas as pd

import tsgan
from tsgan.atomic import atomic_path, write_atomic
from tsgan.callbacks import EpochProgress, TrainingAnimation
from tsgan.config import RunError, TrainConfig
from tsgan.data import DataError, daily_curves, demo_prices, load_prices
from tsgan.data.calendar import CALENDAR_FEATURES
from tsgan.model import PriceGAN

logger = logging.getLogger(__name__)

RUN_FILES = (
    "model.keras",
    "config.toml",
    "history.csv",
    "training.gif",
    "losses.png",
    "samples.png",
    "run.json",
)


def prepare_run_dir(out: str | os.PathLike, *, overwrite: bool) -> Path:
    """Create the run directory; refuse a non-empty one unless ``overwrite``.

    With ``overwrite`` only the files of a previous run are replaced; anything else the
    user keeps there stays.

    Example:
        >>> prepare_run_dir("runs/new", overwrite=False).is_dir()
        True
    """
    run = Path(out)
    if run.exists() and not run.is_dir():
        raise RunError(f"{run}: exists and is not a directory")
    if run.is_dir() and any(run.iterdir()):
        if not overwrite:
            raise RunError(
                f"{run}: run directory is not empty (use --overwrite to replace its run)"
            )
        for name in (*RUN_FILES, "samples.npz"):
            (run / name).unlink(missing_ok=True)
    run.mkdir(parents=True, exist_ok=True)
    return run


def training_curves(
    config: TrainConfig, *, days: pd.DatetimeIndex | None = None
) -> tuple[pd.DataFrame, pd.Series]:
    """The daily curves a run trains on, and the prices they come from.

    ``days``, when given, keeps only those days of the selected range (a benchmark holds
    out its test days this way).

    Example:
        >>> curves, prices = training_curves(TrainConfig(demo=True, out="x", date_from="2024-12-01"))
        >>> curves.shape, prices.attrs["format"]
        ((31, 24), 'tsgan demo data (synthetic)')
    """
    prices = (
        demo_prices(seed=config.seed)
        if config.demo
        else load_prices(list(config.sources), zone=config.zone)
    )
    curves = daily_curves(prices)
    dropped = curves.attrs.get("dropped", {})
    selected = curves.loc[config.date_from : config.date_to]
    if days is not None:
        selected = selected[selected.index.isin(pd.DatetimeIndex(days).normalize())]
    if selected.empty:
        raise DataError(
            f"no complete day between {config.date_from or 'the start'} and {config.date_to or 'the end'} "
            f"(data has {curves.index[0]:%Y-%m-%d}..{curves.index[-1]:%Y-%m-%d})"
        )
    selected.attrs = {**curves.attrs, "dropped": dropped}
    return selected, prices


def build_model(config: TrainConfig, curves: pd.DataFrame) -> PriceGAN:
    """The compiled PriceGAN a run trains, its price transform fitted to ``curves``.

    Seeds Keras' global random state with ``config.seed`` first, so the weights are the
    same for the same seed.

    Example:
        >>> cfg = TrainConfig(demo=True, out="x", date_from="2024-12-01")
        >>> build_model(cfg, training_curves(cfg)[0]).loss_name
        'wgan-gp'
    """
    keras.utils.set_random_seed(config.seed)
    gan = PriceGAN(
        loss=config.loss,
        seed=config.seed,
        condition=config.condition,
        country=config.country,
        **config.model,
    )
    gan.compile()
    gan.adapt(
        curves.to_numpy()
    )  # the level's scaling, recorded in run.json, is the curves' transform
    return gan


def save_model(model: keras.Model, path: Path) -> None:
    """``model.save`` under a temporary ``.keras`` name, then rename."""
    with atomic_path(path) as tmp:
        model.save(tmp)


def conditioning(gan: PriceGAN) -> dict | None:
    """How a model encodes its conditions, for ``run.json`` (None when unconditional).

    Example:
        >>> conditioning(PriceGAN(condition="calendar"))["features"][:3]
        ['workday', 'saturday', 'sunday/holiday']
    """
    if gan.condition is None:
        return None
    info = {
        "condition": gan.condition,
        "features": list(CALENDAR_FEATURES),
        "country": gan.country,
        "holidays": "public holidays of the country (holidays package) count as Sundays",
        "timezone": gan.timezone,
    }
    if gan.has_level:
        center = float(np.mean(keras.ops.convert_to_numpy(gan.center)))
        scale = float(keras.ops.convert_to_numpy(gan.scale))
        bound = float(keras.ops.convert_to_numpy(gan.bound))
        info["features"].append("level")
        info["level"] = {
            "definition": "the mean of the day's 24 hourly prices (EUR/MWh)",
            "scaling": "asinh((level - center) / scale) / bound, the curves' price transform",
            "center": round(center, 6),
            "scale": round(scale, 6),
            "bound": round(bound, 6),
        }
    return info


def training_speed(epoch_ends: list[float], days: int) -> dict | None:
    """Median seconds per epoch and samples per second, the first (traced) epoch left out.

    Example:
        >>> training_speed([0.0, 2.0, 2.5, 3.0], days=100)
        {'seconds_per_epoch': 0.5, 'samples_per_second': 200.0}
    """
    if len(epoch_ends) < 2:
        return None
    seconds = float(np.median(np.diff(epoch_ends)))
    return {
        "seconds_per_epoch": round(seconds, 5),
        "samples_per_second": round(days / seconds, 1) if seconds > 0 else None,
    }


def _versions() -> dict[str, str]:
    import tensorflow as tf

    return {
        "tsgan": tsgan.__version__,
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "python": platform.python_version(),
    }


def train(
    config: TrainConfig,
    *,
    progress: Callable[[str], None] | None = print,
    days: pd.DatetimeIndex | None = None,
) -> dict:
    """Run one training as configured; everything lands in ``config.out``.

    The run directory receives ``model.keras``, ``config.toml``, ``history.csv``,
    ``training.gif``, ``losses.png``, ``samples.png``, ``samples.npz`` and ``run.json``.
    Ctrl-C, a NaN loss or an error still leave a saved model, the animation so far and a
    ``run.json`` whose ``status`` says how the run ended.

    Args:
        config: the run's settings.
        progress: called with one line per epoch (None for silence).
        days: train on only these days of the configured data (see :func:`training_curves`).

    Returns:
        The contents of ``run.json``.

    Example:
        >>> summary = train(TrainConfig(demo=True, out="runs/doc", epochs=2))  # doctest: +SKIP
        >>> summary["status"]                                                  # doctest: +SKIP
        'finished'
    """
    run = prepare_run_dir(config.out, overwrite=config.overwrite)
    write_atomic(run / "config.toml", config.to_toml())
    curves, prices = training_curves(config, days=days)
    if len(curves) < config.batch_size:
        raise RunError(
            f"only {len(curves)} training days, fewer than --batch-size {config.batch_size}"
        )
    gan = build_model(config, curves)
    zone = prices.attrs.get("zone")
    span = f"{curves.index[0]:%Y-%m-%d}..{curves.index[-1]:%Y-%m-%d}"
    label = "DEMO DATA (synthetic)" if config.demo else f"{zone or ''} {span}".strip()
    epoch_ends: list[float] = []  # for the training speed in run.json
    callbacks = [
        keras.callbacks.CSVLogger(str(run / "history.csv")),
        keras.callbacks.TerminateOnNaN(),
        keras.callbacks.LambdaCallback(
            on_epoch_end=lambda epoch, logs: epoch_ends.append(time.perf_counter())
        ),
    ]
    animation = None
    if config.gif:
        animation = TrainingAnimation(
            run / "training.gif",
            real=curves,
            every=config.frame_every,
            seed=config.seed,
            subtitle=f"tsgan · {label}"
            + ("" if config.demo else " · data: Bundesnetzagentur | SMARD.de"),
        )
        callbacks.append(animation)
    if progress is not None:
        callbacks.append(EpochProgress(progress))
    summary = {
        "status": "running",
        "data": {
            "sources": list(config.sources) or prices.attrs.get("sources", []),
            "files": len(prices.attrs.get("sources", [])),
            "format": prices.attrs.get("format"),
            "zone": zone or "not stated in the data",
            "from": f"{curves.index[0]:%Y-%m-%d}",
            "to": f"{curves.index[-1]:%Y-%m-%d}",
            "training_days": len(curves),
            "dropped_days": curves.attrs.get("dropped", {}),
            "dst_days": curves.attrs.get("dst_days", []),
            "demo": config.demo,
        },
        "seed": config.seed,
        "conditioning": conditioning(gan),
        "epochs_planned": config.epochs,
        "versions": _versions(),
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    write_atomic(run / "run.json", json.dumps(summary, indent=2) + "\n")
    start = time.perf_counter()
    status = "finished"
    try:
        gan.fit(
            curves,  # a conditional model reads each day's date from the index
            epochs=config.epochs,
            batch_size=config.batch_size,
            callbacks=callbacks,
            verbose=0,
        )
        if gan.stop_training:
            status = "stopped: NaN loss"
    except KeyboardInterrupt:
        status = "interrupted"
        raise
    except BaseException as err:
        status = f"failed: {type(err).__name__}: {err}"
        raise
    finally:
        history = gan.history.history if getattr(gan, "history", None) is not None else {}
        epochs_done = len(history.get("d_loss", []))
        if animation is not None:
            try:
                animation.finish()
            except Exception as err:  # the model and run.json still get written
                logger.error("animation: %s", err)
        if epochs_done:
            save_model(gan, run / "model.keras")
        summary.update(
            status=status,
            epochs_completed=epochs_done,
            wall_time_s=round(time.perf_counter() - start, 1),
            speed=training_speed(epoch_ends, len(curves)),
            final={
                k: (None if not math.isfinite(v[-1]) else round(float(v[-1]), 5))
                for k, v in history.items()
                if v
            },
        )
        write_atomic(run / "run.json", json.dumps(summary, indent=2) + "\n")
    return summary
