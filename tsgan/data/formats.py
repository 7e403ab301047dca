"""Reading day-ahead price files: format detection from content, one parser per format.

Every parser returns a :class:`Part`: UTC interval starts, prices (NaN where the file says
"missing") and the line of each value, so that errors can name the row. ``load_prices``
concatenates the parts, checks them as a whole and builds one Series.
"""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd

from tsgan.data.errors import DataError
from tsgan.data.zones import GERMAN_ZONES, canonical_zone

logger = logging.getLogger(__name__)

TZ = "Europe/Berlin"
READABLE_SUFFIXES = (".csv", ".json", ".parquet", ".pq", ".txt")
FORMATS_TRIED = (
    "SMARD CSV",
    "ENTSO-E CSV (legacy and new)",
    "Energy-Charts JSON",
    "SMARD chart_data JSON",
    "epftoolbox CSV",
    "CSV or Parquet with a time and a price column",
)
MISSING = frozenset({"", "-", "n/a", "na", "nan", "n/e", "null", "none"})
NS = 1_000_000_000

Source = str | PathLike | Sequence[str | PathLike]


@dataclass
class Part:
    """Prices read from one file, before they are merged with other files."""

    path: Path
    format: str
    utc_ns: np.ndarray  # (N,) int64 nanoseconds since the epoch, interval start
    prices: np.ndarray  # (N,) float64 EUR/MWh, NaN where the file marks a value missing
    lines: np.ndarray  # (N,) int64 line (CSV) or position (JSON) of each value, for errors
    zone: str | None = None
    zones: tuple[str, ...] = ()
    notes: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- small helpers


_SAYS_DECIMAL = {
    # one mark followed by other than exactly three digits, or after a leading 0 or more
    # than three digits: a decimal mark (a thousands group has three digits after 1-3)
    ".": re.compile(r"^[-+\u2212]?(\d*\.(\d{1,2}|\d{4,})|(0|\d{4,})\.\d+)$"),
    ",": re.compile(r"^[-+\u2212]?(\d*,(\d{1,2}|\d{4,})|(0|\d{4,}),\d+)$"),
}
_BOTH_MARKS = re.compile(r"^[-+\u2212]?\d{1,3}(?P<t>[.,])\d{3}(?:(?P=t)\d{3})*(?P<d>[.,])\d+$")
_GROUPED = {
    ".": re.compile(r"^[-+\u2212]?\d{1,3}(,\d{3})+(\.\d+)?$"),
    ",": re.compile(r"^[-+\u2212]?\d{1,3}(\.\d{3})+(,\d+)?$"),
}


def decimal_mark(
    text: pd.Series, *, given: str | None, where: str, lines: np.ndarray, column: str
) -> str:
    """The decimal mark of a column of number strings, decided from all its values.

    A value such as ``60.63``, ``0,5`` or ``1.234,56`` settles the mark; values that do
    not (``1,234`` could be 1.234 or 1234) follow the ones that do. Values that disagree
    (``60.63`` and ``60,63``) are an error, as is a column that nothing settles while its
    values have a mark: the message names the ``decimal`` option (``--decimal``). With
    ``given``, that mark is used, unless the values contradict it.

    Example:
        >>> decimal_mark(pd.Series(["1.234", "60,63"]), given=None, where="f.csv",
        ...              lines=np.array([2, 3]), column="price")
        ','
    """
    # each distinct value once (prices repeat), remembering the row it first appears on
    distinct, first = np.unique(text.to_numpy(dtype=str), return_index=True)
    values = pd.Series(distinct, dtype=object)
    both = values.str.extract(_BOTH_MARKS)["d"].to_numpy(dtype=object)
    says = {}
    for mark, pattern in _SAYS_DECIMAL.items():
        hits = values.str.match(pattern).to_numpy(dtype=bool) | (both == mark)
        if hits.any():
            says[mark] = int(first[hits].min())
    other = {".": ",", ",": "."}
    if given is not None:
        wrong = other[given]
        if wrong in says:
            i = says[wrong]
            raise DataError(
                f"{where}: line {lines[i]}: price {text.iloc[i]!r} in column {column!r} has "
                f"{wrong!r} as its decimal mark, but the decimal mark was given as {given!r}"
            )
        return given
    if len(says) == 2:
        i, j = sorted(says.values())
        raise DataError(
            f"{where}: column {column!r} mixes decimal marks: {text.iloc[i]!r} (line {lines[i]}) "
            f"and {text.iloc[j]!r} (line {lines[j]}); fix the file or give decimal= (--decimal)"
        )
    if says:
        return next(iter(says))
    marked = values.str.contains(r"[.,]", regex=True).to_numpy(dtype=bool)
    if marked.any():
        i = int(first[marked].min())
        raise DataError(
            f"{where}: column {column!r}: the values (e.g. {text.iloc[i]!r}, line {lines[i]}) do "
            "not show whether '.' or ',' is the decimal mark; give it with decimal= (--decimal)"
        )
    return "."  # whole numbers only: either reads the same


