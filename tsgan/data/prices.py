"""``load_prices``: files of any supported format → one clean price Series."""

from __future__ import annotations

import logging
import re
import zoneinfo
from collections.abc import Sequence

import numpy as np
import pandas as pd

from tsgan.data.errors import DataError, refuse_first
from tsgan.data.formats import Source, expand_sources, read_file
from tsgan.data.parsing import NS, TZ, Part
from tsgan.data.zones import canonical_zone

logger = logging.getLogger(__name__)


def load_prices(
    source: Source,
    *,
    zone: str | None = None,
    time_col: str | None = None,
    price_col: str | None = None,
    sequence: str | int | None = None,
    decimal: str | None = None,
    dayfirst: bool | None = None,
    tz: str = TZ,
) -> pd.Series:
    """Read day-ahead prices from files, whatever their format, into one Series (the input
    columns of a table, day-ahead forecasts, come from :func:`load_inputs`).

    The format is detected from the content: SMARD download-centre CSV (German or English),
    ENTSO-E exports (legacy and new platform), Energy-Charts API JSON (one file or a folder of
    daily files), SMARD chart_data JSON, epftoolbox CSV, and any CSV or Parquet table with a
    time and a price column. Naive local times are Europe/Berlin wall-clock times; the
    repeated autumn hour is told apart by row order (first summer, then winter time).

    Args:
        source: a file, a directory (every ``.csv/.json/.parquet`` file inside), or a list.
        zone: bidding zone in multi-zone files (``"DE-LU"``, ``"AT"``, ``"FR"``...). By default
            the German zone that has data.
        time_col: the time column of a plain table, when the guess is ambiguous.
        price_col: the price column of a plain table, when the guess is ambiguous.
        sequence: the ENTSO-E auction sequence to keep (default ``"Sequence 1"``, SDAC).
        decimal: the decimal mark of text prices, ``"."`` or ``","``. By default it is
            decided from the values of each file (``60,63`` settles it; ``1.234`` alone
            does not), and a file that does not settle it is an error asking for this.
        dayfirst: whether ``01/02/2024``-style dates put the day first. By default decided
            from the rows (a day above 12 settles it); unsettled is an error asking for this.
        tz: the time zone of the market: naive times in plain tables are wall-clock
            times there (the repeated autumn hour told apart by row order), and the result
            is indexed in it, so :func:`daily_curves` makes its delivery days. Europe/Berlin
            by default; e.g. ``"America/New_York"`` for PJM files.

    Returns:
        float64 prices in EUR/MWh named ``"price"``, indexed by the interval start (sorted,
        unique, tz-aware Europe/Berlin), at the file's native resolution, without missing
        values. ``attrs`` tells ``format``, ``zone``, ``sources``, ``resolution`` and ``notes``.

    Raises:
        DataError: one line naming the file and the problem.

    Example:
        >>> prices = load_prices("../shared/data/smard")          # doctest: +SKIP
        >>> prices.attrs["zone"], prices.attrs["resolution"]      # doctest: +SKIP
        ('DE-LU', '60min')
    """
    opts = {
        "zone": zone,
        "time_col": time_col,
        "price_col": price_col,
        "sequence": sequence,
        "decimal": decimal,
        "dayfirst": dayfirst,
        "tz": tz,
    }
    paths, parts = _read_parts(source, opts)
    for part in parts:
        if len(part.prices) == 0 or np.isnan(part.prices).all():
            raise DataError(f"{part.path}: no prices, only missing values")
    zones = {p.zone for p in parts if p.zone}
    if len(zones) > 1:
        raise DataError(
            f"{paths[0].parent}: the files hold different zones: {', '.join(sorted(zones))}"
        )
    series = merge_parts(parts)
    series.index = series.index.tz_convert(tz)
    resolution = describe_resolution(
        series, where=str(paths[0] if len(paths) == 1 else paths[0].parent), tz=tz
    )
    formats = list(dict.fromkeys(p.format for p in parts))
    notes = [f"{p.path.name}: {n}" for p in parts for n in p.notes]
    series.attrs = {
        "format": ", ".join(formats),
        "zone": zones.pop() if zones else (canonical_zone(zone) or zone if zone else None),
        "zones": sorted({z for p in parts for z in p.zones}),
        "sources": [str(p) for p in paths],
        "resolution": resolution,
        "notes": list(dict.fromkeys(notes)),
    }
    for note in series.attrs["notes"]:
        logger.info(note)
    return series


def _read_parts(source: Source, opts: dict) -> tuple[list, list[Part]]:
    """The files of ``source`` and what each holds, the options checked first."""
    tz = opts["tz"]
    try:
        zoneinfo.ZoneInfo(tz)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError):
        raise DataError(
            f"tz {tz!r} is not a time zone (e.g. Europe/Berlin, America/New_York)"
        ) from None
    if opts.get("decimal") not in (None, ".", ","):
        raise DataError(f"decimal must be '.' or ',', got {opts['decimal']!r}")
    paths = expand_sources(source)
    parts = [read_file(p, **opts) for p in paths]
    for part in parts:
        _refuse_infinite(part)
    return paths, parts


