"""``tsgan evaluate``: a model scored against held-out days and baselines."""

from __future__ import annotations

import contextlib
from pathlib import Path

from tsgan.atomic import staged_folder
from tsgan.commands.common import CliError, load_run_model, logger
from tsgan.runlock import run_lock


def cmd_evaluate(args) -> int:
    model = Path(args.model)
    run = model if model.is_dir() else model.parent
    inside = run.is_dir() and Path(args.out).resolve().is_relative_to(run.resolve())
    with run_lock(run) if inside else contextlib.nullcontext():  # a report inside the run
        return _evaluate(args)


def _evaluate(args) -> int:
    from tsgan.data import daily_curves, data_credit, load_prices
    from tsgan.evaluation import evaluate_generator, write_report
    from tsgan.settings import TrainConfig

    if args.n < 2 or args.n_per_day < 2:
        raise CliError("--n and --n-per-day must be at least 2 (scores compare scenarios pairwise)")
    report = Path(args.out)
    if report.exists() and not report.is_dir():
        raise CliError(f"{report}: exists and is not a directory (--out is a report folder)")
    gan = load_run_model(args.model)
    run = Path(args.model) if Path(args.model).is_dir() else Path(args.model).parent
    test_prices = load_prices(args.test_sources, zone=args.zone, tz=args.tz)
    test = daily_curves(test_prices).loc[args.date_from : args.date_to]
    if test.empty:
        raise CliError("no test day in the selected range")
    if args.train:
        train = daily_curves(load_prices(args.train, zone=args.zone, tz=args.tz))
    else:
        from tsgan.train import training_curves

        config_file = run / "config.toml"
        if not config_file.is_file():
            raise CliError(f"{config_file}: not found; give the training data with --train")
        train, _ = training_curves(TrainConfig.from_file(config_file))
    n_steps = gan.settings.n_steps
    if test.shape[1] != n_steps or train.shape[1] != n_steps:
        raise CliError(f"the model makes {n_steps} values a day, the data has {test.shape[1]}")
    overlap = test.index.intersection(train.index)
    if len(overlap):
        logger.warning(
            "%d test days are also training days: the scores are not out-of-sample", len(overlap)
        )
    if not args.quiet:
        span = f"{test.index[0]:%Y-%m-%d}..{test.index[-1]:%Y-%m-%d}"
        scenarios = (
            f"{args.n_per_day} scenarios per day" if gan.conditions else f"{args.n} scenarios"
        )
        print(
            f"evaluating {run} on {len(test)} test days ({span}), {len(train)} training days, "
            f"{scenarios}",
            flush=True,
        )
    if gan.conditions is not None:
        return _evaluate_conditional(gan, run, test, train, args, data_credit(test_prices))
    try:
        results = evaluate_generator(
            lambda m, s: gan.generate(m, seed=s, as_frame=False),
            test,
            train,
            n=args.n,
            seed=args.seed,
        )
    except ValueError as err:  # too few test days
        raise CliError(str(err)) from None
    with staged_folder(args.out) as tmp:  # a stopped evaluation leaves no half a report
        write_report(
            results, test, tmp, title=f"tsgan evaluation of {run}", credit=data_credit(test_prices)
        )
    out = args.out
    matched = results["matched"]
    for key in ("delta_es", "crps_mean", "one_nn_accuracy", "coverage"):
        row = "  ".join(f"{name} {matched[name][key]['mean']:.3g}" for name in matched)
        print(f"{key:16s} {row}")
    print(f"wrote {out}/report.md, metrics.json and figures")
    return 0


def _evaluate_conditional(gan, run: Path, test, train, args, credit: str | None) -> int:
    from tsgan.evaluation import evaluate_conditional, write_conditional_report
    from tsgan.model.sampling import day_generator

    results = evaluate_conditional(
        day_generator(gan),
        test,
        train,
        level=gan.conditions.level is not None,
        country=gan.settings.country,
        n_per_day=args.n_per_day,
        seed=args.seed,
    )
    with staged_folder(args.out) as tmp:
        write_conditional_report(
            results,
            test,
            tmp,
            title=f"tsgan evaluation by condition of {run} ({gan.settings.condition})",
            credit=credit,
        )
    out = args.out
    for key in ("es", "vs", "crps"):
        row = "  ".join(f"{name} {results['scores'][name][key]:.4g}" for name in results["scores"])
        print(f"{key:5s} {row}")
    for name, row in results["diebold_mariano"].items():
        print(
            f"DM energy score vs {name}: stat {row['es']['statistic']:+.2f}, p {row['es']['p_value']:.3g}"
        )
    print(f"wrote {out}/report.md, metrics.json and fan_charts.png")
    return 0