def parse_numbers(
    values: pd.Series,
    *,
    decimal: str | None,
    where: str,
    lines: np.ndarray,
    column: str,
    example: str,
) -> np.ndarray:
    """Parse price strings to float64; missing markers become NaN, anything else is an error.

    The decimal mark is decided from the values (:func:`decimal_mark`); ``decimal``, when
    given, is the user's word for it.
    """
    if pd.api.types.is_numeric_dtype(values.dtype):
        return values.to_numpy(dtype="float64", na_value=np.nan)
    text = values.astype("string").fillna("").str.strip()
    missing = text.str.lower().isin(MISSING).to_numpy()
    decimal = decimal_mark(
        text[~missing], given=decimal, where=where, lines=lines[~missing], column=column
    )
    thousands = {".": ",", ",": "."}[decimal]
    grouped = text.str.contains(thousands, regex=False).fillna(False).to_numpy(dtype=bool)
    grouped &= ~missing
    if grouped.any():
        bad_group = grouped & ~text.str.match(_GROUPED[decimal]).fillna(False).to_numpy(dtype=bool)
        if bad_group.any():
            i = int(np.argmax(bad_group))
            raise DataError(
                f"{where}: line {lines[i]}: price {text.iloc[i]!r} in column {column!r} is not a "
                f"number with {decimal!r} as the decimal mark (thousands groups need 3 digits)"
            )
    clean = text
    if decimal == ",":
        clean = clean.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    else:
        clean = clean.str.replace(",", "", regex=False)
    clean = clean.str.replace("\u2212", "-", regex=False)  # a typographic minus
    clean = clean.mask(missing, "nan")
    try:  # exact decimal → double conversion (pandas' fast parser is off by an ulp at times)
        numbers = clean.astype("float64").to_numpy()
        bad = ~np.isfinite(numbers) & ~missing
    except (ValueError, TypeError):
        numbers = pd.to_numeric(clean, errors="coerce").to_numpy(dtype="float64")
        bad = np.isnan(numbers) & ~missing
    if bad.any():
        i = int(np.argmax(bad))
        raise DataError(
            f"{where}: line {lines[i]}: price {text.iloc[i]!r} in column {column!r} is not a "
            f"number (expected e.g. {example} or '-' for missing)"
        )
    return numbers


_OFFSET = re.compile(r"(Z|[+-]\d\d:?\d\d)$")
TIME_FORMATS = (
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y %H:%M:%S",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M",
    "%b %d, %Y %I:%M %p",
    "%m/%d/%Y %I:%M %p",
    "%Y-%m-%d",
)


def _day_month_order(
    text: pd.Series, fmt: str, *, dayfirst: bool | None, where: str, column: str
) -> str:
    """``fmt`` or its month-first twin, decided from every row of a ``dd/mm/yyyy`` column.

    A day above 12 in the first or the second place settles the order; a column where
    neither does is an error naming ``dayfirst`` (``--dayfirst``/``--monthfirst``).
    """
    if not fmt.startswith("%d/%m/%Y"):
        return fmt
    monthfirst_fmt = fmt.replace("%d/%m/%Y", "%m/%d/%Y", 1)
    if dayfirst is not None:
        return fmt if dayfirst else monthfirst_fmt
    parts = text.str.extract(r"^(\d{1,2})/(\d{1,2})/").astype("float64")
    first_big = bool((parts[0] > 12).any())
    second_big = bool((parts[1] > 12).any())
    if first_big and second_big:
        raise DataError(
            f"{where}: column {column!r} has days above 12 both first and second in its "
            "dates (dd/mm and mm/dd mixed?)"
        )
    if first_big:
        return fmt
    if second_big:
        return monthfirst_fmt
    raise DataError(
        f"{where}: column {column!r}: no date shows whether it is day/month or month/day "
        f"(e.g. {text.iloc[0]!r}); give dayfirst= (--dayfirst or --monthfirst)"
    )


