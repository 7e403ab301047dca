"""What the subcommands share: the one-line error, TensorFlow imported quietly, tables
written atomically, models loaded with one clear line."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from pathlib import Path

logger = logging.getLogger("tsgan")


class CliError(Exception):
    """A problem to report in one line, exit code 2."""


@contextlib.contextmanager
def quiet_stderr():
    """Silence the C++ start-up chatter TensorFlow writes to fd 2 while it is imported."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def import_keras():
    with quiet_stderr():
        import keras
        import tensorflow as tf

        import tsgan.model  # noqa: F401

        tf.config.list_physical_devices()  # device discovery logs its CUDA probing here
    return keras


def one_line(err: BaseException) -> str:
    """An error's message on one line (its type's name when it has none)."""
    text = str(err).strip() or type(err).__name__
    return " ".join(text.split())


def write_table(frame, out: Path) -> None:
    suffix = out.suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise CliError(f"{out}: output must end in .csv or .parquet")
    from tsgan.atomic import atomic_path

    with atomic_path(out) as tmp:
        if suffix == ".csv":
            frame.to_csv(tmp, index=False, float_format="%.2f")
        else:
            frame.to_parquet(tmp, index=False)


def load_run_model(path_text: str):
    import_keras()
    from tsgan.model import load_model

    path = Path(path_text)
    if path.is_dir():
        path = path / "model.keras"
    if not path.is_file():
        raise CliError(f"{path}: no such model (give a run directory or a .keras file)")
    try:
        return load_model(path)
    except ValueError as err:
        raise CliError(str(err)) from None
