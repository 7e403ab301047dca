"""What the subcommands share: the one-line error, TensorFlow imported quietly, tables
written atomically, models loaded with one clear line."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

logger = logging.getLogger("tsgan")


class CliError(Exception):
    """A problem to report in one line, exit code 2."""


def import_keras():
    """Keras and TensorFlow, imported without TensorFlow's start-up chatter."""
    from tsgan.startup import import_tensorflow

    import_tensorflow()
    import keras

    import tsgan.model  # noqa: F401

    return keras


def summary_stream(out) -> object:
    """Where a command's closing line goes: standard error when its table goes to standard
    output (``-o -``), else standard output."""
    return sys.stderr if str(out) == STDOUT else sys.stdout


def one_line(err: BaseException) -> str:
    """An error's message on one line (its type's name when it has none)."""
    text = str(err).strip() or type(err).__name__
    return " ".join(text.split())


STDOUT = "-"  # -o -: the table as CSV on standard output


def write_table(frames, out: Path) -> int:
    """Write a DataFrame, or the frames of an iterator one after another, as one CSV or
    Parquet table (atomically: never a truncated file), or as CSV to standard output when
    ``out`` is ``-``; returns the rows written."""
    import pandas as pd

    parts = [frames] if isinstance(frames, pd.DataFrame) else frames
    if str(out) == STDOUT:
        rows = 0
        for i, frame in enumerate(parts):
            frame.to_csv(sys.stdout, index=False, header=i == 0, float_format="%.2f")
            rows += len(frame)
        sys.stdout.flush()
        return rows
    suffix = out.suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise CliError(f"{out}: output must end in .csv or .parquet")
    from tsgan.atomic import atomic_path

    rows = 0
    with atomic_path(out) as tmp:
        if suffix == ".csv":
            with open(tmp, "w", encoding="utf-8", newline="") as handle:
                for i, frame in enumerate(parts):
                    frame.to_csv(handle, index=False, header=i == 0, float_format="%.2f")
                    rows += len(frame)
        else:
            import pyarrow as pa
            import pyarrow.parquet as pq

            writer = None
            try:
                for frame in parts:
                    table = pa.Table.from_pandas(frame, preserve_index=False)
                    writer = writer or pq.ParquetWriter(tmp, table.schema)
                    writer.write_table(table)
                    rows += len(frame)
            finally:
                if writer is not None:
                    writer.close()
    return rows


def load_run_model(path_text: str):
    import_keras()
    from tsgan.model import load_model

    path = Path(path_text)
    if path.is_dir():
        path = path / "model.keras"
    if not path.is_file():
        raise CliError(f"{path}: no such model (give a run directory or a .keras file)")
    try:
        return load_model(path)
    except ValueError as err:
        raise CliError(str(err)) from None
