"""SMARD CSV downloads (Bundesnetzagentur | SMARD.de): semicolon-separated, German or English
headers, a column per bidding zone, German decimal commas."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from tsgan.data.errors import DataError
from tsgan.data.parsing import (
    MISSING,
    Part,
    from_times,
    need_column,
    parse_numbers,
    parse_times,
    pick_zone,
)
from tsgan.data.zones import canonical_zone


def read_smard(path: Path, frame: pd.DataFrame, lines: np.ndarray, opts: dict) -> Part:
    """Prices of one bidding zone of a SMARD CSV (``opts``: ``zone``, ``decimal``,
    ``dayfirst``): the zone given, or the file's only one or DE-LU; each column's values
    read with the decimal mark they show."""
    english = frame.columns[0].lower().startswith("start date")
    decimal = opts.get("decimal")  # None: decided from the values
    price_cols = [
        c for c in frame.columns[1:] if re.search(r"€/mwh|eur/mwh|preis|price", c, re.IGNORECASE)
    ]
    if opts.get("price_col"):
        price_cols = [need_column(path, frame, opts["price_col"])]
    if not price_cols:
        raise DataError(f"{path}: no price column among {list(frame.columns)}")
    by_zone: dict[str, str] = {}
    for col in price_cols:
        by_zone.setdefault(canonical_zone(col) or col, col)
    has_data = {
        z: bool((~frame[c].str.strip().str.lower().isin(MISSING)).any()) for z, c in by_zone.items()
    }
    zone = pick_zone(path, has_data, opts.get("zone"))
    column = by_zone[zone]
    kind = "SMARD CSV (English)" if english else "SMARD CSV"
    if not any(c.lower().startswith(("datum bis", "end date")) for c in frame.columns):
        kind = "SMARD-style CSV"
    times = parse_times(
        frame.iloc[:, 0],
        where=str(path),
        lines=lines,
        column=frame.columns[0],
        dayfirst=opts.get("dayfirst"),
    )
    example = "'41.88'" if english else "'41,88'"
    prices = parse_numbers(
        frame[column], decimal=decimal, where=str(path), lines=lines, column=column, example=example
    )
    return from_times(times, prices, lines, path, kind, zone=zone, zones=tuple(by_zone))
