"""How long does loading the real files take? Writes scripts/results/bench_load.json.

Usage: python scripts/bench_load.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import platform
import time

from _common import ROOT, SHARED

import tsgan

CASES = {
    "energy_charts_de_lu (2,192 daily JSON files)": SHARED / "energy_charts_de_lu",
    "SMARD hourly CSV 2024": SHARED
    / "smard"
    / "Gro_handelspreise_202401010000_202501010000_Stunde.csv",
    "SMARD quarter-hour CSV 2024": SHARED
    / "smard"
    / "Gro_handelspreise_202401010000_202501010000_Stunde_Viertelstunde.csv",
    "SMARD-derived CSV 2018-2025": SHARED / "smard_derived",
    "ENTSO-E new export 2025": SHARED / "entsoe" / "da_prices_2025.csv",
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    results = {}
    for name, path in CASES.items():
        load, curves = [], []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            prices = tsgan.load_prices(path)
            t1 = time.perf_counter()
            tsgan.daily_curves(prices)
            t2 = time.perf_counter()
            load.append(t1 - t0)
            curves.append(t2 - t1)
        results[name] = {
            "load_prices_s": round(min(load), 3),
            "daily_curves_s": round(min(curves), 3),
            "values": len(prices),
        }
        print(
            f"{name:50s} load_prices {min(load):6.3f} s   daily_curves {min(curves):6.3f} s   ({len(prices):,} values, best of {args.repeat})"
        )
    out = ROOT / "scripts" / "results" / "bench_load.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps({"machine": platform.platform(), "results": results}, indent=2) + "\n"
    )
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
