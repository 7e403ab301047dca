"""Plain tables: any CSV or Parquet file with a time column and a price column (the
epftoolbox dataset among them), found by their names and values."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from tsgan.data.errors import DataError
from tsgan.data.parsing import (
    TZ,
    Part,
    from_times,
    need_column,
    parse_numbers,
    parse_times,
    restore_autumn_hour,
)
from tsgan.data.zones import canonical_zone

_TIME_NAME = re.compile(r"time|date|datum|zeit|mtu|start|stamp|unix|^$|^unnamed", re.IGNORECASE)


_PRICE_NAME = re.compile(r"price|preis|eur|€|prix", re.IGNORECASE)
ALL_INPUTS = "*"  # inputs=ALL_INPUTS: every candidate column (for `tsgan data`)


def read_table(
    path: Path, frame: pd.DataFrame, lines: np.ndarray, opts: dict, *, decimal: str | None
) -> Part:
    """Any table with a time column and a price column (epftoolbox CSV, Parquet, plain CSV)."""
    cols = [str(c) for c in frame.columns]
    time_col = opts.get("time_col")
    if time_col is not None:
        time_col = need_column(path, frame, time_col)
    else:
        candidates = [c for c in cols if _TIME_NAME.search(c)]
        if not candidates:
            raise DataError(
                f"{path}: no time column among {cols}; name it with time_col= (--time-col)"
            )
        time_col = candidates[0]
    price_col = opts.get("price_col")
    if price_col is not None:
        price_col = need_column(path, frame, price_col)
    else:
        named = [c for c in cols if c != time_col and _PRICE_NAME.search(c)]
        if len(named) > 1:
            raise DataError(
                f"{path}: several price-like columns ({', '.join(named)}); pick one with "
                "price_col= (--price-col)"
            )
        if not named:
            raise DataError(
                f"{path}: no price column among {cols} (expected a name with 'price' or 'Preis'); "
                "name it with price_col= (--price-col)"
            )
        price_col = named[0]
    # epftoolbox's layout (an unnamed time column, 24 rows every day): its price file, and
    # its published forecasts whichever column is read (--price-col "LEAR Ensemble")
    normalised = cols[0] in ("", "Unnamed: 0", "date")
    epftoolbox = normalised and price_col == "Price"
    kind = "epftoolbox CSV" if epftoolbox else "CSV table"
    if frame.attrs.get("parquet"):
        kind = "Parquet table"
    times = parse_times(
        frame[time_col],
        where=str(path),
        lines=lines,
        column=time_col,
        dayfirst=opts.get("dayfirst"),
    )
    example = "'41,88'" if decimal == "," else "'41.88'"
    notes = []
    if times.tz is None:  # a DST-normalised file's single autumn hour: repeated
        times, lines, frame, dst_normalised = restore_autumn_hour(
            times, lines, frame, tz=opts.get("tz") or TZ, normalised=normalised
        )
        if dst_normalised:
            notes.append("DST-normalised (24 rows every day): the autumn's single hour repeated")
    prices = parse_numbers(
        frame[price_col],
        decimal=decimal,
        where=str(path),
        lines=lines,
        column=price_col,
        example=example,
    )
    candidates = tuple(c for c in cols if c not in (time_col, price_col))
    names = input_names(path, candidates, opts.get("inputs"), default_all=epftoolbox)
    inputs = {
        name: parse_numbers(
            frame[name], decimal=decimal, where=str(path), lines=lines, column=name, example=example
        )
        for name in names
    }
    zone = canonical_zone(opts["zone"]) if opts.get("zone") else None
    return from_times(
        times,
        prices,
        lines,
        path,
        kind,
        zone=zone,
        tz=opts.get("tz"),
        inputs=inputs,
        candidates=candidates,
        notes=notes,
    )


def input_names(path: Path, candidates: tuple[str, ...], asked, *, default_all: bool) -> list[str]:
    """The input columns to read: the ones asked for (each must be a column), every
    candidate for ``ALL_INPUTS``, and by default every column after the price of an
    epftoolbox file (its day-ahead forecasts) and none of another table.

    Example:
        >>> input_names(Path("a.csv"), ("Load", "Wind"), None, default_all=True)
        ['Load', 'Wind']
    """
    if asked is None:
        return list(candidates) if default_all else []
    if asked == ALL_INPUTS:
        return list(candidates)
    missing = [name for name in asked if name not in candidates]
    if missing:
        raise DataError(
            f"{path}: no input column {missing[0]!r}; columns that can be inputs: "
            f"{', '.join(candidates) or 'none'}"
        )
    return list(asked)


def read_parquet(path: Path, opts: dict) -> Part:
    """Prices of a Parquet file with a time and a price column (see :func:`read_table`)."""
    try:
        frame = pd.read_parquet(path)
    except Exception as err:  # pyarrow raises many types for a broken file
        raise DataError(f"{path}: cannot read Parquet ({str(err).splitlines()[0]})") from None
    if isinstance(frame.index, pd.DatetimeIndex):
        frame = frame.reset_index()
    if frame.empty:
        raise DataError(f"{path}: Parquet file with no rows")
    frame.columns = [str(c) for c in frame.columns]
    frame.attrs["parquet"] = True
    return read_table(path, frame, np.arange(1, len(frame) + 1), opts, decimal=opts.get("decimal"))
