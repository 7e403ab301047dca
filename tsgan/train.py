"""One training run: settings → data → PriceGAN → run directory. The CLI is a thin layer on top.

:func:`train` reads the days, builds (or resumes) the model, makes the run's callbacks
(:func:`run_callbacks`), keeps ``run.json`` telling the truth while it trains
(:class:`RunRecord`) and saves everything however training ends.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import math
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path

import keras
import numpy as np
import pandas as pd

import tsgan
from tsgan.animation.callback import TrainingAnimation
from tsgan.atomic import WRITE_ERRORS, write_atomic
from tsgan.callbacks import EpochProgress, TrainingHealth
from tsgan.data import DataError, daily_curves, data_credit, demo_prices, load_prices
from tsgan.data.curves import PRICE, daily_panel, fingerprint
from tsgan.data.prices import load_inputs
from tsgan.model import PriceGAN
from tsgan.rundir import (
    PREVIOUS,
    Checkpoint,
    StopOnSignal,
    _defer_signals,
    check_run_dir,
    prepare_run_dir,
    resume_point,
    save_model,
    settle_previous_run,
)
from tsgan.runlock import run_lock
from tsgan.settings import CHECKPOINT_SECONDS, RunError, TrainConfig, default_epochs
from tsgan.signals import Terminated

logger = logging.getLogger(__name__)

__all__ = ["RunRecord", "Terminated", "build_model", "run_callbacks", "train", "training_curves"]


def training_curves(
    config: TrainConfig, *, days: pd.DatetimeIndex | None = None
) -> tuple[pd.DataFrame, pd.Series]:
    """The daily curves a run trains on, and the prices they come from.

    ``days``, when given, keeps only those days of the selected range (a benchmark holds
    out its test days this way).

    Example:
        >>> cfg = TrainConfig(demo=True, out="x", date_from="2024-12-01")
        >>> curves, prices = training_curves(cfg)
        >>> curves.shape, prices.attrs["format"]
        ((31, 24), 'tsgan demo data (synthetic)')
    """
    m = config.model
    prices = (
        demo_prices(seed=m.seed or 0)
        if config.demo
        else load_prices(list(config.sources), zone=config.zone, tz=m.timezone)
    )
    curves = daily_curves(prices)
    dropped = curves.attrs.get("dropped", {})
    selected = curves.loc[config.date_from : config.date_to]
    if days is not None:
        selected = selected[selected.index.isin(pd.DatetimeIndex(days).normalize())]
    if selected.empty:
        raise DataError(
            f"no complete day between {config.date_from or 'the start'} and "
            f"{config.date_to or 'the end'} "
            f"(data has {curves.index[0]:%Y-%m-%d}..{curves.index[-1]:%Y-%m-%d})"
        )
    selected.attrs = {**curves.attrs, "dropped": dropped}
    return selected, prices


def forecast_panel(config: TrainConfig, curves: pd.DataFrame, prices) -> pd.DataFrame | None:
    """For ``--condition forecast``: the daily panel of prices and inputs the model trains
    on (the inputs the settings name, else the file's own: an epftoolbox file's forecasts),
    its days those of ``curves``; None for other models.

    Example:
        >>> forecast_panel(TrainConfig(demo=True, out="x"), None, None) is None
        True
    """
    m = config.model
    if m.condition != "forecast":
        return None
    if config.demo:
        raise RunError("--condition forecast needs a file with inputs, not --demo")
    inputs = load_inputs(
        list(config.sources), inputs=list(m.inputs) or None, zone=config.zone, tz=m.timezone
    )
    panel = daily_panel(prices, inputs)
    return panel.loc[panel.index.isin(curves.index)]


def build_model(config: TrainConfig, curves: pd.DataFrame, panel=None) -> PriceGAN:
    """The compiled PriceGAN a run trains, its price transform fitted to ``curves``.

    Seeds Keras' global random state with the model's seed first, so the weights are the
    same for the same seed.

    Example:
        >>> cfg = TrainConfig(demo=True, out="x", date_from="2024-12-01")
        >>> build_model(cfg, training_curves(cfg)[0]).settings.loss
        'wgan-gp'
    """
    inputs = None
    if panel is not None:  # the inputs the panel holds (the file's, when none were named)
        inputs = tuple(n for n in dict.fromkeys(panel.columns.get_level_values(0)) if n != PRICE)
    settings = config.model.for_data(curves.shape[1], inputs)
    if settings.seed is not None:
        keras.utils.set_random_seed(settings.seed)
    gan = PriceGAN(settings)
    gan.compile(d_learning_rate=config.d_learning_rate, g_learning_rate=config.g_learning_rate)
    gan.adapt(curves.to_numpy())  # the level's scaling, recorded in run.json, is this transform
    if panel is not None:
        gan.conditions.adapt(panel)  # the inputs' scaling
    return gan


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


def new_summary(
    config: TrainConfig, gan: PriceGAN, curves: pd.DataFrame, prices, data_key: str = ""
) -> dict:
    """The first ``run.json`` of a run: its data, seed, conditions, plan and versions."""
    return {
        "status": "running",
        "data": data_summary(config, curves, prices, data_key),
        "seed": config.model.seed,
        "conditioning": None if gan.conditions is None else gan.conditions.describe(),
        "epochs_planned": config.epochs,
        "versions": _versions(),
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "epochs_completed": 0,
        "segments": [],
    }


def data_summary(config: TrainConfig, curves: pd.DataFrame, prices, data_key: str) -> dict:
    """``run.json``'s ``data``: where the training days come from, which they are, and a
    fingerprint of what the model trains on (:func:`tsgan.data.curves.fingerprint`)."""
    return {
        "sources": list(config.sources) or prices.attrs.get("sources", []),
        "files": len(prices.attrs.get("sources", [])),
        "format": prices.attrs.get("format"),
        "credit": data_credit(prices),
        "zone": prices.attrs.get("zone") or "not stated in the data",
        "from": f"{curves.index[0]:%Y-%m-%d}",
        "to": f"{curves.index[-1]:%Y-%m-%d}",
        "training_days": len(curves),
        "dropped_days": curves.attrs.get("dropped", {}),
        "dst_days": curves.attrs.get("dst_days", []),
        "demo": config.demo,
        "fingerprint": data_key,
    }


def check_resumable(
    summary: dict, gan: PriceGAN, config: TrainConfig, data: dict, *, allow_changed_data: bool
) -> None:
    """Refuse to resume a run whose data or settings changed since it started.

    The training days (their number, range and fingerprint) must be those in ``run.json``
    unless ``allow_changed_data`` (then ``run.json`` records the new data); the model
    settings of ``config.toml`` must be those the model was trained with, always.

    Example:
        >>> check_resumable(summary, gan, config, data, allow_changed_data=False)  # doctest: +SKIP
    """
    run = Path(config.out)
    expected = dataclasses.asdict(
        config.model.for_data(gan.settings.n_steps, gan.settings.inputs or None)
    )
    trained = dataclasses.asdict(gan.settings)
    for name, value in expected.items():
        if value != trained.get(name):
            raise RunError(
                f"{run / 'config.toml'}: {name} = {value!r}, but the model was trained with "
                f"{trained.get(name)!r}; a resumed run keeps its settings (put it back, or "
                "train a new run)"
            )
    before = summary.get("data", {})
    keys = ("training_days", "from", "to") + (("fingerprint",) if before.get("fingerprint") else ())
    changed = [k for k in keys if before.get(k) != data[k]]
    if changed and not allow_changed_data:
        what = ", ".join(
            f"{k.replace('_', ' ')} {data[k]} (run.json: {before.get(k)})"
            if k != "fingerprint"
            else "the prices themselves"
            for k in changed
        )
        raise RunError(
            f"{run}: the data changed since the run started: {what}; "
            "--allow-changed-data resumes on the new data"
        )
    if changed:
        summary["data"] = data


class RunRecord:
    """``run.json`` as training goes: one segment per start (a resume adds one), the epoch
    ends for the speed, and the state written atomically at each checkpoint and at the end.

    Example:
        >>> record = RunRecord(Path("runs/x"), summary, gan, days=550, initial=0)  # doctest: +SKIP
    """

    def __init__(self, run: Path, summary: dict, gan: PriceGAN, *, days: int, initial: int):
        self.run, self.summary, self.gan, self.days = run, summary, gan, days
        self.saved_epoch = initial or None  # the epoch of the model on disk (a resume's)
        self.epoch_ends: list[float] = []
        self.start = time.perf_counter()
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        self.segment = {"started": now, "from_epoch": initial, "status": "running"}
        summary["segments"] = [*summary.get("segments", []), self.segment]
        summary.update(status="running")
        self.write()

    def write(self) -> None:
        write_atomic(self.run / "run.json", json.dumps(self.summary, indent=2) + "\n")

    def record(self, status: str, epochs_done: int) -> None:
        """The run's state after ``epochs_done`` epochs, written to ``run.json``."""
        history = self.gan.history.history if getattr(self.gan, "history", None) else {}
        self.segment.update(to_epoch=epochs_done, status=status)
        self.segment["wall_time_s"] = round(time.perf_counter() - self.start, 1)
        self.summary.update(
            status=status,
            epochs_completed=epochs_done,
            wall_time_s=round(sum(s.get("wall_time_s", 0.0) for s in self.summary["segments"]), 1),
            speed=training_speed(self.epoch_ends, self.days),
            final={
                k: (None if not math.isfinite(v[-1]) else round(float(v[-1]), 5))
                for k, v in history.items()
                if v
            },
        )
        self.write()

    def checkpoint(self, epochs_done: int) -> None:
        """Save the model, let an overwritten run go, and record the state."""
        save_model(self.gan, self.run / "model.keras")
        self.saved_epoch = epochs_done
        settle_previous_run(self.run, new_model_saved=True)
        self.record("running", epochs_done)


