"""The ``tsgan`` subcommands: each reads its arguments, calls the library, prints a summary
and returns the exit code. :mod:`tsgan.cli` builds the parser and maps errors to exit codes."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from pathlib import Path

logger = logging.getLogger("tsgan")


class CliError(Exception):
    """A problem to report in one line, exit code 2."""


@contextlib.contextmanager
def _quiet_stderr():
    """Silence the C++ start-up chatter TensorFlow writes to fd 2 while it is imported."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def _import_keras():
    with _quiet_stderr():
        import keras
        import tensorflow as tf

        import tsgan.model  # noqa: F401

        tf.config.list_physical_devices()  # device discovery logs its CUDA probing here
    return keras


def one_line(err: BaseException) -> str:
    """An error's message on one line (its type's name when it has none)."""
    text = str(err).strip() or type(err).__name__
    return " ".join(text.split())


def cmd_data(args) -> int:
    from tsgan.data import daily_curves, load_prices

    options = ("zone", "time_col", "price_col", "sequence", "decimal", "dayfirst", "tz")
    prices = load_prices(args.sources, **{name: getattr(args, name) for name in options})
    curves = daily_curves(prices, dst=args.dst)
    a = prices.attrs
    values = curves.to_numpy()
    print(
        f"sources     {', '.join(a['sources'][:3])}{' …' if len(a['sources']) > 3 else ''} ({len(a['sources'])} file(s))"
    )
    print(f"format      {a['format']}")
    zones = f" (file has {', '.join(a['zones'])})" if len(a.get("zones", [])) > 1 else ""
    print(f"zone        {a['zone'] or 'not stated in the file'}{zones}")
    print(
        f"range       {prices.index[0]:%Y-%m-%d %H:%M} .. {prices.index[-1]:%Y-%m-%d %H:%M} {prices.index.tz}"
    )
    print(f"resolution  {a['resolution']}")
    print(f"prices      {len(prices):,} values")
    print(
        f"days        {len(curves):,} complete days ({curves.index[0]:%Y-%m-%d} .. {curves.index[-1]:%Y-%m-%d})"
    )
    dst = curves.attrs["dst_days"]
    print(
        f"DST days    {len(dst)} {'interpolated/averaged' if args.dst == 'interpolate' else ''}"
        f"{': ' + ', '.join(dst[:6]) + (' …' if len(dst) > 6 else '') if dst else ''}"
    )
    dropped = curves.attrs["dropped"]
    print(f"dropped     {len(dropped)} day(s)")
    for day, reason in list(dropped.items())[:10]:
        print(f"  {day}  {reason}")
    if len(dropped) > 10:
        print(f"  … and {len(dropped) - 10} more")
    for note in a.get("notes", []):
        print(f"note        {note}")
    print(
        f"mean        {values.mean():.2f} EUR/MWh   min {values.min():.2f}   max {values.max():.2f}"
    )
    print(f"negative    {(values < 0).mean():.2%} of hours")
    _print_inputs(args)
    return 0


def _print_inputs(args) -> None:
    """The columns that could be inputs of --condition forecast: range, gaps, default."""
    from tsgan.data.prices import load_inputs

    options = ("zone", "time_col", "price_col", "decimal", "dayfirst", "tz")
    read = {name: getattr(args, name) for name in options}
    every = load_inputs(args.sources, inputs="*", **read)
    if every.empty and not every.attrs["candidates"]:
        print("inputs      none (the file holds prices only)")
        return
    default = set(load_inputs(args.sources, **read).columns)
    for name in every.columns:
        values = every[name]
        known = values.dropna()
        if known.empty:
            print(f"input       {name}: no values")
            continue
        role = "an input by default" if name in default else "--inputs to use it"
        print(
            f"input       {name}: {known.min():.6g}..{known.max():.6g}, "
            f"{known.index[0]:%Y-%m-%d}..{known.index[-1]:%Y-%m-%d}, "
            f"{values.isna().sum():,} missing ({role})"
        )


def cmd_fetch(args) -> int:
    from tsgan.data import fetch_prices

    prices = fetch_prices(
        zone=args.zone,
        start=args.start,
        end=args.end,
        source=args.source,
        cache_dir=args.cache_dir,
        base_url=args.base_url,
        progress=None if args.quiet else (lambda line: print(line, file=sys.stderr, flush=True)),
    )
    out = Path(args.out)
    frame = prices.rename_axis("time").reset_index()
    frame["time"] = frame["time"].map(lambda t: t.isoformat())
    _write_table(frame, out)
    print(f"wrote {len(prices):,} prices ({prices.attrs['resolution']}, {args.zone}) to {out}")
    return 0


