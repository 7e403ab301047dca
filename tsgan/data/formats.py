"""Reading day-ahead price files: format detection from content, then the reader of the
format (``smard``, ``entsoe``, ``energy_charts``, ``tables``).

Every reader returns a :class:`tsgan.data.parsing.Part`: UTC interval starts, prices (NaN
where the file says "missing") and the line of each value, so that errors can name the row.
``load_prices`` concatenates the parts, checks them as a whole and builds one Series."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd

from tsgan.data.energy_charts import read_json_text
from tsgan.data.entsoe import read_entsoe
from tsgan.data.errors import DataError
from tsgan.data.parsing import (
    Part,
)
from tsgan.data.smard import read_smard
from tsgan.data.tables import read_parquet, read_table

READABLE_SUFFIXES = (".csv", ".json", ".parquet", ".pq", ".txt")


FORMATS_TRIED = (
    "SMARD CSV",
    "ENTSO-E CSV (legacy and new)",
    "Energy-Charts JSON",
    "SMARD chart_data JSON",
    "epftoolbox CSV",
    "CSV or Parquet with a time and a price column",
)


Source = str | PathLike | Sequence[str | PathLike]


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
        return read_entsoe(path, frame, lines, opts)
    if first.startswith(("datum von", "start date")):
        return read_smard(path, frame, lines, opts)
    return read_table(path, frame, lines, opts, decimal=opts.get("decimal"))


_COMPRESSED = {
    b"\x1f\x8b": "gzip",
    b"PK\x03\x04": "zip; an Excel file is one too: save it as CSV",
    b"BZh": "bzip2",
    b"\xfd7zXZ\x00": "xz",
    b"(\xb5/\xfd": "zstd",
}


def read_file(path: Path, **opts) -> Part:
    """Read one price file of any supported format into a :class:`Part`."""
    try:
        return _read_file(path, opts)
    except (pd.errors.OutOfBoundsDatetime, OverflowError) as err:
        raise DataError(
            f"{path}: a time outside the years 1677–2262 that tsgan can hold "
            f"({str(err).strip().splitlines()[0]})"
        ) from None


def _read_file(path: Path, opts: dict) -> Part:
    if not path.exists():
        raise DataError(f"{path}: no such file")
    if not path.is_file():  # a FIFO or a device would block or never end
        raise DataError(f"{path}: not a regular file")
    raw = path.read_bytes()
    if raw[:4] == b"PAR1":
        return read_parquet(path, opts)
    if not raw.strip(b"\xef\xbb\xbf \r\n\t"):
        raise DataError(f"{path}: the file is empty")
    for magic, kind in _COMPRESSED.items():
        if raw.startswith(magic):
            raise DataError(f"{path}: a compressed file ({kind}); extract it first")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 (Excel's "Unicode text")
        try:
            raw = raw.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError:
            raise DataError(f"{path}: broken UTF-16 text: save it as UTF-8") from None
    if b"\x00" in raw[:4096]:
        raise DataError(f"{path}: not a text, JSON or Parquet file (binary content)")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:  # Windows' legacy code pages: the prices are ASCII either way
        try:
            text = raw.decode("cp1252")
        except UnicodeDecodeError:
            text = raw.decode("latin-1")
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
            inside = p.resolve()
            found = sorted(
                f
                for f in p.iterdir()
                if f.is_file()
                and f.suffix.lower() in READABLE_SUFFIXES
                and not f.name.startswith(".")
                # a link out of the folder is not one of its files (nor quoted in errors)
                and f.resolve().is_relative_to(inside)
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
