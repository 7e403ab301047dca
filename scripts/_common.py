"""What the benchmark scripts share: where things are, which machine ran them, mean ± sd.

The scripts run as ``python scripts/NAME.py``, so this folder is on ``sys.path`` and
``from _common import ...`` needs nothing else.
"""

from __future__ import annotations

import os
import platform
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"  # read in place, never copied into the repository
DE_LU = SHARED / "energy_charts_de_lu"
RESULTS = ROOT / "scripts" / "results"  # the latest result of each benchmark, small files


def cpu_name() -> str:
    """The CPU's model name (``/proc/cpuinfo``), or what ``platform`` knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def machine() -> str:
    """One line: CPU, cores, Python and the Keras version (imported only if already loaded)."""
    import sys

    keras = sys.modules.get("keras")
    version = f", TensorFlow via Keras {keras.__version__}" if keras else ""
    return f"{cpu_name()}, {os.cpu_count()} cores, Python {platform.python_version()}{version}"


def mean_sd(values) -> tuple[float, float]:
    """The mean and the (population) standard deviation of some numbers."""
    values = np.asarray(values, dtype="float64")
    return float(values.mean()), float(values.std())


def mean_sd_text(values, digits: int = 3) -> str:
    """``"1.234 ± 0.056"`` (the ± part only for more than one value)."""
    mean, sd = mean_sd(values)
    return f"{mean:.{digits}f}" + (f" ± {sd:.{digits}f}" if np.size(values) > 1 else "")


EPF_TEST = ("2016-01-04", "2017-12-31")  # the epftoolbox benchmark's DE test period (728 days)


def lear_mae(panel, ours, published) -> dict:
    """Two LEARs' MAE (EUR/MWh) on the days of the benchmark's test period both forecast."""
    import pandas as pd

    days = ours.dropna().index.intersection(published.index)
    days = days[(days >= pd.Timestamp(EPF_TEST[0])) & (days <= pd.Timestamp(EPF_TEST[1]))]
    realized = panel["price"].loc[days].to_numpy()
    mae = {
        name: float(abs(frame.loc[days].to_numpy() - realized).mean())
        for name, frame in (("tsgan", ours), ("published", published))
    }
    return mae | {"days": len(days), "ratio": mae["tsgan"] / mae["published"]}
