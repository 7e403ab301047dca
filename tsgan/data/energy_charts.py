"""JSON price files: Energy-Charts API responses (``unix_seconds`` and ``price``) and SMARD's
``chart_data`` JSON."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from tsgan.data.errors import DataError, refuse_first
from tsgan.data.parsing import (
    NS,
    Part,
)


def read_json_text(path: Path, text: str) -> Part:
    """Prices of a JSON text: an Energy-Charts API response (``unix_seconds``, ``price``) or
    SMARD's ``chart_data`` (``series`` of ``[ms, price]``); anything else is a DataError.

    Example:
        >>> part = read_json_text(Path("a.json"), '{"unix_seconds": [0, 3600], "price": [50, 60]}')
        >>> part.prices.tolist(), part.format
        ([50.0, 60.0], 'Energy-Charts JSON')
    """
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as err:
        raise DataError(
            f"{path}: not valid JSON ({err.msg} at line {err.lineno} column {err.colno}); "
            "the file may be truncated"
        ) from None
    except RecursionError:
        raise DataError(f"{path}: JSON nested too deeply to be a price file") from None
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
        refuse_first(
            ~np.isfinite(rows[:, 0]),
            lambda i: f"{path}: row {i + 1} of 'series' has no time (null), not [epoch_ms, price]",
        )
        utc = rows[:, 0].astype("int64") * 1_000_000
        return Part(path, "SMARD chart_data JSON", utc, rows[:, 1], np.arange(1, len(rows) + 1))
    keys = ", ".join(map(str, payload)) if isinstance(payload, dict) else type(payload).__name__
    raise DataError(
        f"{path}: JSON without 'unix_seconds'+'price' (Energy-Charts) or 'series' "
        f"(SMARD chart_data); found {keys}"
    )
