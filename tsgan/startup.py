"""TensorFlow imported without its start-up chatter.

Importing TensorFlow and finding its devices writes lines like "Could not find cuda
drivers" and "failed call to cuInit" from C++ straight to file descriptor 2, before
``TF_CPP_MIN_LOG_LEVEL`` is read, so they reach notebooks' logs and programs' terminals
although nothing is wrong. tsgan imports TensorFlow with fd 2 sent to ``/dev/null`` for
that moment (Python's own errors still show: they are printed after it). Set
``TF_CPP_MIN_LOG_LEVEL=0`` (TensorFlow's "show everything") and they are left alone.
"""

from __future__ import annotations

import contextlib
import os
import sys


@contextlib.contextmanager
def quiet_stderr():
    """File descriptor 2 sent to ``/dev/null`` for the block (C++ libraries write there).

    Example:
        >>> with quiet_stderr():
        ...     os.write(2, b"not shown")
        9
    """
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


def wants_tensorflow_logs() -> bool:
    """Whether the user asked for TensorFlow's own log lines: ``TF_CPP_MIN_LOG_LEVEL=0``
    (TensorFlow's "show everything"; the usual 2 or 3 ask for less, not more)."""
    return os.environ.get("TF_CPP_MIN_LOG_LEVEL", "").strip() == "0"


def import_tensorflow() -> None:
    """Import TensorFlow and Keras and find the devices, quietly unless asked otherwise.

    Example:
        >>> import_tensorflow()
        >>> "tensorflow" in sys.modules
        True
    """
    if wants_tensorflow_logs():
        import keras
        import tensorflow  # noqa: F401

        return
    with quiet_stderr():  # found once, then nothing more is written here
        import keras  # noqa: F401
        import tensorflow as tf

        tf.config.list_physical_devices()  # device discovery logs its CUDA probing here
