"""How the conditional defaults were chosen: validation on training days only, never on 2025.

Usage: python scripts/tune_conditional.py [--condition calendar] [--variants NAME ...] [--seeds 0 ...]
       [--epochs N] [--years TRAIN VALID] [--source PRICES]
       → scripts/results/tune_conditional.json (appends one entry per variant)

Validation split inside the benchmark's training years: train on DE-LU 2023, validate on
every day of 2024 (the same "next year" structure as the benchmark's train 2023–2024 / test
2025, with no 2025 day in sight). ``--years 2024 2023`` turns it around (train 2024, validate
2023): a second split inside the training years, whose prices moved the other way. Each
variant is the default ``PriceGAN`` with some settings changed, trained for the default
number of epochs (or ``--epochs``), and scored day by day with ``evaluate_conditional``
against the analog-day baselines.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras
from _common import DE_LU, ROOT

import tsgan
from tsgan.atomic import atomic_path
from tsgan.evaluation import evaluate_conditional, roughness
from tsgan.model.sampling import day_generator
from tsgan.settings import TrainConfig, default_epochs

DATA = DE_LU
OUT = ROOT / "scripts" / "results" / "tune_conditional.json"

VARIANTS: dict[str, dict] = {
    "default": {},
    "pac2": {"pac": 2},
    "bce": {"loss": "bce"},
    "latent64": {"latent_dim": 64},
    "latent8": {"latent_dim": 8},
    "no_ema": {"ema": None},
    "gp5": {"gp_weight": 5.0},
    "d256": {"discriminator_units": (256, 256)},
    "d3x128": {"discriminator_units": (128, 128, 128)},
    "g256": {"generator_units": (256, 256)},
    "d_steps3": {"d_steps": 3},
    "bce_pac2": {"loss": "bce", "pac": 2},
    "bce_d_steps1": {"loss": "bce", "d_steps": 1},
    # Adam's learning rates (discriminator, generator); the default is tsgan.settings.LEARNING_RATES
    "lr_2e-4": {"learning_rates": (2e-4, 2e-4)},
    "lr_4e-4_1e-4": {"learning_rates": (4e-4, 1e-4)},
    # the season each training day is shown with, moved by a Gaussian of this sd in days
    # (the default: tsgan.settings.SEASON_JITTER_DAYS)
    "no_jitter": {"season_jitter": 0.0},
    "jitter7": {"season_jitter": 7.0},
    "jitter15": {"season_jitter": 15.0},
    "jitter30": {"season_jitter": 30.0},
    "jitter45": {"season_jitter": 45.0},
    "jitter60": {"season_jitter": 60.0},
    # each training day (and with calendar+level its level) moved by a Gaussian of this sd in
    # units of the price transform's scale (the default: tsgan.settings.LEVEL_JITTER). The rows named
    # level_jitterNN_eur were measured while the sd was in EUR/MWh (NN).
    "no_level_jitter": {"level_jitter": 0.0},
    "level_jitter0.3": {"level_jitter": 0.3},
    "level_jitter0.45": {"level_jitter": 0.45},
    "level_jitter0.6": {"level_jitter": 0.6},
    "level_jitter0.75": {"level_jitter": 0.75},
    "level_jitter0.9": {"level_jitter": 0.9},
    "batch_norm": {"batch_norm": True},
    "no_batch_norm": {"batch_norm": False},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--condition", default="calendar", choices=("calendar", "calendar+level"))
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS))
    parser.add_argument("--epochs", type=int, default=None, help="default: tsgan train's")
    parser.add_argument("--n-per-day", type=int, default=200)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument(
        "--years",
        nargs=2,
        default=["2023", "2024"],
        metavar=("TRAIN", "VALID"),
        help="training and validation year, or years FIRST-LAST (default 2023 2024; never "
        "2025, the test year)",
    )
    parser.add_argument(
        "--source",
        type=Path,
        default=DATA,
        help="price file or folder (default: DE-LU 2020-2025; e.g. ../shared/data/epftoolbox/DE.csv "
        "with --years 2015 2016 for another era)",
    )
    args = parser.parse_args()
    # a year, or years "FIRST-LAST" (e.g. --years 2013-2014 2015: two training years)
    if not all(re.fullmatch(r"\d{4}(-\d{4})?", y) for y in args.years):
        parser.error(f"--years takes YEAR or FIRST-LAST (e.g. 2023 or 2013-2014), got {args.years}")
    spans = [(y.split("-")[0], y.split("-")[-1]) for y in args.years]
    if any(int(first) <= 2025 <= int(last) for first, last in spans):
        parser.error("2025 is the benchmark's test year: validate inside 2023-2024")
    curves = tsgan.daily_curves(tsgan.load_prices(args.source))
    train, valid = (curves.loc[f"{first}-01-01" : f"{last}-12-31"] for first, last in spans)
    if args.epochs is None:
        args.epochs = default_epochs(len(train), TrainConfig.batch_size)
    for name, seed in ((name, seed) for name in args.variants for seed in args.seeds):
        settings = dict(VARIANTS[name])
        loss = settings.pop("loss", None)  # None: the default for the condition
        d_rate, g_rate = settings.pop("learning_rates", (None, None))  # None: the loss's
        keras.utils.set_random_seed(seed)
        if loss is not None:
            settings["loss"] = loss
        gan = tsgan.PriceGAN(seed=seed, condition=args.condition, **settings)
        gan.compile(d_learning_rate=d_rate, g_learning_rate=g_rate)
        t0 = time.perf_counter()
        gan.fit(train, epochs=args.epochs, batch_size=TrainConfig.batch_size, verbose=0)
        seconds = time.perf_counter() - t0

        r = evaluate_conditional(
            day_generator(gan),
            valid,
            train,
            level=gan.conditions.level is not None,
            n_per_day=args.n_per_day,
            splits=10,
        )
        entry = {
            "condition": args.condition,
            "variant": name,
            "seed": seed,
            "years": args.years,
            **({} if args.source == DATA else {"source": args.source.name}),
            "loss": gan.settings.loss,
            "settings": {k: v for k, v in VARIANTS[name].items()},
            "season_jitter": gan.settings.season_jitter,  # "default" rows: the default of their time
            "level_jitter": gan.settings.level_jitter,  # in units of the transform's scale
            "batch_norm": gan.settings.batch_norm,
            "level_jitter_eur": round(
                gan.settings.level_jitter * float(keras.ops.convert_to_numpy(gan.transform.scale)),
                2,
            ),
            "epochs": args.epochs,
            "train_seconds": round(seconds, 1),
            "es": {k: round(v["es"], 3) for k, v in r["scores"].items()},
            "vs": {k: round(v["vs"], 1) for k, v in r["scores"].items()},
            "crps": {k: round(v["crps"], 3) for k, v in r["scores"].items()},
            "dm_es_vs_analog_days": round(
                r["diebold_mariano"]["analog days"]["es"]["statistic"], 2
            ),
            "shape_sd": {k: round(v, 2) for k, v in r["shape_sd"].items()},
            # mean absolute hour-to-hour change (EUR/MWh): jagged scenarios show here
            "roughness": {
                k: round(roughness(s.reshape(-1, s.shape[-1])), 2) for k, s in r.samples.items()
            }
            | {"validation days": round(roughness(valid.to_numpy()), 2)},
        }
        print(json.dumps(entry), flush=True)
        # read again before appending: runs started side by side must not drop each other's rows
        results = json.loads(OUT.read_text()) if OUT.exists() else []
        with atomic_path(OUT) as tmp:
            tmp.write_text(json.dumps([*results, entry], indent=1) + "\n")


if __name__ == "__main__":
    main()
