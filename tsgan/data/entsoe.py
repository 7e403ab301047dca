"""ENTSO-E Transparency Platform exports, the legacy and the new layout: "MTU" intervals
with (CET)/(CEST) markers, day-first dates, one area per file."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from tsgan.data.errors import DataError
from tsgan.data.parsing import (
    NS,
    Part,
    from_times,
    localize,
    need_column,
    parse_numbers,
    parse_times,
    pick_zone,
)
from tsgan.data.zones import canonical_zone

_MARKER = re.compile(r"\s*\((CET|CEST)\)")


def read_entsoe(path: Path, frame: pd.DataFrame, lines: np.ndarray, opts: dict) -> Part:
    """Prices of an ENTSO-E export (legacy "MTU (CET/CEST)" or the new layout): interval
    starts from the MTU column, whose (CET)/(CEST) markers settle the autumn hour twice."""
    cols = {c.lower(): c for c in frame.columns}
    price = next((cols[c] for c in cols if c.startswith("day-ahead price")), None)
    if opts.get("price_col"):
        price = need_column(path, frame, opts["price_col"])
    if price is None:
        raise DataError(f"{path}: ENTSO-E file without a 'Day-ahead Price' column")
    notes: list[str] = []
    if "area" in cols:  # the new Transparency Platform export
        kind = "ENTSO-E CSV (new platform)"
        areas = frame[cols["area"]].str.strip()
        codes = areas.map(lambda a: canonical_zone(a) or a.removeprefix("BZN|"))
        present = {z: True for z in dict.fromkeys(codes)}
        zone = pick_zone(path, present, opts.get("zone"))
        keep = (codes == zone).to_numpy().copy()
        if "sequence" in cols:
            seqs = frame[cols["sequence"]].str.strip()
            wanted = opts.get("sequence") or "Sequence 1"
            wanted = f"Sequence {wanted}" if str(wanted).isdigit() else str(wanted)
            in_zone = seqs[keep]
            options = list(dict.fromkeys(in_zone))
            if wanted not in options:
                if len(options) == 1:
                    wanted = options[0]
                else:
                    raise DataError(
                        f"{path}: no rows with {wanted!r} for {zone}; sequences: {', '.join(options)}"
                    )
            keep &= (seqs == wanted).to_numpy()
            if len(options) > 1:
                notes.append(f"kept {wanted} (the SDAC auction) of {', '.join(options)}")
        zones = tuple(present)
    else:  # the legacy export: the zone is named in the header ("BZN|FR")
        kind = "ENTSO-E CSV (legacy)"
        named = [canonical_zone(c) or c.removeprefix("BZN|") for c in frame.columns if "|" in c]
        zone = named[0] if named else None
        if opts.get("zone") and zone and (canonical_zone(opts["zone"]) or opts["zone"]) != zone:
            raise DataError(
                f"{path}: zone {opts['zone']!r} is not in the file; zones present: {zone}"
            )
        zones = (zone,) if zone else ()
        keep = np.ones(len(frame), dtype=bool)
    frame, lines = frame.loc[keep].reset_index(drop=True), lines[keep]
    if frame.empty:
        raise DataError(f"{path}: no rows for zone {zone}")
    mtu = frame[frame.columns[0]].str.split(" - ", n=1).str[0].str.strip()
    marker = mtu.str.extract(_MARKER, expand=False)
    bare = mtu.str.replace(_MARKER, "", regex=True)
    dayfirst = opts.get("dayfirst")
    times = parse_times(  # ENTSO-E writes dd/mm/yyyy (or dd.mm.yyyy)
        bare,
        where=str(path),
        lines=lines,
        column=frame.columns[0],
        dayfirst=True if dayfirst is None else dayfirst,
    )
    prices = parse_numbers(
        frame[price],
        decimal=opts.get("decimal"),
        where=str(path),
        lines=lines,
        column=price,
        example="'41.88'",
    )
    if marker.notna().any():  # explicit CET/CEST: no guessing from row order
        offset = marker.map({"CET": 1, "CEST": 2}).astype("float64").to_numpy()
        utc_marked = times.as_unit("ns").asi8 - (np.nan_to_num(offset) * 3600 * NS).astype("int64")
        utc_guess, exists = localize(times)
        marked = ~np.isnan(offset)
        utc = np.where(marked, utc_marked, utc_guess)
        ok = marked | exists
        return Part(path, kind, utc[ok], prices[ok], lines[ok], zone, zones, notes)
    return from_times(times, prices, lines, path, kind, zone=zone, zones=zones, notes=notes)