def run_callbacks(
    config: TrainConfig,
    record: RunRecord,
    curves: pd.DataFrame,
    prices,
    *,
    progress: Callable[[str], None] | None,
    prior: dict | None,
    resume: bool,
    checkpoint_seconds: float,
) -> tuple[list[keras.callbacks.Callback], TrainingHealth, TrainingAnimation | None]:
    """The callbacks of a run: the CSV log, the health check, the epoch clock, the
    animation, progress lines and checkpoints; the health check and the animation also
    returned, for the summary."""
    run = record.run
    health = TrainingHealth()  # NaN: stop, the last finite weights kept; imbalance: warn
    callbacks = [
        keras.callbacks.CSVLogger(str(run / "history.csv"), append=resume),
        health,
        keras.callbacks.LambdaCallback(
            on_epoch_end=lambda epoch, logs: record.epoch_ends.append(time.perf_counter())
        ),
    ]
    animation = None
    if config.gif:
        span = f"{curves.index[0]:%Y-%m-%d}..{curves.index[-1]:%Y-%m-%d}"
        zone = prices.attrs.get("zone")
        label = "DEMO DATA (synthetic)" if config.demo else f"{zone or ''} {span}".strip()
        credit = None if config.demo else data_credit(prices)  # per source, as licences ask
        animation = TrainingAnimation(
            run / "training.gif",
            real=curves,
            **config.animation_settings,
            seed=config.model.seed or 0,
            subtitle=f"tsgan · {label}" + (f"\ndata: {credit}" if credit else ""),  # 2 lines
            prior=prior,
        )
        callbacks.append(animation)
    if progress is not None:
        callbacks.append(EpochProgress(progress))
    callbacks.append(Checkpoint(record.checkpoint, every_seconds=checkpoint_seconds))
    return callbacks, health, animation


