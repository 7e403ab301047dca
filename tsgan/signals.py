"""SIGTERM as an exception (``timeout``, ``docker stop``, a scheduler), so that every
command's ``finally`` and ``except`` run: temporary files removed, finished work said."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator


class Terminated(BaseException):
    """SIGTERM arrived (``timeout``, ``docker stop``, a scheduler).

    A ``BaseException``, like ``KeyboardInterrupt``, so that no ``except Exception`` on the
    way swallows it; :func:`tsgan.train.train` saves the run and re-raises it.
    """


@contextlib.contextmanager
def sigterm_raises() -> Iterator[None]:
    """SIGTERM raises :class:`Terminated` in the main thread while inside, so that work
    which saves as it goes (a backtest's windows) can say what it saved; the previous
    handler comes back at the end.

    Example:
        >>> with sigterm_raises():
        ...     pass
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum, frame):
        raise Terminated(signum)

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
