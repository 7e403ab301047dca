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


DAY_TYPES = ("workday", "saturday", "sunday/holiday")
# The columns of calendar_conditions: the day type one-hot, then the season.
CALENDAR_FEATURES = (*DAY_TYPES, "day_of_year_sin", "day_of_year_cos")
CALENDAR_DIM = len(CALENDAR_FEATURES)
SEASONS = ("winter", "spring", "summer", "autumn")  # DJF, MAM, JJA, SON


def _dates(dates: Iterable | pd.DatetimeIndex) -> pd.DatetimeIndex:
    index = pd.DatetimeIndex(pd.to_datetime(dates if isinstance(dates, pd.Index) else list(dates)))
    return (index.tz_localize(None) if index.tz is not None else index).normalize()


def day_types(dates: Iterable | pd.DatetimeIndex, *, country: str = "DE") -> np.ndarray:
    """The day type of each delivery day: 0 workday, 1 Saturday, 2 Sunday or public holiday.

    A public holiday of ``country`` (``holidays`` package) counts as a Sunday, also when it
    falls on a Saturday. Names are in :data:`DAY_TYPES`.

    Example:
        >>> day_types(["2025-04-11", "2025-04-12", "2025-04-13", "2025-04-18"]).tolist()
        [0, 1, 2, 2]
    """
    index = _dates(dates)
    calendar = holidays.country_holidays(country, years=sorted(set(index.year)) or [2000])
    holiday = np.array([d in calendar for d in index.date], dtype=bool)
    dow = index.day_of_week.to_numpy()
    return np.where(holiday | (dow == 6), 2, np.where(dow == 5, 1, 0))


def seasons(dates: Iterable | pd.DatetimeIndex) -> np.ndarray:
    """Meteorological season of each day: 0 winter (DJF), 1 spring, 2 summer, 3 autumn.

    Example:
        >>> seasons(["2025-01-15", "2025-07-01", "2025-12-01"]).tolist()
        [0, 2, 0]
    """
    return (_dates(dates).month.to_numpy() % 12) // 3


def calendar_conditions(dates: Iterable | pd.DatetimeIndex, *, country: str = "DE") -> np.ndarray:
    """The calendar condition of a conditional model, shape ``(n, 5)``, float32.

    Columns: the day type one-hot (workday, Saturday, Sunday/holiday) and the season as
    sin/cos of the day of the year.

    Example:
        >>> calendar_conditions(["2025-04-13", "2025-04-14"])[:, :3].tolist()  # Sunday, Monday
        [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]
    """
    index = _dates(dates)
    onehot = np.eye(len(DAY_TYPES), dtype="float32")[day_types(index, country=country)]
    doy = (index.day_of_year.to_numpy() - 1) / np.where(index.is_leap_year, 366.0, 365.0)
    season = np.column_stack([np.sin(2 * np.pi * doy), np.cos(2 * np.pi * doy)])
    return np.concatenate([onehot, season.astype("float32")], axis=1).reshape(len(index), 5)