def train(
    config: TrainConfig,
    *,
    progress: Callable[[str], None] | None = print,
    days: pd.DatetimeIndex | None = None,
    resume: bool = False,
    allow_changed_data: bool = False,
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
            epoch come back, the history and the animation go on (see
            :func:`tsgan.rundir.resume_point`); the data and settings must be the run's
            (:func:`check_resumable`).
        allow_changed_data: resume on data that differ from the run's (recorded anew).
        checkpoint_seconds: time between checkpoints.

    Returns:
        The contents of ``run.json``.

    Example:
        >>> summary = train(TrainConfig(demo=True, out="runs/doc", epochs=2))  # doctest: +SKIP
        >>> summary["status"]                                                  # doctest: +SKIP
        'finished'
    """
    if not resume:
        check_run_dir(config.out, overwrite=config.overwrite)  # before taking the lock
    with run_lock(config.out):  # one writer at a time; check again under the lock
        return _train(config, progress, days, resume, checkpoint_seconds, allow_changed_data)


def _train(
    config: TrainConfig,
    progress,
    days,
    resume: bool,
    checkpoint_seconds: float,
    allow_changed_data: bool,
) -> dict:
    if not resume:
        check_run_dir(config.out, overwrite=config.overwrite)  # before the (slow) data loading
    curves, prices = training_curves(config, days=days)
    if len(curves) < config.batch_size:
        raise RunError(
            f"only {len(curves)} training days, fewer than --batch-size {config.batch_size}"
        )
    if config.epochs is None:  # the default: a number of updates, whatever the days
        config = dataclasses.replace(config, epochs=default_epochs(len(curves), config.batch_size))
    panel = forecast_panel(config, curves, prices)
    data_key = fingerprint(curves if panel is None else panel)
    if resume:
        run = Path(config.out)
        gan, initial, summary, prior = resume_point(run, config, len(curves))
        data = data_summary(config, curves, prices, data_key)
        check_resumable(summary, gan, config, data, allow_changed_data=allow_changed_data)
    else:
        gan, initial, prior = build_model(config, curves, panel), 0, None
        run = prepare_run_dir(config.out, overwrite=config.overwrite)  # data and model are good
        write_atomic(run / "config.toml", config.to_toml())
        summary = new_summary(config, gan, curves, prices, data_key)
    record = RunRecord(run, summary, gan, days=len(curves), initial=initial)
    callbacks, health, animation = run_callbacks(
        config,
        record,
        curves if panel is None else panel,  # a forecast run's animation shows given days
        prices,
        progress=progress,
        prior=prior,
        resume=resume,
        checkpoint_seconds=checkpoint_seconds,
    )
    status = "finished"
    with StopOnSignal().installed() as signals:
        try:
            gan.fit(
                curves if panel is None else panel,  # dates from the index; history, inputs
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
            _finish(record, status, initial, health, animation)
    return summary


def write_problem(err: OSError, path: Path) -> str:
    """A write error in a few words: ``"RUN/model.keras: No space left on device"`` (the
    file the error names, or ``path`` when it names a temporary one or none)."""
    named = Path(err.filename) if isinstance(err.filename, str) else None
    if named is not None and ".part" not in named.name:
        path = named
    return f"{path}: {err.strerror or err}"


def _finish(
    record: RunRecord, status: str, initial: int, health: TrainingHealth, animation
) -> None:
    """However training ended: the animation's last frames, the model, ``run.json``, the
    overwritten run deleted or put back, and what is on disk attached to the exception."""
    gan, summary, run = record.gan, record.summary, record.run
    history = gan.history.history if getattr(gan, "history", None) is not None else {}
    epochs_done = initial + len(history.get("d_loss", []))
    if animation is not None:
        try:
            animation.finish()
        except Exception as err:  # the model and run.json still get written
            logger.error("animation: %s", err)
        wait = animation.finish_wait_s
        summary["animation"] = {
            "frames": len(animation.epochs_rendered),
            "drawing_cpu_s": animation.drawing_cpu_s,  # the drawing process's CPU time
            # seconds training waited at the end for the last frames and the files
            "finish_wait_s": None if wait is None else round(wait, 2),
        }
    failed = None  # a full disk, a quota, an I/O error: the run.json tells what is kept
    if epochs_done > initial:
        try:
            save_model(gan, run / "model.keras")
            record.saved_epoch = epochs_done
        except OSError as err:
            failed = err
    stopped = sys.exc_info()[1]
    if failed is None and isinstance(stopped, OSError) and stopped.errno in WRITE_ERRORS:
        failed = stopped  # a checkpoint could not be written
    if failed is not None:
        kept = record.saved_epoch
        status = f"failed: {write_problem(failed, run / 'model.keras')}; " + (
            f"the model of epoch {kept} is kept" if kept else "no model was saved"
        )
        epochs_done = kept or 0
    if health.message:
        summary["weights_of_epoch"] = health.kept_epoch
    if health.warnings:
        summary["warnings"] = [*summary.get("warnings", []), *health.warnings]
    try:
        record.record(status, epochs_done)
    except OSError as err:  # nowhere to write the truth: the error message carries it
        failed = failed or err
    restored = (run / PREVIOUS).is_dir() and record.saved_epoch is None
    settle_previous_run(run, new_model_saved=not restored)
    summary["previous_run_restored"] = restored
    if stopped is not None:  # the command line tells what is really on disk
        stopped.summary = summary
    elif failed is not None:
        failed.summary = summary
        raise failed
