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
