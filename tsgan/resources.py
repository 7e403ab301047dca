"""Work checked against this machine's memory before it starts: a request that cannot fit
is one line with the figures, not a process killed by the kernel minutes later."""

from __future__ import annotations

import os

from tsgan.fields import RunError

SMALL = 2**28  # bytes (256 MB) any machine tsgan runs on has: not worth checking


def available_memory() -> int:
    """Bytes of memory available to a new allocation (Linux ``MemAvailable``; elsewhere
    the free physical pages; 0 when unknown).

    Example:
        >>> available_memory() >= 0
        True
    """
    try:
        with open("/proc/meminfo", encoding="ascii") as info:
            for line in info:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 0


def check_fits(needed: float, what: str) -> None:
    """Refuse ``what`` when it needs more bytes than the machine has available.

    Raises:
        RunError: "WHAT needs about N GB of memory; this machine has M GB available".

    Example:
        >>> check_fits(1e3, "a small thing")
    """
    if needed < SMALL:  # everyday sizes (a frame's curves, a model) without reading /proc
        return
    have = available_memory()
    if have and needed > have:
        raise RunError(
            f"{what} needs about {needed / 1e9:,.1f} GB of memory; this machine has "
            f"{have / 1e9:,.1f} GB available"
        )
