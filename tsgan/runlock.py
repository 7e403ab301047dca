"""One writer per run directory: an OS file lock that the kernel releases when its process
ends, however it ends (a SIGKILL leaves no stale lock).

Every command that writes into a run (``train``, ``--resume``, ``--overwrite``, ``animate``
into the run, ``evaluate --out`` inside it) holds :func:`run_lock` for its whole life;
readers (``sample``, ``animate`` to another folder) never take it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from tsgan.fields import RunError

LOCK = ".tsgan.lock"  # inside the run directory; holds the writer's process id


@contextlib.contextmanager
def run_lock(run: str | os.PathLike) -> Iterator[Path]:
    """Hold ``run`` (a run directory, created if missing) for writing, or refuse at once.

    A directory this call created is removed again if the work inside fails while the
    directory holds nothing but the lock: a run that cannot start leaves no folder.

    Raises:
        RunError: another process holds the run ("RUN is in use by process N").

    Example:
        >>> import tempfile
        >>> with run_lock(Path(tempfile.mkdtemp()) / "run") as run:
        ...     (run / LOCK).is_file()
        True
    """
    run = Path(run)
    if run.exists() and not run.is_dir():
        raise RunError(f"{run}: exists and is not a directory")
    created = not run.exists()
    run.mkdir(parents=True, exist_ok=True)
    fd = os.open(run / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.read(fd, 32).decode(errors="replace").strip()
        os.close(fd)
        who = f"process {holder}" if holder.isdigit() else "another process"
        raise RunError(f"{run} is in use by {who}; wait for it or choose another --out") from None
    try:
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        yield run
    except BaseException:
        if created and [p.name for p in run.iterdir()] == [LOCK]:
            (run / LOCK).unlink()
            run.rmdir()
        raise
    finally:
        os.close(fd)  # releases the lock


def is_lock(path: Path) -> bool:
    """Whether ``path`` is a run's lock file (not part of the run's contents)."""
    return path.name == LOCK
