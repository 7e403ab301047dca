"""What every price file needs: numbers with either decimal mark, time stamps in the formats
traders' files use, local wall-clock times to UTC across the DST changes, and the
:class:`Part` each reader returns (UTC interval starts, prices, and the line of each value,
so that errors can name the row)."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from tsgan.data.errors import DataError, refuse_first
from tsgan.data.zones import GERMAN_ZONES, canonical_zone
from tsgan.settings import TIMEZONE as TZ  # the one default time zone, kept where the settings are

logger = logging.getLogger(__name__)


MISSING = frozenset({"", "-", "n/a", "na", "nan", "n/e", "null", "none"})


NS = 1_000_000_000


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
    # input columns (day-ahead forecasts...): name → (N,) float64 aligned with the prices
    inputs: dict[str, np.ndarray] = field(default_factory=dict)
    candidates: tuple[str, ...] = ()  # the file's columns that could be inputs


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
    refuse_first(
        bad,
        lambda i: (
            f"{where}: line {lines[i]}: price {text.iloc[i]!r} in column {column!r} is "
            f"not a number (expected e.g. {example} or '-' for missing)"
        ),
    )
    return numbers


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


def utc_ns(index: pd.DatetimeIndex) -> np.ndarray:
    """Nanoseconds since the epoch (UTC) of a time-zone-aware index.

    Example:
        >>> utc_ns(pd.DatetimeIndex(["1970-01-01 01:00"], tz="Europe/Berlin")).tolist()
        [0]
    """
    return index.tz_convert("UTC").as_unit("ns").asi8


def restore_autumn_hour(
    times: pd.DatetimeIndex,
    lines: np.ndarray,
    frame: pd.DataFrame,
    *,
    tz: str = TZ,
    normalised: bool = False,
) -> tuple[pd.DatetimeIndex, np.ndarray, pd.DataFrame, bool]:
    """Give back the repeated autumn hour that a DST-normalised file collapsed into one row.

    A DST-normalised file (epftoolbox's) holds 24 rows every local day: the spring day keeps
    a row at the hour the clock skips, the autumn day has its repeated hour once. The
    layout is recognised from the data, in any time zone: a row at a skipped hour (or
    ``normalised``, the caller's evidence, such as epftoolbox's header) and an autumn hour
    seen once. Repeating that row (summer, then winter time) makes the day whole again, and
    its daily curve (the two hours averaged) is the file's own value. Returns the rows and
    whether the file was DST-normalised.

    Example:
        >>> t = pd.DatetimeIndex(["2024-03-31 02:00", "2024-10-27 02:00", "2024-10-27 03:00"])
        >>> restore_autumn_hour(t, np.arange(3), pd.DataFrame({"p": [1, 2, 3]}))[0].hour.tolist()
        [2, 2, 2, 3]
    """
    early = times.tz_localize(tz, ambiguous=np.ones(len(times), dtype=bool), nonexistent="NaT")
    late = times.tz_localize(tz, ambiguous=np.zeros(len(times), dtype=bool), nonexistent="NaT")
    skipped = np.asarray(early.isna())
    if not (normalised or skipped.any()):
        return times, lines, frame, False
    ambiguous = ~skipped & np.asarray(early != late)
    once = ambiguous & ~np.asarray(times.duplicated(keep=False))
    if not once.any():
        return times, lines, frame, normalised
    rows = np.repeat(np.arange(len(times)), np.where(once, 2, 1))  # each right after itself
    return times[rows], lines[rows], frame.iloc[rows].reset_index(drop=True), True


def from_times(
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
        inputs = {name: values[exists] for name, values in kw.pop("inputs", {}).items()}
        return Part(
            path, fmt, utc[exists], prices[exists], lines[exists], notes=notes, inputs=inputs, **kw
        )
    return Part(path, fmt, utc_ns(times), prices, lines, notes=notes, **kw)


def need_column(path: Path, frame: pd.DataFrame, name: str) -> str:
    """``name`` if ``frame`` has that column, else a DataError naming the file and its columns.

    Example:
        >>> need_column(Path("a.csv"), pd.DataFrame(columns=["time", "price"]), "price")
        'price'
    """
    if name not in frame.columns:
        raise DataError(
            f"{path}: no column {name!r}; columns: {', '.join(map(str, frame.columns))}"
        )
    return name


def pick_zone(path: Path, available: dict[str, bool], zone: str | None) -> str:
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
