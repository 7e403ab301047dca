"""The rolling backtest of scenarios for tomorrow, the protocol of the price-forecasting field.

At each recalibration date a generator is fitted on the days before it (a window of at most
``window`` days), then gives ``n`` scenarios for each day up to the next recalibration. Every
day is scored on what was realized: energy score, variogram score (p = 0.5), CRPS averaged
over the hours, MAE of the hourly median, and whether the central 50% and 90% intervals
cover each hour. Point forecasts become scenarios by adding the error vectors of their last
90 days (each day's errors kept whole: their empirical copula).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from tsgan.data.curves import PRICE
from tsgan.evaluation.metrics import crps_per_hour, energy_terms, variogram_scores

ERROR_DAYS = 90  # the error vectors a point forecast's scenarios are made of
MAX_WINDOW = 1456  # four years: the longest calibration window of the benchmark
SCORE_COLUMNS = ("es", "vs", "crps", "mae", "cover50", "cover90")


@dataclass(frozen=True)
class Window:
    """One recalibration: train on ``train_from..train_to``, forecast ``start..end``."""

    train_from: pd.Timestamp
    train_to: pd.Timestamp
    start: pd.Timestamp
    end: pd.Timestamp

    @property
    def days(self) -> pd.DatetimeIndex:
        return pd.date_range(self.start, self.end, freq="D")

    @property
    def name(self) -> str:
        return f"{self.start:%Y-%m-%d}"


def rolling_windows(
    first: str | pd.Timestamp,
    last: str | pd.Timestamp,
    *,
    recalibrate: int,
    window: int | None = None,
    data_start: str | pd.Timestamp,
) -> list[Window]:
    """The recalibration windows from ``first`` to ``last`` (inclusive), every ``recalibrate``
    days, each training on the ``window`` days before it (default: every day since
    ``data_start``, at most ``MAX_WINDOW``).

    Example:
        >>> ws = rolling_windows("2016-01-04", "2016-02-29", recalibrate=28, data_start="2012-01-09")
        >>> [(w.name, len(w.days), f"{w.train_from:%Y-%m-%d}") for w in ws]
        [('2016-01-04', 28, '2012-01-09'), ('2016-02-01', 28, '2012-02-06'), ('2016-02-29', 1, '2012-03-05')]
    """
    if recalibrate < 1:
        raise ValueError(f"recalibrate must be at least 1 day, got {recalibrate}")
    first, last = pd.Timestamp(first).normalize(), pd.Timestamp(last).normalize()
    if last < first:
        raise ValueError(f"the backtest ends ({last:%Y-%m-%d}) before it starts ({first:%Y-%m-%d})")
    span = min(window or MAX_WINDOW, MAX_WINDOW)
    out = []
    for start in pd.date_range(first, last, freq=f"{recalibrate}D"):
        end = min(start + pd.Timedelta(days=recalibrate - 1), last)
        train_to = start - pd.Timedelta(days=1)
        train_from = max(pd.Timestamp(data_start), start - pd.Timedelta(days=span))
        out.append(Window(train_from, train_to, start, end))
    return out


def day_scores(scenarios: np.ndarray, realized: np.ndarray) -> pd.DataFrame:
    """The scores of each day's scenarios ``(days, n, steps)`` against what was realized
    ``(days, steps)``: ``es``, ``vs``, ``crps``, ``mae`` and the shares of hours inside
    the central 50% and 90% intervals, ``cover50`` and ``cover90``.

    Example:
        >>> rng = np.random.default_rng(0)
        >>> s = day_scores(rng.normal(size=(3, 400, 24)), rng.normal(size=(3, 24)))
        >>> s.columns.tolist(), bool(0.7 < s["cover90"].mean() <= 1)
        (['es', 'vs', 'crps', 'mae', 'cover50', 'cover90'], True)
    """
    rows = []
    for X, y in zip(scenarios, realized, strict=True):
        lo50, hi50, lo90, hi90 = np.quantile(X, [0.25, 0.75, 0.05, 0.95], axis=0)
        rows.append(
            {
                "es": float(energy_terms(X, y[None])[0][0]),
                "vs": float(variogram_scores(X, y[None])[0]),
                "crps": float(crps_per_hour(X, y[None], as_frame=False).mean()),
                "mae": float(np.abs(np.median(X, axis=0) - y).mean()),
                "cover50": float(((y >= lo50) & (y <= hi50)).mean()),
                "cover90": float(((y >= lo90) & (y <= hi90)).mean()),
            }
        )
    return pd.DataFrame(rows, columns=list(SCORE_COLUMNS))


def error_scenarios(
    point: pd.DataFrame,
    realized: pd.DataFrame,
    days: pd.DatetimeIndex,
    *,
    n: int,
    seed: int,
    history: int = ERROR_DAYS,
) -> np.ndarray:
    """Scenarios of point forecasts: each day's forecast plus ``n`` error vectors drawn from
    the ``history`` days before it (realized − forecast of those days, each kept whole), so
    the errors' joint shape across hours is the empirical one. Days whose error history is
    shorter than ``history`` use what there is (at least one day).

    Returns:
        ``(len(days), n, steps)``.

    Example:
        >>> idx = pd.date_range("2024-01-01", periods=10)
        >>> f = pd.DataFrame(np.zeros((10, 2)), index=idx)
        >>> r = pd.DataFrame(np.ones((10, 2)), index=idx)
        >>> error_scenarios(f, r, idx[-1:], n=3, seed=0)[0].tolist()
        [[1.0, 1.0], [1.0, 1.0], [1.0, 1.0]]
    """
    errors = (realized - point).dropna()
    rng = np.random.default_rng(seed)
    out = []
    for day in days:
        past = errors.loc[day - pd.Timedelta(days=history) : day - pd.Timedelta(days=1)]
        if past.empty:
            raise ValueError(
                f"{day:%Y-%m-%d}: no error of the point forecast in the {history} days before"
            )
        draw = past.to_numpy()[rng.integers(0, len(past), n)]
        out.append(point.loc[day].to_numpy(dtype="float64")[None] + draw)
    return np.stack(out)


def naive_forecasts(panel: pd.DataFrame, days: pd.DatetimeIndex) -> pd.DataFrame:
    """The weekly naive forecast: each day's prices as those of D-7.

    Example:
        >>> idx = pd.date_range("2024-01-01", periods=8)
        >>> panel = pd.concat({"price": pd.DataFrame(np.arange(8.0)[:, None], index=idx)}, axis=1)
        >>> naive_forecasts(panel, idx[-1:]).to_numpy().tolist()
        [[0.0]]
    """
    prices = panel[PRICE]
    out = prices.reindex(days - pd.Timedelta(days=7))
    out.index = days
    return out