def _refuse_infinite(part: Part) -> None:
    """Every reader's prices and inputs are finite or missing (JSON's ``Infinity`` and
    ``1e400``, a Parquet file's inf are errors naming the file and the row)."""
    where = "line" if "CSV" in part.format else "row"
    for name, values in {"price": part.prices, **part.inputs}.items():
        refuse_first(
            np.isinf(values),
            lambda i, name=name, values=values: (
                f"{part.path}: {where} {part.lines[i]}: {name} {values[i]} is not a finite number"
            ),
        )


def load_inputs(
    source: Source,
    *,
    inputs: Sequence[str] | str | None = None,
    zone: str | None = None,
    time_col: str | None = None,
    price_col: str | None = None,
    decimal: str | None = None,
    dayfirst: bool | None = None,
    tz: str = TZ,
) -> pd.DataFrame:
    """The input columns of price tables: what is known before the auction (day-ahead
    forecasts of load, wind and solar), one column each, indexed as :func:`load_prices`
    indexes the prices.

    By default an epftoolbox file gives every column after its price, another table none;
    ``inputs`` names them (``"*"``: every column that is not the time or the price). Other
    formats (SMARD, ENTSO-E, Energy-Charts) hold prices only. A column that looks like
    another price (another zone's day-ahead price is not known before the auction) is
    read only when named, with a warning.

    Returns:
        float64 values, NaN where the file has none; ``attrs["candidates"]`` lists the
        columns that could be inputs.

    Example:
        >>> load_inputs("../shared/data/epftoolbox/DE.csv").columns.tolist()  # doctest: +SKIP
        ['Ampirion Load Forecast', 'PV+Wind Forecast']
    """
    if isinstance(inputs, str) and inputs != "*":
        inputs = [name.strip() for name in inputs.split(",") if name.strip()]
    opts = {"zone": zone, "time_col": time_col, "price_col": price_col, "decimal": decimal}
    opts |= {"dayfirst": dayfirst, "tz": tz, "inputs": inputs}
    paths, parts = _read_parts(source, opts)
    if inputs and inputs != "*":  # names asked of a prices-only format
        for part in parts:
            if not part.candidates:
                raise DataError(
                    f"{part.path}: a {part.format} file holds prices only; inputs come from "
                    "a CSV or Parquet table with a time column"
                )
    names = list(dict.fromkeys(n for p in parts for n in p.inputs))
    for name in names:
        if _PRICE_LIKE.search(name) and inputs not in (None, "*"):
            logger.warning(
                "input %r looks like a price: another zone's day-ahead price is not known "
                "before the auction",
                name,
            )
    frames = []
    for part in parts:
        index = pd.DatetimeIndex(pd.to_datetime(part.utc_ns, utc=True), name="time")
        frames.append(pd.DataFrame(part.inputs, index=index, columns=names, dtype="float64"))
    frame = pd.concat(frames).sort_index()
    frame = frame[~frame.index.duplicated(keep="first")]
    frame.index = frame.index.tz_convert(tz)
    frame.attrs = {
        "sources": [str(p) for p in paths],
        "candidates": list(dict.fromkeys(c for p in parts for c in p.candidates)),
    }
    return frame


_PRICE_LIKE = re.compile(r"price|preis|prix|€|eur/mwh", re.IGNORECASE)


def merge_parts(parts: list[Part]) -> pd.Series:
    utc = np.concatenate([p.utc_ns for p in parts])
    prices = np.concatenate([p.prices for p in parts])
    lines = np.concatenate([p.lines for p in parts])
    owner = np.concatenate([np.full(len(p.utc_ns), i) for i, p in enumerate(parts)])
    order = np.lexsort((np.isnan(prices), utc))  # by time; a real value before a missing one
    utc, prices, lines, owner = utc[order], prices[order], lines[order], owner[order]
    same = utc[1:] == utc[:-1]
    clash = same & ~np.isnan(prices[1:]) & (prices[1:] != prices[:-1])
    if clash.any():
        i = int(np.argmax(clash))
        a, b = parts[owner[i]], parts[owner[i + 1]]
        stamp = pd.Timestamp(utc[i], tz="UTC").tz_convert(TZ)
        where = f"{a.path}: line {lines[i]}" if a is b else f"{a.path} and {b.path}"
        raise DataError(
            f"{where}: time {stamp.isoformat()} appears twice with different prices "
            f"({prices[i]:g} and {prices[i + 1]:g})"
        )
    keep = np.concatenate([[True], ~same]) & ~np.isnan(prices)
    index = pd.DatetimeIndex(pd.to_datetime(utc[keep], utc=True), name="time").tz_convert(TZ)
    return pd.Series(prices[keep], index=index, name="price", dtype="float64")


