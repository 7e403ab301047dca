"""Scenarios for tomorrow on the open price-forecasting benchmark (epftoolbox, DE).

Usage: python scripts/bench_forecast.py [--from 2016-04-03] [--to 2017-12-31]
       [--recalibrate 28] [--seeds 0 1 2] [--lear] → scripts/results/forecast.md and .json

The rolling backtest of ``tsgan backtest`` (``tsgan.backtest.run_backtest``) on the DE
dataset with default settings, against the weekly naive forecast and the benchmark's
published LEAR and DNN ensembles (``Forecasts_DE_DNN_LEAR_ensembles.csv``), each turned into
scenarios with its last 90 days' errors; ``--lear`` adds tsgan's own LEAR, recalibrated
daily (slow: about 1.5 hours for the full period on one core). Scores start on 2016-04-03
by default, so that the published forecasts have 90 days of errors behind them.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import pandas as pd
from _common import RESULTS, SHARED, machine, mean_sd_text

import tsgan
from tsgan.backtest import run_backtest
from tsgan.data.curves import daily_panel
from tsgan.data.prices import load_inputs

DATA = SHARED / "epftoolbox" / "DE.csv"
PUBLISHED = SHARED / "epftoolbox" / "Forecasts_DE_DNN_LEAR_ensembles.csv"
TARGETS = ("LEAR (published)", "DNN (published)")  # tsgan must beat both, on the same days


def baselines(panel: pd.DataFrame, *, lear: bool, first: str, last: str) -> dict:
    """The point forecasts each scored with its last 90 days' errors."""
    points: dict = {"naive": None}
    published = pd.Timestamp(first) >= pd.Timestamp("2016-04-03")  # 90 days of their errors
    for column, name in (
        ()
        if not published
        else (
            ("LEAR Ensemble", "LEAR (published)"),
            ("DNN Ensemble", "DNN (published)"),
        )
    ):
        points[name] = tsgan.daily_curves(tsgan.load_prices(PUBLISHED, price_col=column))
    if lear:
        from tsgan.evaluation.lear import lear_forecasts

        days = pd.date_range(pd.Timestamp(first) - pd.Timedelta(days=90), last)
        points["LEAR (tsgan)"] = lear_forecasts(panel, days, cache=RESULTS.parent / ".cache")
    return points


def markdown(result: dict) -> str:
    lines = [
        "# Scenarios for tomorrow: tsgan's rolling backtest on the epftoolbox DE dataset",
        "",
        f"`{result['command']}` on {result['machine']}; {result['total_s'] / 60:.0f} min. "
        f"Days {result['from']}..{result['to']} ({result['days']} days), recalibrated every "
        f"{result['recalibrate']} days, {result['n']} scenarios a day, seeds {result['seeds']}.",
        "",
        "| generator | energy score | variogram score | CRPS | MAE of the median | 50% cover | 90% cover |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, rows in result["means"].items():
        cells = [mean_sd_text([r[k] for r in rows], 3) for k in ("es", "vs", "crps", "mae")]
        cover = [mean_sd_text([100 * r[k] for r in rows], 1) for k in ("cover50", "cover90")]
        lines.append(
            f"| {name} | " + " | ".join(cells) + " | " + " | ".join(f"{c}%" for c in cover) + " |"
        )
    lines += [
        "",
        "## Targets (on the same days)",
        "",
        "| target | measured | met |",
        "|---|---|---|",
    ]
    mean = {
        name: {k: sum(r[k] for r in rows) / len(rows) for k in rows[0]}
        for name, rows in result["means"].items()
    }
    model = mean["tsgan"]
    for name in (t for t in TARGETS if t in mean):  # validation days have no published ones
        for key, label in (("es", "energy score"), ("vs", "variogram score")):
            ref, ok = mean[name][key], model[key] < mean[name][key]
            lines.append(
                f"| {label} below {name} + its errors ({ref:.2f}) | {model[key]:.2f} "
                f"| {'yes' if ok else '**no**'} |"
            )
    ref_name = "LEAR (published)" if "LEAR (published)" in mean else "naive"
    lear = mean[ref_name]["mae"]
    checks = (
        (
            f"MAE of the median ≤ {ref_name}'s ({lear:.2f})",
            f"{model['mae']:.2f}",
            model["mae"] <= lear,
        ),
        ("90% intervals cover 88–92%", f"{model['cover90']:.1%}", 0.88 <= model["cover90"] <= 0.92),
        ("50% intervals cover 48–52%", f"{model['cover50']:.1%}", 0.48 <= model["cover50"] <= 0.52),
    )
    lines += [f"| {t} | {m} | {'yes' if ok else '**no**'} |" for t, m, ok in checks]
    lines += [
        "",
        "The issue's reference figures are for 2016-04-03..2017-12-31 (LEAR + errors: ES 17.1, "
        "VS 418, MAE 3.65; DNN + errors: 15.8, 376, 3.42); on a shorter period, compare with "
        "the same days' rows above.",
    ]
    lines += [
        "",
        "Backtest wall time per seed (s): " + ", ".join(f"{t:.0f}" for t in result["seed_s"]),
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="first", default="2016-04-03")
    parser.add_argument("--to", dest="last", default="2017-12-31")
    parser.add_argument("--recalibrate", type=int, default=28)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--n-per-day", type=int, default=100)
    parser.add_argument("--lear", action="store_true", help="also tsgan's LEAR (slow)")
    parser.add_argument("--out", default="forecast")
    parser.add_argument(
        "--set",
        nargs="+",
        default=[],
        metavar="KEY=VALUE",
        dest="settings",
        help="ModelSettings fields, for experiments on validation days",
    )
    args = parser.parse_args()
    start = time.perf_counter()
    panel = daily_panel(tsgan.load_prices(DATA), load_inputs(DATA))
    points = baselines(panel, lear=args.lear, first=args.first, last=args.last)
    means: dict = {}
    seed_s = []
    for seed in args.seeds:
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            scores = run_backtest(
                panel,
                start=args.first,
                end=args.last,
                out=tmp,
                recalibrate=args.recalibrate,
                n=args.n_per_day,
                seed=seed,
                baselines=points,
                settings={k: json.loads(v) for k, v in (p.split("=", 1) for p in args.settings)},
            )
            seed_s.append(time.perf_counter() - t0)
        for name, rows in scores.groupby("generator", sort=False):
            means.setdefault(name, []).append(rows.mean(numeric_only=True).round(4).to_dict())
        print(
            f"seed {seed}: " + ", ".join(f"{n} ES {m[-1]['es']:.2f}" for n, m in means.items()),
            flush=True,
        )
    result = {
        "command": "python scripts/bench_forecast.py"
        + (f" --from {args.first}" if args.first != "2016-04-03" else "")
        + (f" --to {args.last}" if args.last != "2017-12-31" else "")
        + (f" --seeds {' '.join(map(str, args.seeds))}" if args.seeds != [0, 1, 2] else "")
        + (" --lear" if args.lear else "")
        + (" --set " + " ".join(args.settings) if args.settings else ""),
        "machine": machine(),
        "from": args.first,
        "to": args.last,
        "days": int(scores["date"].nunique()),
        "recalibrate": args.recalibrate,
        "n": args.n_per_day,
        "seeds": args.seeds,
        "means": means,
        "seed_s": [round(t, 1) for t in seed_s],
        "total_s": round(time.perf_counter() - start, 1),
    }
    (RESULTS / f"{args.out}.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / f"{args.out}.md").write_text(markdown(result))
    print(f"wrote {RESULTS / args.out}.md and .json")


if __name__ == "__main__":
    main()