def parse_times(
    values: pd.Series,
    *,
    where: str,
    lines: np.ndarray,
    column: str,
    dayfirst: bool | None = None,
) -> pd.DatetimeIndex:
    """Parse time stamps: strings with an offset become UTC, naive strings stay naive.

    A column that mixes stamps with and without an offset is an error (the naive ones
    would be an hour or two off either way). The order of day and month in
    ``01/02/2024``-style dates is decided from all rows, or by ``dayfirst``.
    """
    if isinstance(values.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(values):
        return pd.DatetimeIndex(values)
    if pd.api.types.is_numeric_dtype(values.dtype):
        epoch = values.to_numpy(dtype="float64")
        unit = "ms" if np.nanmedian(np.abs(epoch)) > 1e11 else "s"
        return pd.DatetimeIndex(pd.to_datetime(epoch, unit=unit, utc=True))
    text = values.astype("string").fillna("").str.strip()
    first = next((t for t in text if t), None)
    if first is None:
        raise DataError(f"{where}: column {column!r} has no time stamps")
    offset = text.str.contains(r"(?:Z|[+-]\d\d:?\d\d)$").fillna(False).to_numpy(dtype=bool)
    filled = (text != "").to_numpy(dtype=bool)
    if offset.any() and (filled & ~offset).any():
        i, j = int(np.argmax(offset)), int(np.argmax(filled & ~offset))
        raise DataError(
            f"{where}: column {column!r} mixes times with a UTC offset ({text.iloc[i]!r}, line "
            f"{lines[i]}) and without ({text.iloc[j]!r}, line {lines[j]}); give every row an "
            "offset or none"
        )
    if offset.any():
        parsed = pd.to_datetime(text, utc=True, errors="coerce", format="ISO8601")
    else:
        fmt = next((f for f in TIME_FORMATS if _fits(first, f)), None)
        if fmt is None:
            raise DataError(
                f"{where}: line {lines[0]}: time stamp {first!r} in column {column!r} is not "
                "a date and time (expected e.g. '01.01.2024 00:00' or '2024-01-01 00:00:00')"
            )
        fmt = _day_month_order(text, fmt, dayfirst=dayfirst, where=where, column=column)
        parsed = pd.to_datetime(text, format=fmt, errors="coerce")
    bad = parsed.isna().to_numpy()
    if bad.any():
        i = int(np.argmax(bad))
        raise DataError(
            f"{where}: line {lines[i]}: time stamp {text.iloc[i]!r} in column {column!r} "
            f"is not a date and time like {first!r}"
        )
    return pd.DatetimeIndex(parsed)


def _fits(text: str, fmt: str) -> bool:
    try:
        pd.to_datetime(text, format=fmt)
    except (ValueError, TypeError):
        return False
    return True


def localize(naive: pd.DatetimeIndex, *, tz: str = TZ) -> tuple[np.ndarray, np.ndarray]:
    """Local wall-clock times in row order → UTC nanoseconds, and which rows exist.

    The repeated autumn hour appears twice with the same label: the first occurrence is
    summer time, the second winter time. Spring times that do not exist (02:00-02:59 on the
    last Sunday of March) are flagged in the returned mask so the caller can drop them.

    Example:
        >>> t = pd.DatetimeIndex(["2024-10-27 02:00", "2024-10-27 02:00"])
        >>> utc, ok = localize(t)
        >>> pd.to_datetime(utc, utc=True).strftime("%H:%M").tolist()
        ['00:00', '01:00']
    """
    first_seen = ~naive.duplicated(keep="first")
    aware = naive.tz_localize(tz, ambiguous=np.asarray(first_seen), nonexistent="NaT")
    exists = ~np.asarray(aware.isna())
    return aware.as_unit("ns").asi8, exists


def _utc_ns(index: pd.DatetimeIndex) -> np.ndarray:
    return index.tz_convert("UTC").as_unit("ns").asi8


def _restore_autumn_hour(
    times: pd.DatetimeIndex, lines: np.ndarray, frame: pd.DataFrame
) -> tuple[pd.DatetimeIndex, np.ndarray, pd.DataFrame]:
    """Give back the repeated autumn hour that a DST-normalised file collapsed into one row.

    epftoolbox files hold 24 rows every local day: the autumn day's two 02:00 hours are
    one row. Repeating that row (summer, then winter time) makes the day whole again, and
    its daily curve (the two 02:00 hours averaged) is the file's own value.
    """
    years = np.unique(times.year)
    autumn = [  # the last Sunday of October: 02:00 local time happens twice
        pd.Timestamp(f"{y}-10-31")
        - pd.Timedelta(days=(pd.Timestamp(f"{y}-10-31").day_of_week + 1) % 7)
        for y in years
    ]
    rows = np.arange(len(times))
    for day in autumn:
        at = np.flatnonzero(times == day + pd.Timedelta(hours=2))
        if len(at) == 1:  # collapsed: repeat it right after itself
            rows = np.insert(rows, np.searchsorted(rows, at[0]) + 1, at[0])
    if len(rows) == len(times):
        return times, lines, frame
    return times[rows], lines[rows], frame.iloc[rows].reset_index(drop=True)


def _from_times(
    times: pd.DatetimeIndex, prices: np.ndarray, lines: np.ndarray, path: Path, fmt: str, **kw
) -> Part:
    """Build a Part from parsed times; naive times are wall-clock times in ``tz``
    (Europe/Berlin unless the caller says otherwise)."""
    notes: list[str] = list(kw.pop("notes", []))
    tz = kw.pop("tz", None) or TZ
    if times.tz is None:
        utc, exists = localize(times, tz=tz)
        gone = ~exists & ~np.isnan(prices)
        if gone.any():
            notes.append(
                f"{int(gone.sum())} value(s) at local times that do not exist "
                "(spring DST change) were dropped"
            )
        return Part(path, fmt, utc[exists], prices[exists], lines[exists], notes=notes, **kw)
    return Part(path, fmt, _utc_ns(times), prices, lines, notes=notes, **kw)


# --------------------------------------------------------------------------- JSON formats


def read_json_text(path: Path, text: str) -> Part:
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as err:
        raise DataError(
            f"{path}: not valid JSON ({err.msg} at line {err.lineno} column {err.colno}); "
            "the file may be truncated"
        ) from None
    if isinstance(payload, dict) and "unix_seconds" in payload and "price" in payload:
        seconds, prices = payload["unix_seconds"], payload["price"]
        if not isinstance(seconds, list) or not isinstance(prices, list):
            raise DataError(f"{path}: 'unix_seconds' and 'price' must be lists")
        if len(seconds) != len(prices):
            raise DataError(
                f"{path}: 'unix_seconds' has {len(seconds)} entries but 'price' has {len(prices)}"
            )
        for i, p in enumerate(prices):  # JSON true/false would pass as 1.0/0.0
            if p is not None and (isinstance(p, bool) or not isinstance(p, (int, float))):
                raise DataError(
                    f"{path}: price {json.dumps(p)} at position {i} of 'price' is not a number"
                )
        try:
            utc = np.asarray(seconds, dtype="int64") * NS
            values = np.asarray([np.nan if p is None else p for p in prices], dtype="float64")
        except (TypeError, ValueError):
            raise DataError(f"{path}: 'unix_seconds' and 'price' must hold numbers") from None
        return Part(path, "Energy-Charts JSON", utc, values, np.arange(1, len(utc) + 1))
    if isinstance(payload, dict) and isinstance(payload.get("series"), list):
        try:
            rows = np.asarray(
                [
                    (np.nan, np.nan) if r is None else (r[0], np.nan if r[1] is None else r[1])
                    for r in payload["series"]
                ],
                dtype="float64",
            ).reshape(-1, 2)
        except (TypeError, ValueError, IndexError):
            raise DataError(f"{path}: 'series' must be a list of [epoch_ms, price] pairs") from None
        utc = rows[:, 0].astype("int64") * 1_000_000
        return Part(path, "SMARD chart_data JSON", utc, rows[:, 1], np.arange(1, len(rows) + 1))
    keys = ", ".join(map(str, payload)) if isinstance(payload, dict) else type(payload).__name__
    raise DataError(
        f"{path}: JSON without 'unix_seconds'+'price' (Energy-Charts) or 'series' "
        f"(SMARD chart_data); found {keys}"
    )


# --------------------------------------------------------------------------- CSV formats

_HEADER_HINTS = ("datum von", "start date", "mtu")


def _find_header(lines: list[str]) -> int:
    """Index of the header line: a known header, else the first line with 2+ fields."""
    for i, line in enumerate(lines[:40]):
        if line.lstrip('"').lower().startswith(_HEADER_HINTS):
            return i
    for i, line in enumerate(lines[:40]):
        if _delimiter(line) is not None:
            return i
    return 0


def _delimiter(line: str) -> str | None:
    counts = {d: line.count(d) for d in (";", ",", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else None


def _read_csv(path: Path, text: str, opts: dict) -> Part:
    all_lines = text.splitlines()
    h = _find_header(all_lines)
    header = all_lines[h]
    sep = _delimiter(header)
    if sep is None:
        raise DataError(
            f"{path}: line {h + 1}: cannot split the header {header[:60]!r} into columns "
            "(tsgan reads ';', ',' or tab separated files); is the delimiter right?"
        )
    frame = pd.read_csv(
        io.StringIO("\n".join(all_lines[h:])),
        sep=sep,
        dtype=str,
        keep_default_na=False,
        na_filter=False,
        skip_blank_lines=False,
        index_col=False,
        on_bad_lines="error",
    )
    frame.columns = [str(c).strip() for c in frame.columns]
    lines = np.arange(len(frame), dtype="int64") + h + 2
    blank = (frame.apply(lambda c: c.str.strip()) == "").all(axis=1).to_numpy()
    frame, lines = frame.loc[~blank].reset_index(drop=True), lines[~blank]
    if frame.empty:
        raise DataError(f"{path}: header only, no data rows (header: {header[:80]!r})")
    if len(frame.columns) < 2:
        raise DataError(
            f"{path}: line {h + 1}: only one column; the delimiter {sep!r} does not split "
            f"{header[:60]!r} (tsgan reads ';', ',' or tab separated files)"
        )
    first = frame.columns[0].lower()
    if first.startswith("mtu"):
        return _entsoe(path, frame, lines, opts)
    if first.startswith(("datum von", "start date")):
        return _smard(path, frame, lines, opts)
    return _table(path, frame, lines, opts, decimal=opts.get("decimal"))


def _pick_zone(path: Path, available: dict[str, bool], zone: str | None) -> str:
    """Choose among the zones of a multi-zone file; ``available`` maps zone -> has data."""
    names = ", ".join(available)
    if zone is not None:
        code = canonical_zone(zone) or zone
        if code not in available:
            raise DataError(f"{path}: zone {zone!r} is not in the file; zones present: {names}")
        return code
    if len(available) == 1:
        return next(iter(available))
    for code in GERMAN_ZONES:
        if available.get(code):
            logger.info("%s: several zones (%s); using %s", path, names, code)
            return code
    raise DataError(f"{path}: several zones and no German one with data; pick one of: {names}")


def _smard(path: Path, frame: pd.DataFrame, lines: np.ndarray, opts: dict) -> Part:
    english = frame.columns[0].lower().startswith("start date")
    decimal = opts.get("decimal")  # None: decided from the values
    price_cols = [
        c for c in frame.columns[1:] if re.search(r"€/mwh|eur/mwh|preis|price", c, re.IGNORECASE)
    ]
    if opts.get("price_col"):
        price_cols = [_need_column(path, frame, opts["price_col"])]
    if not price_cols:
        raise DataError(f"{path}: no price column among {list(frame.columns)}")
    by_zone: dict[str, str] = {}
    for col in price_cols:
        by_zone.setdefault(canonical_zone(col) or col, col)
    has_data = {
        z: bool((~frame[c].str.strip().str.lower().isin(MISSING)).any()) for z, c in by_zone.items()
    }
    zone = _pick_zone(path, has_data, opts.get("zone"))
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
    return _from_times(times, prices, lines, path, kind, zone=zone, zones=tuple(by_zone))


_MARKER = re.compile(r"\s*\((CET|CEST)\)")


def _entsoe(path: Path, frame: pd.DataFrame, lines: np.ndarray, opts: dict) -> Part:
    cols = {c.lower(): c for c in frame.columns}
    price = next((cols[c] for c in cols if c.startswith("day-ahead price")), None)
    if opts.get("price_col"):
        price = _need_column(path, frame, opts["price_col"])
    if price is None:
        raise DataError(f"{path}: ENTSO-E file without a 'Day-ahead Price' column")
    notes: list[str] = []
    if "area" in cols:  # the new Transparency Platform export
        kind = "ENTSO-E CSV (new platform)"
        areas = frame[cols["area"]].str.strip()
        codes = areas.map(lambda a: canonical_zone(a) or a.removeprefix("BZN|"))
        present = {z: True for z in dict.fromkeys(codes)}
        zone = _pick_zone(path, present, opts.get("zone"))
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
    return _from_times(times, prices, lines, path, kind, zone=zone, zones=zones, notes=notes)


def _need_column(path: Path, frame: pd.DataFrame, name: str) -> str:
    if name not in frame.columns:
        raise DataError(
            f"{path}: no column {name!r}; columns: {', '.join(map(str, frame.columns))}"
        )
    return name


_TIME_NAME = re.compile(r"time|date|datum|zeit|mtu|start|stamp|unix|^$|^unnamed", re.IGNORECASE)
_PRICE_NAME = re.compile(r"price|preis|eur|€|prix", re.IGNORECASE)


def _table(
    path: Path, frame: pd.DataFrame, lines: np.ndarray, opts: dict, *, decimal: str | None
) -> Part:
    """Any table with a time column and a price column (epftoolbox CSV, Parquet, plain CSV)."""
    cols = [str(c) for c in frame.columns]
    time_col = opts.get("time_col")
    if time_col is not None:
        time_col = _need_column(path, frame, time_col)
    else:
        candidates = [c for c in cols if _TIME_NAME.search(c)]
        if not candidates:
            raise DataError(
                f"{path}: no time column among {cols}; name it with time_col= (--time-col)"
            )
        time_col = candidates[0]
    price_col = opts.get("price_col")
    if price_col is not None:
        price_col = _need_column(path, frame, price_col)
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
    epftoolbox = cols[0] in ("", "Unnamed: 0", "date") and price_col == "Price"
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
    if epftoolbox and times.tz is None:
        times, lines, frame = _restore_autumn_hour(times, lines, frame)
    prices = parse_numbers(
        frame[price_col],
        decimal=decimal,
        where=str(path),
        lines=lines,
        column=price_col,
        example=example,
    )
    zone = canonical_zone(opts["zone"]) if opts.get("zone") else None
    return _from_times(times, prices, lines, path, kind, zone=zone, tz=opts.get("tz"))


def _read_parquet(path: Path, opts: dict) -> Part:
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
    return _table(path, frame, np.arange(1, len(frame) + 1), opts, decimal=opts.get("decimal"))


# --------------------------------------------------------------------------- one file


_COMPRESSED = {
    b"\x1f\x8b": "gzip",
    b"PK\x03\x04": "zip; an Excel file is one too: save it as CSV",
    b"BZh": "bzip2",
    b"\xfd7zXZ\x00": "xz",
    b"(\xb5/\xfd": "zstd",
}


def read_file(path: Path, **opts) -> Part:
    """Read one price file of any supported format into a :class:`Part`."""
    if not path.exists():
        raise DataError(f"{path}: no such file")
    if not path.is_file():  # a FIFO or a device would block or never end
        raise DataError(f"{path}: not a regular file")
    raw = path.read_bytes()
    if raw[:4] == b"PAR1":
        return _read_parquet(path, opts)
    if not raw.strip(b"\xef\xbb\xbf \r\n\t"):
        raise DataError(f"{path}: the file is empty")
    for magic, kind in _COMPRESSED.items():
        if raw.startswith(magic):
            raise DataError(f"{path}: a compressed file ({kind}); extract it first")
    if b"\x00" in raw[:4096]:
        raise DataError(f"{path}: not a text, JSON or Parquet file (binary content)")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252")
    head = text.lstrip()
    if head.startswith(("{", "[")):
        return read_json_text(path, text)
    try:
        return _read_csv(path, text, opts)
    except pd.errors.ParserError as err:
        raise DataError(f"{path}: not a readable CSV ({str(err).strip()})") from None
    except DataError as err:
        if "no time column" in str(err):
            tried = "; ".join(FORMATS_TRIED)
            raise DataError(f"{err} — not a recognised format (tried: {tried})") from None
        raise


def expand_sources(source: Source) -> list[Path]:
    """Files named by ``source``: a file, a directory (its readable files), or a list of them."""
    items: Iterable = [source] if isinstance(source, (str, PathLike)) else source
    paths: list[Path] = []
    for item in items:
        p = Path(item).expanduser()
        if p.is_dir():
            found = sorted(
                f
                for f in p.iterdir()
                if f.is_file()
                and f.suffix.lower() in READABLE_SUFFIXES
                and not f.name.startswith(".")
            )
            if not found:
                raise DataError(f"{p}: directory holds no {'/'.join(READABLE_SUFFIXES)} files")
            paths.extend(found)
        elif not p.exists():
            raise DataError(f"{p}: no such file or directory")
        else:
            paths.append(p)
    if not paths:
        raise DataError("no source given")
    return paths
