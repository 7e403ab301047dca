"""Scenarios for a given day: conditional tsgan against analog-day baselines, on held-out 2025.

Usage: python scripts/bench_conditional.py [--seeds 0] [--epochs N] [--n-per-day 500]
       → scripts/results/conditional.md and conditional.json

Protocol (temporal): train on DE-LU 2023-01-01..2024-12-31, test on every day of 2025, from
``../shared/data/energy_charts_de_lu/``. For each seed, three runs with the default
``tsgan train`` settings (animation on, as a user gets it): unconditional, ``--condition
calendar`` and ``--condition calendar+level``. Every test day is scored against
``n_per_day`` scenarios for its own date (and, with the level, its realized daily mean), by
``tsgan.evaluation.evaluate_conditional``, against the analog-day baselines fitted on the same
training days. The calendar model is also compared with the unconditional model.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras
import numpy as np
from _common import DE_LU, RESULTS, machine, mean_sd_text

import tsgan
from tsgan.evaluation import evaluate_conditional
from tsgan.model.sampling import day_generator
from tsgan.settings import TrainConfig
from tsgan.train import train

DATA = DE_LU
TRAIN, TEST = ("2023-01-01", "2024-12-31"), ("2025-01-01", "2025-12-31")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--epochs", type=int, default=None, help="default: tsgan train's")
    parser.add_argument("--n-per-day", type=int, default=500)
    args = parser.parse_args()

    curves = tsgan.daily_curves(tsgan.load_prices(DATA))
    train_days, test_days = curves.loc[TRAIN[0] : TRAIN[1]], curves.loc[TEST[0] : TEST[1]]
    print(f"train {len(train_days)} days {TRAIN}, test {len(test_days)} days {TEST}", flush=True)
    out: dict = {"machine": machine(), "n_per_day": args.n_per_day, "seeds": {}}
    extra = {} if args.epochs is None else {"epochs": args.epochs}
    with tempfile.TemporaryDirectory() as tmp:
        for seed in args.seeds:
            runs, times = {}, {}
            for condition in (None, "calendar", "calendar+level"):
                name = condition or "unconditional"
                config = TrainConfig.from_values(
                    dict(
                        sources=(str(DATA),),
                        zone="DE-LU",
                        date_from=TRAIN[0],
                        date_to=TRAIN[1],
                        out=f"{tmp}/{name}-{seed}",
                        seed=seed,
                        condition=condition,
                        **extra,
                    )
                )
                summary = train(config, progress=None)
                times[name] = summary["wall_time_s"]
                runs[name] = keras.models.load_model(f"{tmp}/{name}-{seed}/model.keras")
                print(f"seed {seed}: trained {name} in {times[name]:.1f} s", flush=True)
            results = {}
            for name, level in (("calendar", False), ("calendar+level", True)):
                t0 = time.perf_counter()
                others = {"unconditional model": day_generator(runs["unconditional"])}
                r = evaluate_conditional(
                    day_generator(runs[name]),
                    test_days,
                    train_days,
                    level=level,
                    n_per_day=args.n_per_day,
                    seed=seed,
                    others=others if not level else None,
                )
                r.pop("per_day")
                r["eval_seconds"] = round(time.perf_counter() - t0, 1)
                results[name] = r
                print(f"seed {seed}: {name}: {json.dumps(r['scores'])}", flush=True)
            out["seeds"][str(seed)] = {"train_seconds": times, "results": results}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "conditional.json").write_text(json.dumps(out, indent=2) + "\n")
    (RESULTS / "conditional.md").write_text(markdown(out))
    print((RESULTS / "conditional.md").read_text())


def markdown(out: dict) -> str:
    seeds = list(out["seeds"])
    runs = [out["seeds"][s] for s in seeds]
    lines = [
        "# Scenarios for a given day: conditional tsgan against analog days (held-out 2025)",
        "",
        "Reproduce: `python scripts/bench_conditional.py --seeds " + " ".join(seeds) + "`.",
        "",
        f"Machine: {out['machine']}. Train DE-LU 2023-01-01..2024-12-31 (731 days), test every day of 2025 "
        f"(365 days; hourly curves, the 15-minute days since 2025-10-01 averaged to hours). Default `tsgan train` "
        f"settings; {out['n_per_day']} scenarios per test day; seeds {', '.join(seeds)} (mean ± sd over seeds "
        "where there are several). Scores are means over the test days of each day's own score; lower is better.",
        "",
    ]
    verdicts = []
    for name, title in (
        ("calendar", "`--condition calendar`"),
        ("calendar+level", "`--condition calendar+level`, given each test day's realized mean"),
    ):
        rs = [r["results"][name] for r in runs]
        cols = list(rs[0]["scores"])
        lines += [
            f"## {title}",
            "",
            "| score | " + " | ".join(cols) + " |",
            "|---|" + "---|" * len(cols),
        ]
        for key, label in (("es", "energy score"), ("vs", "variogram score"), ("crps", "CRPS")):
            lines.append(
                f"| {label} | "
                + " | ".join(mean_sd_text([r["scores"][c][key] for r in rs]) for c in cols)
                + " |"
            )
        lines += [
            "",
            "Diebold–Mariano, model against each column (statistic < 0: model better; p two-sided):",
            "",
        ]
        lines += ["| against | ES stat | ES p | VS p | CRPS p |", "|---|---|---|---|---|"]
        for other in rs[0]["diebold_mariano"]:
            dm = [r["diebold_mariano"][other] for r in rs]
            lines.append(
                f"| {other} | {mean_sd_text([d['es']['statistic'] for d in dm])} | "
                + " | ".join(
                    ", ".join(f"{d[k]['p_value']:.2g}" for d in dm) for k in ("es", "vs", "crps")
                )
                + " |"
            )
        for key, heading in (("by_day_type", "day type"), ("by_season", "season")):
            lines += [
                "",
                f"Energy score by {heading}:",
                "",
                f"| {heading} | days | " + " | ".join(cols) + " |",
                "|---|---|" + "---|" * len(cols),
            ]
            for group, row in rs[0][key].items():
                lines.append(
                    f"| {group} | {row['days']} | "
                    + " | ".join(mean_sd_text([r[key][group][c] for r in rs]) for c in cols)
                    + " |"
                )
        p = [r["profile_difference"] for r in rs]
        lines += [
            "",
            "Workday − Sunday/holiday mean profile, RMSE against the real difference over 20 stratified "
            f"halvings of the test days: model {mean_sd_text([q['model_mean'] for q in p])} EUR/MWh, noise floor "
            f"(real half against real half) {mean_sd_text([q['floor_mean'] for q in p])} (sd over halvings "
            f"{mean_sd_text([q['floor_sd'] for q in p])}); within floor + 2 sd: {', '.join(str(q['within_floor']) for q in p)}.",
            "",
            "Shape variety (mean per-day sd of demeaned scenarios, EUR/MWh): "
            + ", ".join(
                f"{c} {mean_sd_text([r['shape_sd'][c] for r in rs])}" for c in rs[0]["shape_sd"]
            )
            + ".",
        ]
        if "level_error" in rs[0]:
            lines.append(
                "Level: median relative error of the generated daily means "
                + ", ".join(f"{r['level_error']['median_relative']:.1e}" for r in rs)
                + "; largest "
                + ", ".join(f"{r['level_error']['max_relative']:.1e}" for r in rs)
                + "."
            )
        lines.append("")
        # targets
        analog = "analog days"
        es_model = np.mean([r["scores"]["model"]["es"] for r in rs])
        es_analog = np.mean([r["scores"][analog]["es"] for r in rs])
        p_analog = max(r["diebold_mariano"][analog]["es"]["p_value"] for r in rs)
        ok = es_model < es_analog and p_analog < 0.05
        verdicts.append(
            f"- {title}: energy score {es_model:.3f} vs analog days {es_analog:.3f}, DM p ≤ {p_analog:.2g}: "
            + ("**met**" if ok else "**not met**")
        )
        if name == "calendar":
            es_unc = np.mean([r["scores"]["unconditional model"]["es"] for r in rs])
            verdicts.append(
                f"- `calendar` below the unconditional model: {es_model:.3f} vs {es_unc:.3f}: "
                + ("**met**" if es_model < es_unc else "**not met**")
            )
        verdicts.append(
            f"- {title}: workday − Sunday profile within the noise floor: "
            + ("**met**" if all(q["within_floor"] for q in p) else "**not met**")
        )
    ratio = [r["train_seconds"]["calendar"] / r["train_seconds"]["unconditional"] for r in runs]
    ratio_l = [
        r["train_seconds"]["calendar+level"] / r["train_seconds"]["unconditional"] for r in runs
    ]
    verdicts.append(
        "- training time within 1.2× of the unconditional default: calendar "
        + ", ".join(f"{x:.2f}×" for x in ratio)
        + ", calendar+level "
        + ", ".join(f"{x:.2f}×" for x in ratio_l)
        + ": "
        + ("**met**" if max(ratio + ratio_l) <= 1.2 else "**not met**")
    )
    lines += [
        "## Wall times",
        "",
        "| seed | unconditional | calendar | calendar+level | evaluation (calendar, +level) |",
        "|---|---|---|---|---|",
    ]
    for s, r in zip(seeds, runs, strict=True):
        t = r["train_seconds"]
        lines.append(
            f"| {s} | {t['unconditional']:.1f} s | {t['calendar']:.1f} s | {t['calendar+level']:.1f} s | "
            f"{r['results']['calendar']['eval_seconds']:.0f} s, {r['results']['calendar+level']['eval_seconds']:.0f} s |"
        )
    lines += ["", "## Targets", "", *verdicts, ""]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