def _write_table(frame, out: Path) -> None:
    suffix = out.suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise CliError(f"{out}: output must end in .csv or .parquet")
    from tsgan.atomic import atomic_path

    with atomic_path(out) as tmp:
        if suffix == ".csv":
            frame.to_csv(tmp, index=False, float_format="%.2f")
        else:
            frame.to_parquet(tmp, index=False)


def _train_config(args):
    """The run's settings from ``--resume``'s run, a ``--config`` file and the flags."""
    from tsgan.settings import TrainConfig, flagged_fields

    # the flags carry the settings' field names (dest=...); None: not given
    overrides = {
        f.name: (tuple(v) or None) if isinstance(v := getattr(args, f.name, None), list) else v
        for f in flagged_fields()
    }
    if args.resume:
        run = Path(args.resume)
        given = [k for k, v in overrides.items() if v is not None and k not in ("epochs",)]
        if given or args.config:
            raise CliError(
                "--resume RUN_DIR continues a run with its own settings (config.toml); "
                "only --epochs may change"
            )
        path = run / "config.toml"
        if not path.is_file():
            raise CliError(f"{path}: not found, nothing to resume")
        return TrainConfig.from_toml(
            path.read_text(encoding="utf-8"), where=str(path), out=str(run), epochs=args.epochs
        )
    if args.config:
        path = Path(args.config)
        if not path.is_file():
            raise CliError(f"{path}: no such config file")
        return TrainConfig.from_toml(path.read_text(encoding="utf-8"), where=str(path), **overrides)
    return TrainConfig.from_values({k: v for k, v in overrides.items() if v is not None})


def cmd_train(args) -> int:
    config = _train_config(args)
    _import_keras()
    from tsgan.train import Terminated, train

    if not args.quiet:
        print(
            f"training on {'DEMO DATA (synthetic)' if config.demo else ', '.join(config.sources)} → {config.out}"
        )
    try:
        summary = train(
            config,
            progress=None if args.quiet else (lambda line: print(line, flush=True)),
            resume=bool(args.resume),
            checkpoint_seconds=args.checkpoint_every,
        )
    except (KeyboardInterrupt, Terminated) as stop:
        what, code = ("terminated", 143) if isinstance(stop, Terminated) else ("interrupted", 130)
        print(
            f"{what}: {_saved(Path(config.out), getattr(stop, 'summary', None))}", file=sys.stderr
        )
        return code
    d = summary["data"]
    print(
        f"{summary['status']}: {summary['epochs_completed']} epochs on {d['training_days']} days "
        f"({d['from']}..{d['to']}) in {summary['wall_time_s']:.0f} s → {config.out}"
    )
    return 0 if summary["status"] == "finished" else 1


def _saved(run: Path, summary: dict | None) -> str:
    """What an interrupted run left (so that the message is true)."""
    if summary is None:  # stopped before training started
        return f"nothing was trained; {run} is as it was"
    if summary.get("previous_run_restored"):
        return f"no epoch was completed; the run that was in {run} is kept"
    done = summary.get("epochs_completed")
    if done and (run / "model.keras").is_file():
        return f"the run so far is saved in {run} ({done} epochs)"
    return f"no epoch was completed, no model saved in {run}"


def _load_model(path_text: str):
    _import_keras()
    from tsgan.model import load_model

    path = Path(path_text)
    if path.is_dir():
        path = path / "model.keras"
    if not path.is_file():
        raise CliError(f"{path}: no such model (give a run directory or a .keras file)")
    try:
        return load_model(path)
    except ValueError as err:
        raise CliError(str(err)) from None


def _read_levels(path_text: str):
    import pandas as pd

    path = Path(path_text)
    if not path.is_file():
        raise CliError(f"{path}: no such levels file")
    try:
        table = pd.read_csv(path)
    except (ValueError, UnicodeDecodeError) as err:
        raise CliError(f"{path}: not a CSV file ({one_line(err)})") from None
    table.columns = [str(c).strip().lower() for c in table.columns]
    if not {"date", "level"} <= set(table.columns):
        raise CliError(f"{path}: needs the columns date,level (found {', '.join(table.columns)})")
    dates = pd.to_datetime(table["date"], errors="coerce", format="ISO8601")
    values = pd.to_numeric(table["level"], errors="coerce")
    bad = dates.isna() | values.isna()
    if bad.any():
        line = int(bad.to_numpy().argmax()) + 2
        raise CliError(
            f"{path}: line {line}: expected an ISO date and a number, got "
            f"{table['date'].iloc[line - 2]!r}, {table['level'].iloc[line - 2]!r}"
        )
    return pd.Series(values.to_numpy(dtype="float64"), index=pd.DatetimeIndex(dates))


