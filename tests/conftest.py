"""Shared fixtures: the shared real-data folder, a seed, tiny synthetic curves."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tsgan.data.curves import hour_columns

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
BAD = Path(__file__).parent / "data" / "bad"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data``; missing is a failure in CI and a skip elsewhere."""
    if not (SHARED_DATA / "energy_charts_de_lu").is_dir():
        message = f"real data not found at {SHARED_DATA}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + " (CI=true: tests on real data must run)")
        pytest.skip(message)
    return SHARED_DATA


@pytest.fixture
def seed() -> int:
    return 1234


def two_shape_curves(n: int = 512, *, weekend_share: float = 0.3, seed: int = 0) -> pd.DataFrame:
    """Synthetic 24-hour curves from two distinct daily shapes (weekday-like and weekend-like)."""
    rng = np.random.default_rng(seed)
    hours = np.arange(24)
    weekday = (
        60
        + 25 * np.exp(-0.5 * ((hours - 8) / 1.5) ** 2)
        + 35 * np.exp(-0.5 * ((hours - 19) / 1.8) ** 2)
    )
    weekend = (
        40
        - 30 * np.exp(-0.5 * ((hours - 13) / 2.5) ** 2)
        + 15 * np.exp(-0.5 * ((hours - 20) / 2) ** 2)
    )
    is_weekend = rng.random(n) < weekend_share
    base = np.where(is_weekend[:, None], weekend, weekday)
    curves = base + rng.normal(0, 3.0, (n, 24)) + rng.normal(0, 4.0, (n, 1))
    index = pd.date_range("2024-01-01", periods=n, freq="D", name="date")
    frame = pd.DataFrame(curves, index=index, columns=hour_columns())
    frame.attrs["weekend"] = is_weekend
    frame.attrs["shapes"] = (weekday, weekend)
    return frame


@pytest.fixture
def curves() -> pd.DataFrame:
    return two_shape_curves(256)
