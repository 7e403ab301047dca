"""The exceptions of the data layer: bad input, and a network that fails (a kind of it)."""

from __future__ import annotations


class DataError(ValueError):
    """Bad or unusable price data; the message is one line naming the file and the problem.

    Example:
        >>> try:
        ...     raise DataError("prices.csv: line 3: price 'abc' is not a number")
        ... except ValueError as err:
        ...     print(err)
        prices.csv: line 3: price 'abc' is not a number
    """


class NetworkError(DataError):
    """Prices could not be downloaded: the network or the server failed after the retries
    (the CLI's exit code 3; bad input is exit code 2). A :class:`DataError`, so code that
    catches those catches it too.

    Example:
        >>> issubclass(NetworkError, DataError)
        True
    """


def refuse_first(bad, message) -> None:
    """Raise a :class:`DataError` for the first row where ``bad`` is true, its text
    ``message(i)`` for that row's position ``i``; nothing when no row is bad.

    Example:
        >>> refuse_first([False, False], lambda i: f"row {i}")
    """
    import numpy as np

    bad = np.asarray(bad, dtype=bool)
    if bad.any():
        raise DataError(message(int(np.argmax(bad))))