def _read_panel(source: str, gan, *, zone: str | None):
    """The daily panel of a file: its prices and the inputs the model reads, in the
    model's time zone."""
    from tsgan.data.curves import daily_panel
    from tsgan.data.prices import load_inputs, load_prices

    tz = gan.settings.timezone
    prices = load_prices(source, zone=zone, tz=tz)
    inputs = load_inputs(source, inputs=list(gan.settings.inputs), zone=zone, tz=tz)
    return daily_panel(prices, inputs)


def cmd_sample(args) -> int:
    from tsgan.model.sampling import delivery_intervals, parse_dates, sample_scenarios

    if args.n is not None and args.n_per_day is not None:
        raise CliError("give --n or --n-per-day, not both")
    n = args.n_per_day if args.n_per_day is not None else args.n
    if n is None:
        raise CliError("give the number of scenarios: --n-per-day N (or --n N)")
    if n < 1:
        raise CliError(f"the number of scenarios must be at least 1, got {n}")
    try:
        dates = parse_dates(args.dates) if args.dates else None
    except ValueError as err:
        raise CliError(str(err)) from None
    levels = _read_levels(args.levels) if args.levels else args.level
    if args.long and dates is None:
        raise CliError("--long needs --dates: delivery intervals belong to dates")
    gan = _load_model(args.model)
    data = _read_panel(args.data, gan, zone=args.zone) if args.data else None
    try:
        frame = sample_scenarios(gan, dates, n_per_day=n, levels=levels, seed=args.seed, data=data)
    except ValueError as err:
        raise CliError(f"{args.model}: {err}") from None
    if args.long:
        frame = delivery_intervals(frame, timezone=gan.settings.timezone)
    _write_table(frame, Path(args.out))
    what = f"{n} scenarios" + (f" for each of {len(dates)} days" if dates is not None else "")
    print(f"wrote {what} (EUR/MWh, {len(frame):,} rows) to {args.out}")
    return 0


def cmd_animate(args) -> int:
    from tsgan.animation.renderer import SAMPLES_FILE, animation_look, render_animation
    from tsgan.animation.writers import ANIMATION_SUFFIXES

    if args.every < 1:
        raise CliError(f"--every must be at least 1, got {args.every}")
    if args.fps <= 0:
        raise CliError(f"--fps must be above 0, got {args.fps}")
    out = Path(args.out) if args.out else None
    if out is not None and out.suffix.lower() not in ANIMATION_SUFFIXES:
        raise CliError(f"{out}: write {', '.join(ANIMATION_SUFFIXES)} (chosen by the suffix)")
    runs = [Path(r) for r in args.run_dirs]
    if len(runs) > 1 and out is None:
        raise CliError("several runs are drawn side by side into one file: give -o/--out")
    if args.labels is not None and len(args.labels) != len(runs):
        raise CliError(f"{len(args.labels)} --label for {len(runs)} runs: give one per run")
    for run in runs:
        if not (run / SAMPLES_FILE).is_file():
            raise CliError(f"{run / SAMPLES_FILE}: no stored samples (train with the animation on)")
    try:
        look = animation_look(size=args.size, theme=args.theme, title=args.title, hold=args.hold)
    except ValueError as err:
        raise CliError(f"--{err}") from None
    out = out or runs[0] / "training.gif"
    n = render_animation(
        [r / SAMPLES_FILE for r in runs],
        out,
        labels=args.labels,
        fps=args.fps,
        every=args.every,
        **look,
    )
    print(f"wrote {n} frames to {out}")
    return 0


