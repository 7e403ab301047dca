"""``daily_curves``: a price Series → one row of 24 (or 96) prices per local delivery day."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from tsgan.data.errors import DataError
from tsgan.data.parsing import NS, TZ, localize
from tsgan.data.prices import per_day_resolution

logger = logging.getLogger(__name__)

DST_POLICIES = ("interpolate", "drop")


def hour_columns(n_steps: int = 24) -> list[str]:
    """Column names of a daily curve: ``h00..h23`` for 24 steps, ``q00..q95`` for 96.

    Example:
        >>> hour_columns()[:3]
        ['h00', 'h01', 'h02']
    """
    if n_steps == 24:
        return [f"h{i:02d}" for i in range(24)]
    if n_steps == 96:
        return [f"q{i:02d}" for i in range(96)]
    raise ValueError(f"n_steps must be 24 or 96, got {n_steps}")


def daily_curves(
    prices: pd.Series,
    *,
    freq: str = "1h",
    tz: str | None = None,
    dst: str = "interpolate",
) -> pd.DataFrame:
    """One row per complete local delivery day, columns ``h00..h23`` (EUR/MWh).

    A day is complete when every interval between its local midnights has a price: 24 hours,
    23 on the spring DST day and 25 in autumn (times four for quarter-hours). Days with gaps
    are dropped, never filled. Quarter-hour prices are averaged to hours for ``freq="1h"``,
    as SMARD publishes hourly values since 2025-10-01.

    DST days follow ``dst``: ``"interpolate"`` fills the missing spring hour linearly from its
    neighbours and averages the two autumn hours that share a label; ``"drop"`` drops both
    kinds of days.

    Args:
        prices: prices indexed by interval start, e.g. from :func:`load_prices`. Naive
            times are wall-clock times in ``tz`` (the same rule as for files: the repeated
            autumn hour is told apart by row order).
        freq: ``"1h"`` for 24 values a day or ``"15min"`` for 96.
        tz: the local time zone that defines delivery days; by default the time zone of
            a tz-aware index (``load_prices`` gives its ``tz``), else Europe/Berlin.
        dst: ``"interpolate"`` or ``"drop"``.

    Returns:
        A frame indexed by ``date`` (midnight-normalised naive dates). ``attrs["dropped"]`` maps
        each dropped day (ISO date) to the reason; ``attrs["dst_days"]`` lists the DST days
        that were interpolated or averaged.

    Raises:
        DataError: no complete day, 15-minute curves asked of hourly prices, or a DataFrame
            given (the error names its columns: pass one).

    Example:
        >>> idx = pd.date_range("2024-03-30", "2024-04-01", freq="h", tz="Europe/Berlin",
        ...                     inclusive="left")
        >>> curves = daily_curves(pd.Series(range(len(idx)), index=idx, dtype=float))
        >>> curves.shape, float(curves.loc["2024-03-31", "h02"])
        ((2, 24), 25.5)
    """
    if isinstance(prices, pd.DataFrame):
        columns = [str(c) for c in prices.columns]
        example = next(
            (c for c in columns if "price" in c.lower()), columns[0] if columns else "price"
        )
        raise DataError(
            f"daily_curves takes a Series of prices, not a DataFrame (columns: "
            f"{', '.join(columns[:8]) or 'none'}): pass the price column, e.g. "
            f"daily_curves(frame[{example!r}])"
        )
    table = _curves(prices, freq=freq, tz=tz, dst=dst)
    _report_drops("daily_curves", table.attrs["dropped"], len(table) + len(table.attrs["dropped"]))
    return table


def _curves(prices: pd.Series, *, freq: str, tz: str | None, dst: str) -> pd.DataFrame:
    """:func:`daily_curves` without the warning about dropped days."""
    if dst not in DST_POLICIES:
        raise ValueError(f"dst must be one of {DST_POLICIES}, got {dst!r}")
    slots_per_hour = {"1h": 1, "h": 1, "60min": 1, "15min": 4}.get(freq)
    if slots_per_hour is None:
        raise ValueError(f"freq must be '1h' or '15min', got {freq!r}")
    sources = getattr(prices, "attrs", {}).get("sources") or []
    where = f"{sources[0]}: " if len(sources) == 1 else ""
    series, tz = _local_series(prices, tz)
    day = pd.DatetimeIndex(series.index).tz_localize(None).normalize()  # each price's day
    keep_days, dropped, dst_days = _complete_days(series, day, tz, slots_per_hour, dst, where)
    table = _slot_table(series, day, keep_days, tz, slots_per_hour)
    table.attrs = {"dropped": dict(sorted(dropped.items())), "dst_days": dst_days}
    return table


def _report_drops(who: str, dropped: dict, days: int) -> None:
    if dropped:
        logger.warning("%s: dropped %d of %d days (see .attrs['dropped'])", who, len(dropped), days)


def _local_series(prices: pd.Series, tz: str | None) -> tuple[pd.Series, str]:
    """Prices as float64 in the delivery time zone, sorted, checked; and that zone."""
    series = pd.Series(prices, dtype="float64").dropna()
    if not isinstance(series.index, pd.DatetimeIndex):
        raise DataError("prices must be indexed by time stamps (a DatetimeIndex)")
    if tz is None:
        tz = str(series.index.tz) if series.index.tz is not None else TZ
    if series.index.tz is None:  # wall-clock times in tz, as in files
        utc, exists = localize(series.index, tz=tz)
        series = pd.Series(
            series.to_numpy()[exists],
            index=pd.to_datetime(utc[exists], utc=True).as_unit(series.index.unit),
            name=series.name,
        )
    series = series.set_axis(series.index.tz_convert(tz)).sort_index()
    if series.index.has_duplicates:
        raise DataError("prices have duplicate time stamps; load them with load_prices")
    if series.empty:
        raise DataError("no prices to make daily curves from")
    return series, tz


def _complete_days(series, day, tz, slots_per_hour, dst, where):
    """The days to keep, the dropped days with their reasons, and the DST days kept."""
    step = per_day_resolution(series, tz=tz)  # minutes per interval, one per local day
    if slots_per_hour == 4 and (step > 15).all():
        raise DataError(
            "15-minute curves asked of hourly prices; use freq='1h' (prices are hourly)"
        )
    days = pd.DatetimeIndex(day.unique())
    midnights = days.tz_localize(tz, nonexistent="shift_forward", ambiguous=True)
    next_midnights = (days + pd.Timedelta(days=1)).tz_localize(
        tz, nonexistent="shift_forward", ambiguous=True
    )
    length_min = pd.Series(
        (next_midnights.as_unit("ns").asi8 - midnights.as_unit("ns").asi8) // NS // 60, index=days
    )  # 1380, 1440 or 1500
    step = step.reindex(days)
    native = step.copy()
    if slots_per_hour == 4:
        step = step.where(step <= 15, other=15)  # an hourly day cannot give quarter-hours
    expected = length_min // step
    count = pd.Series(day).value_counts().reindex(days)
    dropped: dict[str, str] = {}
    complete = count == expected
    for d in days[~complete.to_numpy()]:
        dropped[f"{d:%Y-%m-%d}"] = (
            f"{native[d]}-minute prices; 15-minute curves need quarter-hour prices"
            if native[d] > step[d]
            else f"incomplete: {count[d]} of {expected[d]} {step[d]}-minute prices"
            + (
                " (a DST-normalised file?)"
                if length_min[d] == 1500 and count[d] * step[d] == 1440
                else ""
            )
        )
    is_dst = length_min != 1440
    if dst == "drop":
        for d in days[(is_dst & complete).to_numpy()]:
            dropped[f"{d:%Y-%m-%d}"] = f"DST day ({length_min[d] // 60} hours), dst='drop'"
        complete &= ~is_dst
    keep_days = days[complete.to_numpy()]
    if keep_days.empty:
        first, last = days[0], days[-1]
        raise DataError(
            f"{where}no complete day in {first:%Y-%m-%d}..{last:%Y-%m-%d} "
            f"({len(days)} days with prices, all incomplete)"
        )
    return keep_days, dropped, [f"{d:%Y-%m-%d}" for d in keep_days if is_dst[d]]


def _slot_table(series, day, keep_days, tz, slots_per_hour) -> pd.DataFrame:
    """The kept days' prices as one row per day and one column per wall-clock slot; the
    spring DST day's missing slot interpolated, the autumn's repeated one averaged."""
    mask = np.asarray(day.isin(keep_days))
    kept = series[mask]
    kept_local = pd.DatetimeIndex(kept.index)
    kept_day = day[mask]
    if slots_per_hour == 1:
        # Quarter-hours → their hour: mean over the interval's UTC hour, so the two autumn
        # 02:00 hours stay apart until the DST rule averages them below.
        utc_hour = kept.index.tz_convert("UTC").floor("h")
        hourly = kept.groupby([kept_day, utc_hour]).mean()
        first_local = hourly.index.get_level_values(1).tz_convert(tz)
        frame = pd.DataFrame(
            {
                "day": hourly.index.get_level_values(0),
                "slot": first_local.hour,
                "price": hourly.to_numpy(),
            }
        )
    else:
        slot = (kept_local.hour * 60 + kept_local.minute) // 15
        frame = pd.DataFrame({"day": kept_day, "slot": slot, "price": kept.to_numpy()})
    table = frame.groupby(["day", "slot"])["price"].mean().unstack("slot")
    n_slots = 24 * slots_per_hour
    table = table.reindex(columns=range(n_slots))
    gaps = table.isna().any(axis=1)
    if gaps.any():  # only the spring day misses a wall-clock slot: from its neighbours, or
        # its one neighbour where the clock jumps at midnight (America/Santiago)
        filled = table.loc[gaps].interpolate(axis=1, limit_area="inside")
        table.loc[gaps] = filled.bfill(axis=1).ffill(axis=1)
    table.columns = hour_columns(n_slots)
    table.index = pd.DatetimeIndex(table.index, name="date")
    return table


PRICE = "price"  # the prices' name in a daily panel


def fingerprint(frame: pd.DataFrame) -> str:
    """A short hash of a table's values, days and columns: what a run resumes on and
    what cached forecasts are kept under.

    Example:
        >>> idx = pd.date_range("2024-01-01", periods=2)
        >>> len(fingerprint(pd.DataFrame([[1.0], [2.0]], index=idx)))
        16
    """
    import hashlib

    digest = hashlib.sha256(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
    digest.update(repr(list(frame.columns)).encode())
    return digest.hexdigest()[:16]


def daily_panel(
    prices: pd.Series | None,
    inputs: pd.DataFrame | None = None,
    *,
    freq: str = "1h",
    dst: str = "interpolate",
) -> pd.DataFrame:
    """Daily curves of the prices and of each input side by side: one row per delivery day,
    columns ``(name, hNN)`` (``"price"`` first, then the inputs), what a forecast model
    trains on and samples from.

    Each part's days follow :func:`daily_curves` (DST days included); a day one part lacks
    (a gap, an incomplete day) is NaN in that part's columns, so tomorrow's row can hold
    its inputs before its prices are known. ``attrs["dropped"]`` names the part and the
    reason of each such day (not logged: which of them matter is the caller's to say).

    Example:
        >>> idx = pd.date_range("2024-06-03", periods=48, freq="h", tz="Europe/Berlin")
        >>> load = pd.DataFrame({"load": range(48)}, index=idx, dtype=float)
        >>> panel = daily_panel(pd.Series(50.0, index=idx[:24]), load)
        >>> panel.shape, panel[("price", "h00")].isna().tolist()
        ((2, 48), [False, True])
    """
    parts, dropped = {}, {}
    named = [] if prices is None else [(PRICE, prices)]
    named += [] if inputs is None else [(str(c), inputs[c].dropna()) for c in inputs.columns]
    for name, series in named:
        if series.empty:
            raise DataError(f"{name}: no values")
        curves = _curves(series, freq=freq, tz=None, dst=dst)  # the drops reported below
        parts[name] = curves
        for day, reason in curves.attrs["dropped"].items():
            dropped.setdefault(day, []).append(f"{name}: {reason}")
    if not parts:
        raise DataError("daily_panel needs prices or inputs")
    panel = pd.concat(parts, axis=1).sort_index()
    panel.index.name = "date"
    panel.attrs = {
        "dropped": {day: "; ".join(reasons) for day, reasons in sorted(dropped.items())},
        "dst_days": sorted({d for c in parts.values() for d in c.attrs["dst_days"]}),
    }
    return panel  # the caller says which drops matter (a forecast needs only some days)
