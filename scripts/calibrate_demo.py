"""Measure the statistics that tsgan.demo_prices is calibrated to, on real and demo data.

Usage: python scripts/calibrate_demo.py  → scripts/results/calibrate_demo.json
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
from _common import DE_LU, ROOT

import tsgan

SHARED = DE_LU


def stats(curves: pd.DataFrame) -> dict[str, float]:
    cal = tsgan.calendar_features(curves.index)
    mean = curves.mean(axis=1)
    kind = np.where(
        cal.holiday == 1,
        "holiday",
        np.where(cal.dow == 6, "sunday", np.where(cal.dow == 5, "saturday", "working day")),
    )
    spread = curves.max(axis=1) - curves.min(axis=1)
    negative_by_month = (curves < 0).groupby(curves.index.month).mean().mean(axis=1)
    q = np.quantile(curves.to_numpy(), [0.005, 0.995])
    return {
        "days": len(curves),
        "mean": float(curves.to_numpy().mean()),
        "hourly_sd": float(curves.to_numpy().std()),
        "daily_mean_sd": float(mean.std()),
        "daily_mean_lag1_autocorr": float(mean.autocorr(1)),
        **{f"level_{k}": float(v) for k, v in mean.groupby(kind).mean().items()},
        "spread_median": float(spread.median()),
        "spread_p95": float(spread.quantile(0.95)),
        "negative_share": float((curves < 0).to_numpy().mean()),
        "negative_share_may": float(negative_by_month.get(5, np.nan)),
        "negative_share_feb": float(negative_by_month.get(2, np.nan)),
        "q005": float(q[0]),
        "q995": float(q[1]),
    }


def main() -> None:
    real = tsgan.daily_curves(tsgan.load_prices(SHARED)).loc["2023-01-01":"2025-12-31"]
    demo = tsgan.daily_curves(tsgan.demo_prices("2023-01-01", "2025-12-31", seed=0))
    rows = {"real DE-LU 2023-2025": stats(real), "demo_prices(seed=0)": stats(demo)}
    table = pd.DataFrame(rows)
    print(table.round(3).to_string())
    out = ROOT / "scripts" / "results" / "calibrate_demo.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(rows, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