def describe_resolution(prices: pd.Series, *, where: str = "prices", tz: str = TZ) -> str:
    """The native resolution of a price Series, period by period (``"60min"``, ``"15min"``...).

    Each local day has one resolution, the most common spacing of its stamps; every stamp of
    the day must lie on that grid. The resolution may change from one day to another (DE-LU
    moved to 15-minute products on 2025-10-01), but not within a day.

    Raises:
        DataError: stamps of one day at two resolutions.

    Example:
        >>> idx = pd.date_range("2024-01-01", periods=48, freq="h", tz="Europe/Berlin")
        >>> describe_resolution(pd.Series(1.0, index=idx))
        '60min'
    """
    minutes = per_day_resolution(prices, where=where, tz=tz)
    if minutes.empty:
        return "unknown"
    if (minutes >= 24 * 60).all():
        raise DataError(
            f"{where}: one price a day (or fewer): tsgan needs sub-daily day-ahead prices "
            "(hourly or 15-minute)"
        )
    runs = (minutes != minutes.shift()).cumsum()
    periods = [(int(g.iloc[0]), g.index[0], g.index[-1]) for _, g in minutes.groupby(runs)]
    if len(periods) == 1:
        return f"{periods[0][0]}min"
    return ", ".join(f"{m}min {a:%Y-%m-%d}..{b:%Y-%m-%d}" for m, a, b in periods)


def per_day_resolution(prices: pd.Series, *, where: str = "prices", tz: str = TZ) -> pd.Series:
    """Minutes between stamps for each local day in ``tz`` (index: naive dates)."""
    index = pd.DatetimeIndex(prices.index)
    if len(index) == 0:
        return pd.Series(dtype="int64")
    utc = index.as_unit("ns").asi8 // NS // 60  # minutes since the epoch
    local = index.tz_convert(tz) if index.tz is not None else index
    wall = local.tz_localize(None) if local.tz is not None else local  # local clock times
    day = wall.normalize()  # (not local.normalize(): a DST change at midnight has none)
    step = np.diff(utc)
    same_day = np.asarray(day[1:] == day[:-1])
    frame = pd.DataFrame({"day": day[1:][same_day], "step": step[same_day]})
    # each day's most common step (the smallest of equally common ones), without a Python
    # function per day
    counts = frame.groupby(["day", "step"]).size().reset_index(name="n")
    counts = counts.sort_values(["day", "n", "step"], ascending=[True, False, True])
    mode = counts.drop_duplicates("day").set_index("day")["step"]
    overall = int(pd.Series(step).mode().min()) if len(step) else 60
    mode = mode.reindex(pd.Index(day.unique(), name="day")).fillna(overall).astype("int64")
    offset = pd.Series(
        (wall - day).total_seconds().to_numpy() // 60, index=day
    )  # minutes since local midnight on the clock (a DST shift is a whole hour)
    grid = mode.reindex(day).to_numpy()
    off_grid = (offset.to_numpy() % grid) != 0
    refuse_first(
        off_grid,
        lambda i: (
            f"{where}: mixed resolutions on {day[i]:%Y-%m-%d}: stamp {local[i]:%H:%M} is "
            f"off the {grid[i]}-minute grid of that day"
        ),
    )
    return mode


# Who to credit for prices read in each format (the start of the format's name → credit).
CREDITS = {
    "SMARD": "Bundesnetzagentur | SMARD.de (CC BY 4.0)",
    "smard": "Bundesnetzagentur | SMARD.de (CC BY 4.0)",
    "Energy-Charts": "Bundesnetzagentur | SMARD.de (CC BY 4.0), via Energy-Charts",
    "energy-charts": "Bundesnetzagentur | SMARD.de (CC BY 4.0), via Energy-Charts",
    "ENTSO-E": "ENTSO-E Transparency Platform",
    "epftoolbox": "EPEX SPOT, via epftoolbox (Lago et al., Applied Energy 2021)",
    "tsgan demo": "synthetic (tsgan demo data)",
}


def data_credit(prices: pd.Series) -> str | None:
    """The credit line for the sources of loaded prices (None for a plain table).

    Example:
        >>> s = pd.Series(dtype=float)
        >>> s.attrs["format"] = "ENTSO-E CSV (legacy), SMARD CSV"
        >>> data_credit(s)
        'ENTSO-E Transparency Platform; Bundesnetzagentur | SMARD.de (CC BY 4.0)'
    """
    formats = [f.strip() for f in str(prices.attrs.get("format") or "").split(",")]
    found = [
        next((credit for start, credit in CREDITS.items() if f.startswith(start)), None)
        for f in formats
    ]
    credits = list(dict.fromkeys(c for c in found if c))
    return "; ".join(credits) or None
