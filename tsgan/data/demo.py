"""``demo_prices``: a seeded, German-like hourly market, so tsgan runs with no data at hand."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tsgan.data.calendar import calendar_features

# Mean daily shape (EUR/MWh around the daily mean) of DE-LU working days, measured on the
# Energy-Charts files 2023-01-01..2025-12-31 (see the docstring below).
_WINTER_WEEKDAY = np.array(
    [
        -26,
        -30,
        -33,
        -35,
        -34,
        -27,
        -7,
        18,
        33,
        23,
        11,
        4,
        -1,
        -1,
        3,
        13,
        23,
        36,
        33,
        22,
        7,
        -4,
        -8,
        -20,
    ],
    dtype=float,
)
_SUMMER_WEEKDAY = np.array(
    [
        3,
        -4,
        -7,
        -9,
        -7,
        1,
        23,
        34,
        23,
        2,
        -17,
        -30,
        -40,
        -47,
        -48,
        -41,
        -28,
        -7,
        15,
        45,
        63,
        43,
        23,
        9,
    ],
    dtype=float,
)
# Weekend shapes minus the working-day shape (flat nights, no morning ramp, deeper midday).
_SATURDAY_DELTA = np.array(
    [
        25,
        24,
        25,
        25,
        22,
        15,
        -5,
        -22,
        -22,
        -14,
        -11,
        -10,
        -9,
        -12,
        -12,
        -12,
        -12,
        -8,
        -5,
        -10,
        -5,
        6,
        11,
        15,
    ],
    dtype=float,
)
_SUNDAY_DELTA = np.array(
    [
        27,
        25,
        25,
        25,
        22,
        15,
        -8,
        -29,
        -32,
        -23,
        -15,
        -12,
        -12,
        -17,
        -19,
        -16,
        -11,
        -8,
        -1,
        -3,
        3,
        16,
        24,
        26,
    ],
    dtype=float,
)
_HOURS = np.arange(24)


def demo_prices(
    start: str = "2023-01-01",
    end: str = "2024-12-31",
    *,
    seed: int = 0,
) -> pd.Series:
    """DEMO DATA: a seeded stochastic model of an hourly German-like day-ahead market.

    Not real prices. It exists so that ``tsgan train --demo`` runs on a fresh machine.
    Every day the model draws:

    - a price level: a seasonal mean (winter high, spring/summer low) times a log-AR(1)
      regime with day-to-day persistence 0.65, times a day-type factor (Saturday 0.77,
      Sunday 0.65, public holiday 0.55 of a working day);
    - a daily shape: the working-day profile blends a winter shape (morning and evening
      peaks) into a summer shape (a midday solar dip and a high evening peak) with the sun's
      season; weekends and holidays have flat nights and no morning ramp;
    - a sunny-day factor that deepens the midday dip, which brings negative hours to spring
      and summer weekends and holidays;
    - hour-to-hour AR(1) noise and, on about 2% of days, an evening price spike.

    The 23- and 25-hour DST days follow the Europe/Berlin calendar: the spring 02:00 hour is
    absent, and the autumn 02:00 hour appears twice with slightly different prices.

    Calibrated to DE-LU day-ahead prices 2023-01-01..2025-12-31 (Energy-Charts files, 1,096
    days), measured with ``scripts/calibrate_demo.py``: mean 87.7 EUR/MWh, hourly sd 51.3,
    sd of daily means 35.8, lag-1 autocorrelation of daily means 0.65, mean level by day
    type 96.7 (working day) / 74.0 (Saturday) / 63.2 (Sunday) / 53.5 (holiday), median
    daily max-min spread 98.9 (95th percentile 216), 5.1% negative hours (10.8% in May,
    0.2% in February), 0.5%/99.5% quantiles -32.7 / 266. The same script prints the demo's
    own figures beside these.

    Args:
        start: first local delivery day (inclusive). Two years by default: enough for
            the demo, and the default training (about 27,000 updates) takes well under a minute.
        end: last local delivery day (inclusive).
        seed: the random seed; the same seed gives the same prices.

    Returns:
        Hourly prices in EUR/MWh named ``"price"``, indexed by tz-aware Europe/Berlin
        interval starts, with ``attrs["format"] == "tsgan demo data (synthetic)"``.

    Example:
        >>> prices = demo_prices("2024-01-01", "2024-12-31", seed=1)
        >>> len(prices), prices.attrs["format"]
        (8784, 'tsgan demo data (synthetic)')
    """
    rng = np.random.default_rng(seed)
    days = pd.date_range(start, end, freq="D", name="date")
    if days.empty:
        raise ValueError(f"demo_prices: no day between {start} and {end}")
    n = len(days)
    cal = calendar_features(days)
    doy = days.day_of_year.to_numpy()
    sun = 0.5 + 0.5 * np.cos(2 * np.pi * (doy - 172) / 365.25)  # 1 at midsummer, 0 at midwinter

    # Level: season × persistent regime × day type.
    season = 86.0 + 14.0 * np.cos(2 * np.pi * (doy - 20) / 365.25)
    regime = np.empty(n)
    regime[0] = rng.normal(0, 0.3)
    shocks = rng.normal(0, 0.23, n)
    for d in range(1, n):
        regime[d] = 0.65 * regime[d - 1] + shocks[d]
    daytype = np.select(
        [cal["holiday"].to_numpy() == 1, cal["dow"].to_numpy() == 6, cal["dow"].to_numpy() == 5],
        [0.55, 0.65, 0.77],
        default=1.0,
    )
    level = 1.23 * season * np.exp(regime - 0.03) * daytype  # (D,)

    # Shape: winter → summer with the sun; weekend deltas; sunny days dip deeper at midday.
    shape = (1 - sun)[:, None] * _WINTER_WEEKDAY + sun[:, None] * _SUMMER_WEEKDAY  # (D, 24)
    weekend = np.where(cal["dow"].to_numpy() == 5, 1, 0)[:, None] * _SATURDAY_DELTA
    weekend = (
        weekend
        + np.where((cal["dow"].to_numpy() == 6) | (cal["holiday"].to_numpy() == 1), 1, 0)[:, None]
        * _SUNDAY_DELTA
    )
    sunny = rng.beta(2, 2, n) * (0.3 + sun)  # (D,)
    dip = np.exp(-0.5 * ((_HOURS - 13) / 2.6) ** 2)  # (24,)
    amplitude = np.clip(level / 88.0, 0.35, 3.0) ** 0.8
    curves = level[:, None] + amplitude[:, None] * (shape + weekend)
    curves -= (sunny * 80.0)[:, None] * dip * np.clip(level / 88.0, 0.6, 1.5)[:, None]

    # Hour-to-hour noise and a few evening spikes.
    noise = np.empty((n, 24))
    eps = rng.normal(0, 9.0, (n, 24))
    noise[:, 0] = eps[:, 0] / np.sqrt(1 - 0.8**2)
    for h in range(1, 24):
        noise[:, h] = 0.8 * noise[:, h - 1] + eps[:, h]
    curves += noise * np.clip(level / 88.0, 0.5, 2.0)[:, None]
    spike_days = rng.random(n) < 0.02
    spike_hour = rng.integers(17, 21, n)
    curves[spike_days, spike_hour[spike_days]] += rng.uniform(80, 300, int(spike_days.sum()))
    curves = np.round(np.clip(curves, -500.0, 4000.0), 2)

    # The real calendar: 23 or 25 intervals on DST days.
    stamps = pd.date_range(
        days[0].tz_localize("Europe/Berlin"),
        (days[-1] + pd.Timedelta(days=1)).tz_localize("Europe/Berlin"),
        freq="h",
        inclusive="left",
        name="time",
    )
    local_day = stamps.tz_localize(None).normalize()
    row = np.asarray((local_day - days[0]).days)
    hour = np.asarray(stamps.hour)
    values = curves[row, hour]
    repeated = np.asarray(pd.Series(local_day + pd.to_timedelta(hour, "h")).duplicated())
    values[repeated] = np.round(values[repeated] + rng.normal(0, 3.0, int(repeated.sum())), 2)
    prices = pd.Series(values, index=stamps, name="price", dtype="float64")
    prices.attrs = {
        "format": "tsgan demo data (synthetic)",
        "zone": "DEMO",
        "zones": ["DEMO"],
        "sources": [f"tsgan.demo_prices(start={start!r}, end={end!r}, seed={seed})"],
        "resolution": "60min",
        "notes": ["synthetic demo data, not real prices"],
    }
    return prices
