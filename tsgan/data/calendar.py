"""Calendar features of delivery days: the conditions of a conditional model."""

from __future__ import annotations

from collections.abc import Iterable

import holidays
import numpy as np
import pandas as pd

CALENDAR_COLUMNS = (
    "dow",
    "weekend",
    "holiday",
    "month_sin",
    "month_cos",
    "doy_sin",
    "doy_cos",
)


def calendar_features(dates: Iterable | pd.DatetimeIndex, *, country: str = "DE") -> pd.DataFrame:
    """Day of week, weekend and public-holiday flags, and the season as sin/cos.

    Holidays are the national public holidays of ``country`` from the ``holidays`` package
    (for Germany, the days off in every state: New Year, Good Friday, Easter Monday, 1 May,
    Ascension, Whit Monday, 3 October, Christmas).

    Args:
        dates: delivery days (anything ``pandas.DatetimeIndex`` accepts).
        country: ISO country code for the holiday calendar.

    Returns:
        One row per date, index ``date``; columns ``dow`` (0 = Monday), ``weekend`` and
        ``holiday`` (0/1), ``month_sin``/``month_cos`` and ``doy_sin``/``doy_cos``.

    Example:
        >>> f = calendar_features(["2024-12-25", "2024-12-27"])
        >>> f["holiday"].tolist(), f["dow"].tolist()
        ([1, 0], [2, 4])
    """
    index = pd.DatetimeIndex(
        pd.to_datetime(list(dates) if not isinstance(dates, pd.Index) else dates)
    )
    if index.tz is not None:
        index = index.tz_localize(None)
    index = index.normalize()
    years = sorted(set(index.year)) or [2000]
    calendar = holidays.country_holidays(country, years=years)
    month = (index.month.to_numpy() - 1) / 12.0
    doy = (index.day_of_year.to_numpy() - 1) / np.where(index.is_leap_year, 366.0, 365.0)
    frame = pd.DataFrame(
        {
            "dow": index.day_of_week.to_numpy(),
            "weekend": (index.day_of_week >= 5).astype(int),
            "holiday": np.array([d in calendar for d in index.date], dtype=int),
            "month_sin": np.sin(2 * np.pi * month),
            "month_cos": np.cos(2 * np.pi * month),
            "doy_sin": np.sin(2 * np.pi * doy),
            "doy_cos": np.cos(2 * np.pi * doy),
        },
        index=pd.DatetimeIndex(index, name="date"),
    )
    return frame
