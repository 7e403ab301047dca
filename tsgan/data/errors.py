"""The one exception the data layer raises for bad input."""

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
