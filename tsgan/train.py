"""One training run: settings → data → PriceGAN → run directory. The CLI is a thin layer on top."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import logging
import math
import os
import platform
import shutil
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import keras
import numpy as np
import pandas as pd

import tsgan
from tsgan.atomic import atomic_path, write_atomic
from tsgan.callbacks import EpochProgress, TrainingAnimation, TrainingHealth
from tsgan.config import RunError, TrainConfig, default_epochs
from tsgan.data import DataError, daily_curves, data_credit, demo_prices, load_prices
from tsgan.data.calendar import CALENDAR_FEATURES
from tsgan.data.parsing import TZ
from tsgan.model import PriceGAN, load_model

logger = logging.getLogger(__name__)

CHECKPOINT_SECONDS = 30.0  # the model is saved this often while training

RUN_FILES = (
    "model.keras",
    "config.toml",
    "history.csv",
    "training.gif",
    "losses.png",
    "samples.png",
    "run.json",
)


class Terminated(BaseException):
    """SIGTERM arrived while training (``timeout``, ``docker stop``, a scheduler).

    A ``BaseException``, like ``KeyboardInterrupt``, so that no ``except Exception`` on the
    way swallows it; :func:`train` saves the run and re-raises it.
    """


def check_run_dir(out: str | os.PathLike, *, overwrite: bool) -> Path:
    """Refuse a run directory that cannot take a new run; change nothing.

    A non-empty directory needs ``overwrite``, and even then only a directory that holds
    a tsgan run (its ``run.json`` or ``config.toml``) is replaced: never a folder tsgan did
    not make.

    Example:
        >>> check_run_dir("runs/new", overwrite=False).name
        'new'
    """
    run = Path(out)
    if run.exists() and not run.is_dir():
        raise RunError(f"{run}: exists and is not a directory")
    if run.is_dir() and any(run.iterdir()):
        if not overwrite:
            raise RunError(
                f"{run}: run directory is not empty (use --overwrite to replace its run)"
            )
        if not any((run / name).is_file() for name in ("run.json", "config.toml")):
            raise RunError(
                f"{run}: not a tsgan run directory (no run.json): --overwrite replaces only "
                "tsgan runs; choose another --out"
            )
    return run


PREVIOUS = ".previous-run"  # an overwritten run waits here until the new one has a model


def prepare_run_dir(out: str | os.PathLike, *, overwrite: bool) -> Path:
    """Create the run directory; refuse it as :func:`check_run_dir` does.

    With ``overwrite`` the files of the previous run move to ``.previous-run`` inside it:
    :func:`settle_previous_run` deletes them once the new run has saved a model, or puts
    them back if it ends without one. Anything else the user keeps there stays.

    Example:
        >>> prepare_run_dir("runs/new", overwrite=False).is_dir()
        True
    """
    run = check_run_dir(out, overwrite=overwrite)
    if run.is_dir() and overwrite:
        previous = run / PREVIOUS
        keep_older = previous.is_dir() and not (run / "model.keras").is_file()
        if not keep_older:  # (else the files here are a failed run; the older one is kept)
            shutil.rmtree(previous, ignore_errors=True)
            previous.mkdir()
        for name in (*RUN_FILES, "samples.npz"):
            if (run / name).exists():
                if keep_older:
                    (run / name).unlink()
                else:
                    (run / name).replace(previous / name)
    run.mkdir(parents=True, exist_ok=True)
    return run


def settle_previous_run(run: Path, *, new_model_saved: bool) -> None:
    """Delete the overwritten run once the new one has a model; else put it back."""
    previous = run / PREVIOUS
    if not previous.is_dir():
        return
    if not new_model_saved:
        for name in (*RUN_FILES, "samples.npz"):
            (run / name).unlink(missing_ok=True)
        for path in previous.iterdir():
            path.replace(run / path.name)
    shutil.rmtree(previous, ignore_errors=True)


def _wait_while_saving(signum, frame) -> None:
    sys.stderr.write("saving the run, one moment...\n")


def _defer_signals() -> None:
    """From now on Ctrl-C and SIGTERM wait: the run is being saved (a second Ctrl-C loses
    nothing). :meth:`StopOnSignal.installed` puts the usual handlers back at the end."""
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            if signal.getsignal(sig) is not signal.SIG_IGN:
                signal.signal(sig, _wait_while_saving)


class StopOnSignal(keras.callbacks.Callback):
    """Ctrl-C and SIGTERM end training after the current epoch, all callbacks done.

    A signal that arrived in the middle of the callbacks (the CSV log written, the history
    not yet) would leave them disagreeing on the epochs done; so once ``fit`` runs, the
    first Ctrl-C or SIGTERM asks it to stop at the end of the epoch (any further signal
    waits, see :func:`_defer_signals`), and :func:`train` raises ``KeyboardInterrupt`` or
    :class:`Terminated` when ``fit`` has returned. Before ``fit`` runs they raise at once.
    Signals that were ignored (a background job's SIGINT) stay ignored; the previous
    handlers come back when training ends.
    """

    def __init__(self) -> None:
        super().__init__()
        self.received: int | None = None
        self._fitting = False

    def on_train_begin(self, logs=None) -> None:
        self._fitting = True

    def _handle(self, signum, frame) -> None:
        self.received = signum
        _defer_signals()
        if not self._fitting:
            self.raise_received()
        self.model.stop_training = True

    def raise_received(self) -> None:
        """Raise what the received signal means (nothing if none arrived)."""
        if self.received == signal.SIGINT:
            raise KeyboardInterrupt
        if self.received is not None:
            raise Terminated(self.received)

    @contextlib.contextmanager
    def installed(self) -> Iterator[StopOnSignal]:
        if threading.current_thread() is not threading.main_thread():
            yield self
            return
        previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
        for sig, handler in previous.items():
            if handler is not signal.SIG_IGN:
                signal.signal(sig, self._handle)
        try:
            yield self
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


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
        else load_prices(list(config.sources), zone=config.zone, tz=config.tz or TZ)
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
    try:
        gan = PriceGAN(
            loss=config.loss,
            seed=config.seed,
            condition=config.condition,
            country=config.country,
            **({"timezone": config.tz} if config.tz else {}) | config.model,
        )
    except (TypeError, ValueError) as err:  # a [model] setting of the wrong kind or range
        raise RunError(f"[model] settings: {' '.join(str(err).split())}") from None
    gan.compile(d_learning_rate=config.d_learning_rate, g_learning_rate=config.g_learning_rate)
    # the level's scaling, recorded in run.json, is the curves' transform
    gan.adapt(curves.to_numpy())
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
    resume: bool = False,
    checkpoint_seconds: float = CHECKPOINT_SECONDS,
) -> dict:
    """Run one training as configured; everything lands in ``config.out``.

    The run directory receives ``model.keras``, ``config.toml``, ``history.csv``,
    ``training.gif``, ``losses.png``, ``samples.png``, ``samples.npz`` and ``run.json``.
    The model is saved every ``checkpoint_seconds`` as training goes (atomically: after
    a crash or SIGKILL the last checkpoint is intact), and Ctrl-C, SIGTERM, a NaN loss or
    an error still leave a saved model, the animation so far and a ``run.json`` whose
    ``status`` says how the run ended.

    Args:
        config: the run's settings.
        progress: called with one line per epoch (None for silence).
        days: train on only these days of the configured data (see :func:`training_curves`).
        resume: continue the run in ``config.out`` from its last saved model up to
            ``config.epochs``: weights, both optimizers, the EMA, the random state and the
            epoch come back, the history and the animation go on (see :func:`resume_point`).
        checkpoint_seconds: time between checkpoints.

    Returns:
        The contents of ``run.json``.

    Example:
        >>> summary = train(TrainConfig(demo=True, out="runs/doc", epochs=2))  # doctest: +SKIP
        >>> summary["status"]                                                  # doctest: +SKIP
        'finished'
    """
    if not resume:
        check_run_dir(config.out, overwrite=config.overwrite)  # before the (slow) data loading
    curves, prices = training_curves(config, days=days)
    if len(curves) < config.batch_size:
        raise RunError(
            f"only {len(curves)} training days, fewer than --batch-size {config.batch_size}"
        )
    if config.epochs is None:  # the default: a number of updates, whatever the days
        config = dataclasses.replace(config, epochs=default_epochs(len(curves), config.batch_size))
    if resume:
        run = Path(config.out)
        gan, initial, summary, prior = resume_point(run, config, len(curves))
    else:
        gan, initial, summary, prior = build_model(config, curves), 0, None, None
        run = prepare_run_dir(config.out, overwrite=config.overwrite)  # data and model are good
        write_atomic(run / "config.toml", config.to_toml())
    zone = prices.attrs.get("zone")
    span = f"{curves.index[0]:%Y-%m-%d}..{curves.index[-1]:%Y-%m-%d}"
    label = "DEMO DATA (synthetic)" if config.demo else f"{zone or ''} {span}".strip()
    credit = None if config.demo else data_credit(prices)  # per source, as the licences ask
    epoch_ends: list[float] = []  # for the training speed in run.json
    health = TrainingHealth()  # NaN: stop, the last finite weights kept; imbalance: warn
    callbacks = [
        keras.callbacks.CSVLogger(str(run / "history.csv"), append=resume),
        health,
        keras.callbacks.LambdaCallback(
            on_epoch_end=lambda epoch, logs: epoch_ends.append(time.perf_counter())
        ),
    ]
    animation = None
    if config.gif:
        animation = TrainingAnimation(
            run / "training.gif",
            real=curves,
            **config.animation_settings,
            seed=config.seed,
            subtitle=f"tsgan · {label}" + (f"\ndata: {credit}" if credit else ""),  # 2 lines
            prior=prior,
        )
        callbacks.append(animation)
    if progress is not None:
        callbacks.append(EpochProgress(progress))
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    if summary is None:
        summary = {
            "status": "running",
            "data": {
                "sources": list(config.sources) or prices.attrs.get("sources", []),
                "files": len(prices.attrs.get("sources", [])),
                "format": prices.attrs.get("format"),
                "credit": data_credit(prices),
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
            "started": now,
            "epochs_completed": 0,
            "segments": [],
        }
    segment = {"started": now, "from_epoch": initial, "status": "running"}
    summary["segments"] = [*summary.get("segments", []), segment]
    summary.update(status="running")
    write_atomic(run / "run.json", json.dumps(summary, indent=2) + "\n")

    def record(status: str, epochs_done: int) -> None:
        history = gan.history.history if getattr(gan, "history", None) is not None else {}
        segment.update(to_epoch=epochs_done, status=status)
        summary.update(
            status=status,
            epochs_completed=epochs_done,
            wall_time_s=round(sum(seg.get("wall_time_s", 0.0) for seg in summary["segments"]), 1),
            speed=training_speed(epoch_ends, len(curves)),
            final={
                k: (None if not math.isfinite(v[-1]) else round(float(v[-1]), 5))
                for k, v in history.items()
                if v
            },
        )
        write_atomic(run / "run.json", json.dumps(summary, indent=2) + "\n")

    start = time.perf_counter()

    def checkpoint(epochs_done: int) -> None:
        save_model(gan, run / "model.keras")
        settle_previous_run(run, new_model_saved=True)  # the overwritten run can go now
        segment["wall_time_s"] = round(time.perf_counter() - start, 1)
        record("running", epochs_done)

    callbacks.append(Checkpoint(checkpoint, every_seconds=checkpoint_seconds))
    status = "finished"
    with StopOnSignal().installed() as signals:
        try:
            gan.fit(
                curves,  # a conditional model reads each day's date from the index
                epochs=config.epochs,
                initial_epoch=initial,
                batch_size=config.batch_size,
                callbacks=[*callbacks, signals],
                verbose=0,
            )
            signals.raise_received()
            if health.message is not None:
                status = f"stopped: {health.message}"
        except KeyboardInterrupt:
            status = "interrupted"
            raise
        except Terminated:
            status = "terminated (SIGTERM)"
            raise
        except BaseException as err:
            status = f"failed: {type(err).__name__}: {err}"
            raise
        finally:
            _defer_signals()
            history = gan.history.history if getattr(gan, "history", None) is not None else {}
            epochs_done = initial + len(history.get("d_loss", []))
            if animation is not None:
                try:
                    animation.finish()
                except Exception as err:  # the model and run.json still get written
                    logger.error("animation: %s", err)
                summary["animation"] = {
                    "frames": len(animation.epochs_rendered),
                    "drawing_cpu_s": animation.drawing_cpu_s,  # the drawing process's CPU time
                    # seconds training waited at the end for the last frames and the files
                    "finish_wait_s": None
                    if animation.finish_wait_s is None
                    else round(animation.finish_wait_s, 2),
                }
            if epochs_done > initial:
                save_model(gan, run / "model.keras")
            if health.message:
                summary["weights_of_epoch"] = health.kept_epoch
            if health.warnings:
                summary["warnings"] = [*summary.get("warnings", []), *health.warnings]
            segment["wall_time_s"] = round(time.perf_counter() - start, 1)
            record(status, epochs_done)
            restored = (run / PREVIOUS).is_dir() and epochs_done == initial
            settle_previous_run(run, new_model_saved=not restored)
            summary["previous_run_restored"] = restored
            stopped = sys.exc_info()[1]
            if stopped is not None:  # the command line tells what is really on disk
                stopped.summary = summary
    return summary


class Checkpoint(keras.callbacks.Callback):
    """Call ``save(epochs_done)`` at the end of an epoch every ``every_seconds`` or more.

    Example:
        >>> Checkpoint(print, every_seconds=30).every_seconds
        30.0
    """

    def __init__(self, save: Callable[[int], None], *, every_seconds: float) -> None:
        super().__init__()
        self.save, self.every_seconds = save, float(every_seconds)

    def on_train_begin(self, logs=None) -> None:
        self._last = time.monotonic()

    def on_epoch_end(self, epoch, logs=None) -> None:
        if time.monotonic() - self._last >= self.every_seconds and not self.model.stop_training:
            self.save(epoch + 1)
            self._last = time.monotonic()


def steps_per_epoch(days: int, batch_size: int) -> int:
    """Generator updates in one epoch: the full batches and the smaller last one.

    Example:
        >>> steps_per_epoch(100, 32)
        4
    """
    return -(-days // batch_size)


def resume_point(
    run: Path, config: TrainConfig, days: int
) -> tuple[PriceGAN, int, dict, dict | None]:
    """What a resumed run starts from: the saved model, its epoch, run.json, the animation.

    The epoch is read from the model itself (its generator updates ÷ updates per epoch),
    so it is the epoch of the weights whatever the other files say; ``history.csv`` is cut
    back to it and the animation's earlier frames (``samples.npz``) are kept up to it.
    """
    for name in ("model.keras", "run.json", "config.toml"):
        if not (run / name).is_file():
            raise RunError(f"{run}: no {name}, nothing to resume (train it first)")
    try:
        summary = json.loads((run / "run.json").read_text(encoding="utf-8"))
    except ValueError as err:
        raise RunError(f"{run / 'run.json'}: not valid JSON ({err})") from None
    try:
        gan = load_model(run / "model.keras")
    except ValueError as err:
        raise RunError(str(err)) from None
    updates, per_epoch = int(gan.g_optimizer.iterations), steps_per_epoch(days, config.batch_size)
    if updates % per_epoch:
        raise RunError(
            f"{run / 'model.keras'}: {updates} generator updates are not whole epochs of "
            f"{per_epoch}: the data or --batch-size differ from the run's"
        )
    initial = updates // per_epoch
    if initial >= config.epochs:
        raise RunError(f"{run}: already trained {initial} of {config.epochs} epochs")
    rows = _history_rows(run / "history.csv", initial)
    write_atomic(run / "history.csv", "".join(rows))
    prior = None
    samples = run / "samples.npz"
    if config.gif and samples.is_file():
        with np.load(samples) as data:
            keep = data["epochs"] <= initial
            prior = {"epochs": data["epochs"][keep].tolist(), "generated": data["generated"][keep]}
            if "dist_shares" in data.files and len(data["dist_shares"]) == len(keep):
                prior["shares"] = data["dist_shares"][keep]
        header, *lines = [r.rstrip("\n").split(",") for r in rows]
        prior["history"] = {
            name: [float(line[i]) for line in lines]
            for i, name in enumerate(header)
            if name in ("d_loss", "g_loss", "d_real", "d_fake")
        }
    return gan, initial, summary, prior


def _history_rows(path: Path, epochs: int) -> list[str]:
    """The header and the first ``epochs`` rows of a history.csv."""
    try:
        rows = path.read_text(encoding="utf-8").splitlines(keepends=True)
    except OSError:
        rows = []
    if len(rows) < epochs + 1:
        raise RunError(f"{path}: has {max(len(rows) - 1, 0)} epochs, the model {epochs}")
    return rows[: epochs + 1]
