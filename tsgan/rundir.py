"""A run directory: refusing one that cannot take a run, replacing a run safely, resuming one,
and the signals that stop training after the current epoch with everything saved."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import keras
import numpy as np

from tsgan.atomic import atomic_path, write_atomic
from tsgan.model import PriceGAN, load_model
from tsgan.runlock import is_lock
from tsgan.settings import RunError, TrainConfig
from tsgan.signals import Terminated

RUN_FILES = (
    "model.keras",
    "config.toml",
    "history.csv",
    "training.gif",
    "losses.png",
    "samples.png",
    "run.json",
)
PREVIOUS = ".previous-run"  # an overwritten run waits here until the new one has a model


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
    if run.is_dir() and any(not is_lock(p) for p in run.iterdir()):
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


def save_model(model: keras.Model, path: Path) -> None:
    """``model.save`` under a temporary ``.keras`` name, then rename."""
    with atomic_path(path) as tmp:
        model.save(tmp)


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
        import zipfile

        try:
            with np.load(samples, allow_pickle=False) as data:
                keep = data["epochs"] <= initial
                prior = {
                    "epochs": data["epochs"][keep].tolist(),
                    "generated": data["generated"][keep],
                }
                if "dist_shares" in data.files and len(data["dist_shares"]) == len(keep):
                    prior["shares"] = data["dist_shares"][keep]
        except (OSError, EOFError, KeyError, IndexError, ValueError, zipfile.BadZipFile) as err:
            raise RunError(
                f"{samples}: not a samples file tsgan wrote ({type(err).__name__}); delete it "
                "to resume without the animation's earlier frames"
            ) from None
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
