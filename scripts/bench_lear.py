"""tsgan's LEAR against the published LEAR ensemble on the epftoolbox DE test period.

Usage: python scripts/bench_lear.py [--from 2016-01-04] [--to 2017-12-31] [--workers 2]

LEAR as epftoolbox specifies it (:mod:`tsgan.evaluation.lear`: 24 hourly lasso regressions,
α by LassoLarsIC, calibration windows of 56, 84, 1092 and 1456 days, their mean), each day
recalibrated on the days before it, the days as Ray tasks. Its MAE is compared with the
published ``LEAR Ensemble`` of ``Forecasts_DE_DNN_LEAR_ensembles.csv`` on the same days (the
issue's target: within 2% of it), and both are turned into scenarios with their last 90
days' errors, as ``tsgan backtest`` does, and scored on the days from 2016-04-03 (when the
published forecasts have 90 days of errors behind them), seeds 0 1 2. The forecasts are cached in ``scripts/.cache`` per dataset
and window, so ``bench_forecast.py --lear`` and a second run reuse them. Writes
``scripts/results/lear.md`` and ``lear.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import time

import pandas as pd
from _common import EPF_TEST, RESULTS, SHARED, lear_mae, machine, mean_sd_text

import tsgan
from tsgan.data.curves import fingerprint
from tsgan.evaluation.backtest import day_scores, error_scenarios
from tsgan.evaluation.lear import VERSION, WINDOWS, lear_forecasts
from tsgan.evaluation.report import dm_tests

DATA = SHARED / "epftoolbox" / "DE.csv"
PUBLISHED = SHARED / "epftoolbox" / "Forecasts_DE_DNN_LEAR_ensembles.csv"
SCORED_FROM = "2016-04-03"  # the published forecasts' 90 days of errors start on 2016-01-04
SEEDS = (0, 1, 2)


def scenario_scores(panel: pd.DataFrame, points: dict, last: str) -> dict:
    """Each point forecast plus its last 90 days' errors (100 scenarios a day), scored per
    seed on ``SCORED_FROM..last``: the mean scores, and DM tests of tsgan's LEAR against
    the published one on the per-day ES and VS (statistic < 0: tsgan's better)."""
    days = pd.date_range(SCORED_FROM, last)
    realized = panel["price"].loc[days].to_numpy(dtype="float64")
    means: dict = {name: [] for name in points}
    tests = []
    for seed in SEEDS:
        per_day = {}
        for name, point in points.items():
            scores = day_scores(
                error_scenarios(point, panel["price"], days, n=100, seed=seed), realized
            )
            means[name].append(scores.mean().round(4).to_dict())
            per_day[name] = {k: scores[k].to_numpy() for k in ("es", "vs")}
        tests.append(dm_tests(per_day, ["published"], ("es", "vs"), model="tsgan")["published"])
    return {"from": SCORED_FROM, "to": last, "days": len(days), "means": means, "tests": tests}


def timing(r: dict) -> str:
    """LEAR's computing time: this run's, or, when this run read every forecast from the
    cache, the time of the run that computed them (``computed``)."""
    c = r.get("computed", r)
    text = (
        f"{c['seconds'] / 60:.0f} min with {c['workers'] or 'no'} Ray worker(s) "
        f"({c['cpu_seconds_per_day']:.1f} CPU-s a day for the four windows"
    )
    if "computed" in r:
        return f"LEAR computed in {text}) by an earlier run; this one read its forecasts from the cache"
    return f"{text}; {r['day_windows_cached_at_start']} day-windows were cached at the start)"


def markdown(r: dict) -> str:
    ok = abs(r["mae"]["ratio"] - 1) <= 0.02
    lines = [
        "# tsgan's LEAR against the published LEAR ensemble (epftoolbox DE)",
        "",
        f"`{r['command']}` on {r['machine']}; {timing(r)}. Days {r['from']}..{r['to']}, "
        "each recalibrated on the days before it.",
        "",
        "| LEAR | MAE (EUR/MWh) |",
        "|---|---|",
        f"| published `LEAR Ensemble` | {r['mae']['published']:.3f} |",
        f"| tsgan's, mean of the windows {', '.join(map(str, r['windows']))} | "
        f"{r['mae']['tsgan']:.3f} |",
        *(f"| tsgan's, window {w} alone | {m:.3f} |" for w, m in r["per_window"].items()),
        "",
        f"On {r['mae']['days']} days both forecast: tsgan's MAE is "
        f"{100 * (r['mae']['ratio'] - 1):+.1f}% of the published one's; the target (within 2%) "
        f"is {'met' if ok else '**not met**'}.",
        "",
    ]
    if "scenarios" in r:
        sc = r["scenarios"]
        lines += [
            f"As scenarios (each forecast plus its last 90 days' errors, 100 a day) on "
            f"{sc['from']}..{sc['to']} ({sc['days']} days), mean ± sd over seeds {list(SEEDS)}:",
            "",
            "| LEAR + its errors | ES | VS | CRPS | MAE of the median | 50% cover | 90% cover |",
            "|---|---|---|---|---|---|---|",
        ]
        for name, label in (("published", "published"), ("tsgan", "tsgan's")):
            rows = sc["means"][name]
            cells = [mean_sd_text([row[k] for row in rows], 3) for k in ("es", "vs", "crps", "mae")]
            cover = [
                mean_sd_text([100 * row[k] for row in rows], 1) + "%"
                for k in ("cover50", "cover90")
            ]
            lines.append(f"| {label} | " + " | ".join(cells + cover) + " |")
        lines += [
            "",
            "Diebold–Mariano tests of tsgan's LEAR against the published one on the per-day "
            "scores (statistic < 0: tsgan's better), per seed: "
            + "; ".join(
                f"{key.upper()} "
                + ", ".join(
                    f"{t[key]['statistic']:+.2f} (p {t[key]['p_value']:.2g})" for t in sc["tests"]
                )
                for key in ("es", "vs")
            )
            + ".",
            "",
        ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--from", dest="first", default=EPF_TEST[0])
    parser.add_argument("--to", dest="last", default=EPF_TEST[1])
    parser.add_argument("--workers", type=int, default=os.cpu_count(), help="0: no Ray")
    parser.add_argument("--out", default="lear", help="result name in scripts/results")
    args = parser.parse_args()
    panel = tsgan.daily_panel(tsgan.load_prices(DATA), tsgan.load_inputs(DATA))
    days = pd.date_range(args.first, args.last)
    cache = RESULTS.parent / ".cache"
    on_ray = {"workers": args.workers} if args.workers else None
    ours_cached = cache.glob(f"lear-{VERSION}-{fingerprint(panel)}-*.parquet")  # this LEAR's
    cached = sum(len(pd.read_parquet(p)) for p in ours_cached)
    start = time.perf_counter()
    ours = lear_forecasts(panel, days, cache=cache, ray=on_ray, progress=print)
    seconds = time.perf_counter() - start
    published = tsgan.daily_curves(tsgan.load_prices(PUBLISHED, price_col="LEAR Ensemble"))
    per_window = {  # each window's own forecasts, from the cache just filled
        str(w): lear_mae(panel, lear_forecasts(panel, days, windows=(w,), cache=cache), published)[
            "tsgan"
        ]
        for w in WINDOWS
    }
    result = {
        "command": "python scripts/bench_lear.py"
        + (f" --from {args.first}" if args.first != EPF_TEST[0] else "")
        + (f" --to {args.last}" if args.last != EPF_TEST[1] else "")
        + (f" --workers {args.workers}" if args.workers != os.cpu_count() else ""),
        "machine": machine(),
        "from": args.first,
        "to": args.last,
        "workers": args.workers,
        "windows": list(WINDOWS),
        "seconds": round(seconds, 1),
        "cpu_seconds_per_day": round(seconds * max(args.workers, 1) / len(days), 2),
        "day_windows_cached_at_start": cached,  # a time from a filled cache is not LEAR's
        "mae": lear_mae(panel, ours, published),
        "per_window": per_window,
    }
    previous = RESULTS / f"{args.out}.json"
    if cached >= 4 * len(days) and previous.is_file():  # a filled cache: keep the time it took
        old = json.loads(previous.read_text())
        if (old["from"], old["to"]) == (args.first, args.last) and (
            "computed" in old or old["day_windows_cached_at_start"] == 0
        ):
            result["computed"] = old.get("computed") or {
                k: old[k] for k in ("seconds", "workers", "cpu_seconds_per_day")
            }
    if pd.Timestamp(args.first) <= pd.Timestamp(EPF_TEST[0]):  # 90 days of errors before
        result["scenarios"] = scenario_scores(
            panel, {"tsgan": ours, "published": published}, args.last
        )
    (RESULTS / f"{args.out}.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / f"{args.out}.md").write_text(markdown(result))
    print(markdown(result))


if __name__ == "__main__":
    main()
