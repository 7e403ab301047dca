"""LEAR, the open price-forecasting benchmark's linear model (Lago, Marcjasz, De Schutter and
Weron, Applied Energy 293, 2021), with scikit-learn: the point forecast tsgan's scenarios for
tomorrow are compared with.

For delivery day D, 24 lasso regressions (one per hour) on what is known before the auction:
the prices of D-1, D-2, D-3 and D-7, each input's curves of D, D-1 and D-7, and day-of-week
dummies. Prices and inputs are scaled per calibration window by their median and MAD and
passed through asinh (epftoolbox's "invariant" scaling); each hour's penalty is chosen by
``LassoLarsIC`` (AIC), then a ``Lasso`` with that penalty is fitted. The benchmark's LEAR is
the mean of the forecasts of four calibration windows (56, 84, 1092 and 1456 days),
recalibrated every day.

The penalty is chosen as the scikit-learn of the benchmark's time chose it (epftoolbox calls
``LassoLarsIC(criterion="aic")`` with its defaults of then): on the features centred and
scaled to unit length (``normalize=True``, its default before scikit-learn 1.2), with the
hour's own variance as the noise variance (the AIC of scikit-learn before 1.1), and the lasso
then fitted on the unnormalised features. Today's defaults (no normalisation, an OLS noise
estimate) pick other penalties: on 12 days of the test period the 56-day window's MAE was
7.81 EUR/MWh with them against 5.62 (docs/decisions.md).
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from tsgan.atomic import atomic_path
from tsgan.data.curves import PRICE, fingerprint, hour_columns
from tsgan.settings import INPUT_LAGS, PRICE_LAGS

WINDOWS = (56, 84, 1092, 1456)  # the benchmark's calibration windows, in days
VERSION = "v2"  # in the cache's file names: forecasts of another LEAR are not reused
MAD_TO_SD = 1.4826  # a normal distribution's sd per median absolute deviation


def lear_features(panel: pd.DataFrame, dates: pd.DatetimeIndex) -> np.ndarray:
    """LEAR's inputs of each date, ``(len(dates), 24·(4 + 3·inputs) + 7)``, NaN where the
    panel lacks a day (the date's own prices are never read).

    Example:
        >>> days = pd.date_range("2024-01-01", periods=10)
        >>> panel = pd.concat({"price": pd.DataFrame(np.ones((10, 24)), index=days)}, axis=1)
        >>> lear_features(panel, days[-1:]).shape
        (1, 103)
    """
    names = [n for n in dict.fromkeys(panel.columns.get_level_values(0)) if n != PRICE]
    blocks = [_lagged(panel[PRICE], dates, lag) for lag in PRICE_LAGS]
    blocks += [_lagged(panel[name], dates, lag) for name in names for lag in INPUT_LAGS]
    weekday = np.eye(7)[dates.day_of_week]  # Monday..Sunday dummies
    return np.concatenate([*blocks, weekday], axis=1)


def _lagged(part: pd.DataFrame, dates: pd.DatetimeIndex, lag: int) -> np.ndarray:
    return part.reindex(dates - pd.Timedelta(days=lag)).to_numpy(dtype="float64")


class InvariantScaler:
    """Median/MAD standardisation, then asinh, per column; and back.

    Example:
        >>> s = InvariantScaler(np.array([[1.0], [2.0], [4.0]]))
        >>> bool(np.allclose(s.inverse(s.forward(np.array([[3.0]]))), 3.0))
        True
    """

    def __init__(self, values: np.ndarray) -> None:
        self.median = np.median(values, axis=0)
        mad = np.median(np.abs(values - self.median), axis=0) * MAD_TO_SD
        self.mad = np.where(mad > 1e-9, mad, 1.0)

    def forward(self, values: np.ndarray) -> np.ndarray:
        return np.arcsinh((values - self.median) / self.mad)

    def inverse(self, values: np.ndarray) -> np.ndarray:
        return np.sinh(values) * self.mad + self.median


def lear_forecast(
    panel: pd.DataFrame, day: pd.Timestamp, *, window: int, max_iter: int = 2500
) -> np.ndarray:
    """LEAR's forecast of one delivery day, calibrated on the ``window`` days before it.

    Args:
        panel: a daily panel (:func:`tsgan.daily_panel`) with the prices before ``day`` and
            the inputs of ``day``; its prices of ``day`` and later are not read.
        day: the delivery day.
        window: calibration days (the ones before ``day`` with complete features are used).
        max_iter: the lasso's iterations.

    Returns:
        The 24 (or 96) forecast prices of ``day`` in EUR/MWh.

    Example:
        >>> lear_forecast(panel, pd.Timestamp("2016-01-04"), window=1456)  # doctest: +SKIP
    """
    try:
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.linear_model import Lasso, LassoLarsIC
    except ImportError:
        raise ImportError('LEAR needs scikit-learn: pip install "tsgan[forecast]"') from None

    day = pd.Timestamp(day).normalize()
    days = pd.date_range(end=day - pd.Timedelta(days=1), periods=window)
    X = lear_features(panel, days)
    Y = panel[PRICE].reindex(days).to_numpy(dtype="float64")
    known = np.isfinite(X).all(axis=1) & np.isfinite(Y).all(axis=1)
    X, Y = X[known], Y[known]
    x = lear_features(panel, pd.DatetimeIndex([day]))
    if not np.isfinite(x).all():
        raise ValueError(f"{day:%Y-%m-%d}: the panel lacks the prices or inputs LEAR needs")
    if len(X) < 8:
        raise ValueError(f"{day:%Y-%m-%d}: only {len(X)} calibration days with all features")
    sx, sy = InvariantScaler(X[:, :-7]), InvariantScaler(Y)
    Xs = np.column_stack([sx.forward(X[:, :-7]), X[:, -7:]])
    xs = np.column_stack([sx.forward(x[:, :-7]), x[:, -7:]])
    Ys = sy.forward(Y)
    Xn = unit_length(Xs)
    out = np.empty(Y.shape[1])
    with warnings.catch_warnings():  # the short windows' lasso stops at max_iter, as upstream's
        warnings.simplefilter("ignore", category=ConvergenceWarning)
        for h in range(Y.shape[1]):
            y = Ys[:, h]
            alpha = LassoLarsIC(criterion="aic", max_iter=max_iter, noise_variance=np.var(y))
            alpha = float(alpha.fit(Xn, y).alpha_)
            # coordinate descent on the Gram matrix: the same fit (to 1e-10), 6x faster
            lasso = Lasso(alpha=max(alpha, 1e-8), max_iter=max_iter, precompute=True)
            out[h] = float(lasso.fit(Xs, y).predict(xs)[0])
    return sy.inverse(out[None])[0]


def unit_length(X: np.ndarray) -> np.ndarray:
    """The columns centred and scaled to unit Euclidean length (constant ones left at 0):
    what ``normalize=True`` did to ``LassoLarsIC``'s features before scikit-learn 1.2.

    Example:
        >>> unit_length(np.array([[1.0, 5.0], [3.0, 5.0]])).tolist()
        [[-0.7071067811865475, 0.0], [0.7071067811865475, 0.0]]
    """
    centred = X - X.mean(axis=0)
    norms = np.sqrt((centred**2).sum(axis=0))
    return centred / np.where(norms > 0, norms, 1.0)


def _calibrated(panel: pd.DataFrame, day: pd.Timestamp, window: int) -> np.ndarray:
    """LEAR's forecast of ``day``, or NaN when too few days before it can calibrate it."""
    try:
        return lear_forecast(panel, day, window=window)
    except ValueError:
        return np.full(panel[PRICE].shape[1], np.nan)


def lear_forecasts(
    panel: pd.DataFrame,
    days: pd.DatetimeIndex,
    *,
    windows=WINDOWS,
    cache: str | os.PathLike | None = None,
    ray: dict | None = None,
    chunk: int = 14,
    progress=None,
) -> pd.DataFrame:
    """LEAR's ensemble forecast of each day that has its features, recalibrated every day,
    ``(days, steps)``.

    Args:
        cache: a folder where each window's forecasts are kept per dataset
            (:func:`tsgan.data.curves.fingerprint`) and window, saved after every ``chunk`` days, so an
            interrupted computation and a second backtest reuse them.
        ray: ``{"workers": N}`` or ``{"address": A}``: the days, ``chunk`` at a time, as
            Ray tasks (:func:`tsgan.parallel.ray_map`); without, one after another here.
        progress: called with a line as each tenth of the days is done.

    Example:
        >>> lear_forecasts(panel, pd.date_range("2016-01-04", "2016-01-10"))  # doctest: +SKIP
    """
    steps = panel[PRICE].shape[1]
    known = pd.DatetimeIndex(
        [d for d in days if np.isfinite(lear_features(panel, pd.DatetimeIndex([d]))).all()]
    )
    data_key = fingerprint(panel) if cache is not None else ""
    paths = {
        w: None if cache is None else Path(cache) / f"lear-{VERSION}-{data_key}-{w}.parquet"
        for w in windows
    }
    tables, jobs = {}, []
    for window, path in paths.items():
        done = pd.read_parquet(path) if path is not None and path.is_file() else None
        tables[window] = done if done is not None else pd.DataFrame(columns=hour_columns(steps))
        todo = known.difference(tables[window].index)
        jobs += [
            ((window, k), (todo[k : k + chunk], window), {}) for k in range(0, len(todo), chunk)
        ]
    total, finished = sum(len(d) for _, (d, _), _ in jobs), 0

    def save(key, table: pd.DataFrame) -> None:
        nonlocal finished
        window = key[0]
        parts = [t for t in (tables[window], table) if len(t)]
        tables[window] = pd.concat(parts).sort_index()
        tenth = 10 * finished // total
        finished += len(table)
        if paths[window] is not None:
            paths[window].parent.mkdir(parents=True, exist_ok=True)
            with atomic_path(paths[window]) as tmp:
                tables[window].to_parquet(tmp)
        if progress is not None and 10 * finished // total > tenth:  # every tenth
            progress(f"LEAR: {finished}/{total} day-windows done")

    if ray:
        from tsgan.parallel import ray_map

        ray_map(_forecast_days, jobs, save, shared={"panel": panel}, **ray)
    else:
        for key, (part, window), _ in jobs:
            save(key, _forecast_days(part, window, panel=panel))
    return sum(tables[w].loc[known] for w in windows) / len(windows)


def _forecast_days(days: pd.DatetimeIndex, window: int, *, panel: pd.DataFrame) -> pd.DataFrame:
    """One calibration window's forecasts of ``days``, each recalibrated on its own window
    (NaN rows for days too early to calibrate)."""
    rows = [_calibrated(panel, day, window) for day in days]
    steps = panel[PRICE].shape[1]
    return pd.DataFrame(
        np.reshape(rows, (len(days), steps)), index=days, columns=hour_columns(steps)
    )