def cmd_evaluate(args) -> int:
    from tsgan.data import daily_curves, data_credit, load_prices
    from tsgan.evaluation import evaluate_generator, write_report
    from tsgan.settings import TrainConfig

    if args.n < 2 or args.n_per_day < 2:
        raise CliError("--n and --n-per-day must be at least 2 (scores compare scenarios pairwise)")
    report = Path(args.out)
    if report.exists() and not report.is_dir():
        raise CliError(f"{report}: exists and is not a directory (--out is a report folder)")
    gan = _load_model(args.model)
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
        train, _ = training_curves(
            TrainConfig.from_toml(config_file.read_text(encoding="utf-8"), where=str(config_file))
        )
    n_steps = gan.settings.n_steps
    if test.shape[1] != n_steps or train.shape[1] != n_steps:
        raise CliError(f"the model makes {n_steps} values a day, the data has {test.shape[1]}")
    overlap = test.index.intersection(train.index)
    if len(overlap):
        logger.warning(
            "%d test days are also training days: the scores are not out-of-sample", len(overlap)
        )
    print(
        f"evaluating {run} on {len(test)} test days ({test.index[0]:%Y-%m-%d}..{test.index[-1]:%Y-%m-%d}), "
        f"{len(train)} training days, "
        + (f"{args.n_per_day} scenarios per day" if gan.conditions else f"{args.n} scenarios"),
        flush=True,
    )
    if gan.conditions is not None:
        return _evaluate_conditional(gan, run, test, train, args, data_credit(test_prices))
    results = evaluate_generator(
        lambda m, s: gan.generate(m, seed=s), test, train, n=args.n, seed=args.seed
    )
    out = write_report(
        results, test, args.out, title=f"tsgan evaluation of {run}", credit=data_credit(test_prices)
    )
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
    out = write_conditional_report(
        results,
        test,
        args.out,
        title=f"tsgan evaluation by condition of {run} ({gan.settings.condition})",
        credit=credit,
    )
    for key in ("es", "vs", "crps"):
        row = "  ".join(f"{name} {results['scores'][name][key]:.4g}" for name in results["scores"])
        print(f"{key:5s} {row}")
    for name, row in results["diebold_mariano"].items():
        print(
            f"DM energy score vs {name}: stat {row['es']['statistic']:+.2f}, p {row['es']['p_value']:.3g}"
        )
    print(f"wrote {out}/report.md, metrics.json and fan_charts.png")
    return 0


def cmd_backtest(args) -> int:
    from tsgan.data.curves import daily_curves, daily_panel
    from tsgan.data.prices import load_inputs, load_prices

    names = [b.strip() for b in args.baselines.split(",") if b.strip() and b.strip() != "none"]
    unknown = sorted(set(names) - {"naive", "lear"})
    if unknown:
        raise CliError(f"--baselines: unknown {unknown[0]!r} (naive, lear or none)")
    if args.recalibrate < 1 or args.n_per_day < 2:
        raise CliError("--recalibrate must be at least 1 and --n-per-day at least 2")
    out = Path(args.out)
    if out.exists() and any(out.iterdir()) and not args.resume:
        raise CliError(f"{out}: not empty (--resume continues a backtest there)")
    inputs = [n.strip() for n in args.inputs.split(",")] if args.inputs else None
    prices = load_prices(args.source, zone=args.zone, tz=args.tz)
    panel = daily_panel(prices, load_inputs(args.source, inputs=inputs, zone=args.zone, tz=args.tz))
    baselines: dict = {name: None for name in names if name == "naive"}
    if "lear" in names:
        from tsgan.evaluation.lear import lear_forecasts

        days = pd_range(args.date_from, args.date_to, back=90)
        baselines["LEAR"] = lear_forecasts(panel, days, cache=Path(args.cache_dir))
    if args.reference:
        if not args.reference_column:
            raise CliError("--reference needs --reference-column (which column is the forecast)")
        point = load_prices(args.reference, price_col=args.reference_column, tz=args.tz)
        baselines[args.reference_column] = daily_curves(point)
    _import_keras()
    from tsgan.backtest import run_backtest

    scores = run_backtest(
        panel,
        start=args.date_from,
        end=args.date_to,
        out=out,
        recalibrate=args.recalibrate,
        window=args.window,
        n=args.n_per_day,
        seed=args.seed,
        baselines=baselines,
        epochs=args.epochs,
        resume=args.resume,
        progress=None if args.quiet else (lambda line: print(line, flush=True)),
    )
    means = scores.groupby("generator", sort=False)[["es", "mae", "cover90"]].mean()
    for name, row in means.iterrows():
        print(
            f"{name:20s} ES {row['es']:.3f}  MAE {row['mae']:.3f}  90% cover {row['cover90']:.1%}"
        )
    print(f"wrote {out}/scenarios.parquet, scores.csv and report.md")
    return 0


def pd_range(first: str, last: str, *, back: int = 0):
    """The days ``first - back`` .. ``last``."""
    import pandas as pd

    return pd.date_range(pd.Timestamp(first) - pd.Timedelta(days=back), pd.Timestamp(last))
