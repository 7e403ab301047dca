"""The ``tsgan`` command: a thin layer over the library. ``main(argv) -> exit code``."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import logging
import os
import sys
from pathlib import Path

EXIT_USAGE = 2

logger = logging.getLogger("tsgan")


class CliError(Exception):
    """A problem to report in one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (and exit code 2)."""

    def error(self, message: str):
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


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


# --------------------------------------------------------------------------- subcommands


def cmd_data(args) -> int:
    from tsgan.data import daily_curves, load_prices

    prices = load_prices(
        args.sources,
        zone=args.zone,
        time_col=args.time_col,
        price_col=args.price_col,
        sequence=args.sequence,
        decimal=args.decimal,
        dayfirst=args.dayfirst,
        tz=args.tz,
    )
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
    return 0


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


def cmd_train(args) -> int:
    from tsgan.config import RunError, TrainConfig

    # the flags carry TrainConfig's field names (dest=...); None: not given on the command line
    overrides = {
        f.name: (tuple(v) or None) if isinstance(v := getattr(args, f.name, None), list) else v
        for f in dataclasses.fields(TrainConfig)
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
        config = TrainConfig.from_toml(
            path.read_text(encoding="utf-8"), where=str(path), out=str(run), epochs=args.epochs
        )
    elif args.config:
        path = Path(args.config)
        if not path.is_file():
            raise CliError(f"{path}: no such config file")
        config = TrainConfig.from_toml(
            path.read_text(encoding="utf-8"), where=str(path), **overrides
        )
    else:
        try:
            config = TrainConfig(**{k: v for k, v in overrides.items() if v is not None})
        except TypeError as err:
            raise RunError(str(err)) from None
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
        raise CliError(f"{path}: not a CSV file ({_one_line(err)})") from None
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


def cmd_sample(args) -> int:
    from tsgan.scenarios import delivery_intervals, parse_dates, sample_scenarios

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
    try:
        frame = sample_scenarios(gan, dates, n_per_day=n, levels=levels, seed=args.seed)
    except ValueError as err:
        raise CliError(f"{args.model}: {err}") from None
    if args.long:
        frame = delivery_intervals(frame, timezone=gan.timezone)
    _write_table(frame, Path(args.out))
    what = f"{n} scenarios" + (f" for each of {len(dates)} days" if dates is not None else "")
    print(f"wrote {what} (EUR/MWh, {len(frame):,} rows) to {args.out}")
    return 0


def cmd_animate(args) -> int:
    from tsgan.renderer import ANIMATION_SUFFIXES, SAMPLES_FILE, animation_look, render_animation

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
    from tsgan.config import TrainConfig
    from tsgan.data import daily_curves, data_credit, load_prices
    from tsgan.evaluation import evaluate, write_report

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
    if test.shape[1] != gan.n_steps or train.shape[1] != gan.n_steps:
        raise CliError(f"the model makes {gan.n_steps} values a day, the data has {test.shape[1]}")
    overlap = test.index.intersection(train.index)
    if len(overlap):
        logger.warning(
            "%d test days are also training days: the scores are not out-of-sample", len(overlap)
        )
    print(
        f"evaluating {run} on {len(test)} test days ({test.index[0]:%Y-%m-%d}..{test.index[-1]:%Y-%m-%d}), "
        f"{len(train)} training days, "
        + (f"{args.n_per_day} scenarios per day" if gan.condition else f"{args.n} scenarios"),
        flush=True,
    )
    if gan.condition is not None:
        return _evaluate_conditional(gan, run, test, train, args, data_credit(test_prices))
    results = evaluate(lambda m, s: gan.generate(m, seed=s), test, train, n=args.n, seed=args.seed)
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
    from tsgan.scenarios import day_generator

    results = evaluate_conditional(
        day_generator(gan),
        test,
        train,
        level=gan.has_level,
        country=gan.country,
        n_per_day=args.n_per_day,
        seed=args.seed,
    )
    out = write_conditional_report(
        results,
        test,
        args.out,
        title=f"tsgan evaluation by condition of {run} ({gan.condition})",
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


# --------------------------------------------------------------------------- the parser


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("tsgan")
    except PackageNotFoundError:  # a source tree that is not installed
        return "0.0.0"


def _setting_flags(p: argparse.ArgumentParser, names: list[str], *, dest=lambda name: name) -> None:
    """Flags for these :class:`TrainConfig` fields, as the fields define them (flag, help,
    metavar, choices, type); ``None`` when not given, so that a settings file's value stays."""
    from tsgan.config import TrainConfig, flag_name

    fields = {f.name: f for f in dataclasses.fields(TrainConfig)}
    for name in names:
        f = fields[name]
        cli, choices = f.metadata["cli"], f.metadata.get("choices")
        kind = str(f.type).removesuffix(" | None")
        text = cli["help"]
        given = f.default is not None and not isinstance(f.default, bool) and f.default != ""
        if given and "default" not in text:
            text += f" (default {f.default})"
        if kind == "tuple[str, ...]":
            p.add_argument(dest(name), nargs="*", metavar=cli["metavar"], help=text)
            continue
        flags = [flag_name(f)]
        if cli["short"]:
            flags.insert(0, cli["short"])
        if kind == "bool":  # a switch to the other value than the default
            p.add_argument(
                *flags, dest=dest(name), action="store_const", const=not f.default, help=text
            )
            continue
        p.add_argument(
            *flags,
            dest=dest(name),
            type={"int": int, "float": float}.get(kind, str),
            choices=choices,
            metavar=cli["metavar"]
            or (None if choices else flags[-1][2:].upper().replace("-", "_")),
            help=text,
        )


LOOK = ["gif_size", "gif_theme", "gif_title", "gif_hold"]  # the animation's look


def build_parser() -> argparse.ArgumentParser:
    from tsgan.config import TrainConfig

    parser = _Parser(prog="tsgan", description="GANs for daily day-ahead electricity price curves.")
    parser.add_argument("--debug", action="store_true", help="show tracebacks and library logs")
    parser.add_argument("--version", action="version", version=f"tsgan {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("data", help="load price files and report what is in them")
    p.add_argument("sources", nargs="+", metavar="SOURCE", help="file(s) or folder(s)")
    p.add_argument("--zone", help="bidding zone in multi-zone files (DE-LU, AT, FR...)")
    p.add_argument(
        "--tz",
        help="time zone of naive times and delivery days (default Europe/Berlin)",
        default="Europe/Berlin",
    )
    p.add_argument("--time-col", help="time column of a plain table")
    p.add_argument("--price-col", help="price column of a plain table")
    p.add_argument("--sequence", help="ENTSO-E auction sequence (default: Sequence 1)")
    p.add_argument(
        "--decimal",
        choices=(".", ","),
        help="decimal mark of the prices (default: from the values)",
    )
    order = p.add_mutually_exclusive_group()
    order.add_argument(
        "--dayfirst", action="store_const", const=True, help="dates like 01/02/2024 are dd/mm"
    )
    order.add_argument(
        "--monthfirst", dest="dayfirst", action="store_const", const=False, help="... are mm/dd"
    )
    p.add_argument(
        "--dst", choices=("interpolate", "drop"), default="interpolate", help="DST day policy"
    )
    p.set_defaults(func=cmd_data)

    p = sub.add_parser("fetch", help="download prices from Energy-Charts or SMARD")
    p.add_argument("--zone", default="DE-LU")
    p.add_argument("--start", required=True, help="first delivery day YYYY-MM-DD")
    p.add_argument("--end", required=True, help="last delivery day YYYY-MM-DD")
    p.add_argument("-o", "--out", required=True, help=".csv or .parquet file")
    p.add_argument("--source", choices=("energy-charts", "smard"), default="energy-charts")
    p.add_argument("--cache-dir", default="data/cache", help="download cache (default: data/cache)")
    p.add_argument("--base-url", help="API root (for mirrors)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress lines")
    p.set_defaults(func=cmd_fetch)

    p = sub.add_parser("train", help="train a GAN on daily curves and watch it learn")
    _setting_flags(p, [f.name for f in dataclasses.fields(TrainConfig) if f.metadata.get("cli")])
    p.add_argument("--config", metavar="FILE.toml", help="settings file; flags override it")
    p.add_argument(
        "-q", "--quiet", action="store_true", help="no progress, only the final line and errors"
    )
    p.add_argument(
        "--checkpoint-every",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="save the model this often while training (default 30), for --resume",
    )
    p.add_argument(
        "--resume",
        metavar="RUN_DIR",
        help="continue a stopped run from its last checkpoint to its planned epochs",
    )
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("sample", help="generate price scenarios from a trained model")
    p.add_argument("model", metavar="RUN_DIR_OR_MODEL")
    p.add_argument(
        "--dates",
        metavar="FIRST..LAST|D1,D2",
        help="delivery days, for a model trained with --condition",
    )
    p.add_argument("--n-per-day", type=int, metavar="N", help="scenarios per date")
    p.add_argument("-n", "--n", type=int, help="number of scenarios (a model without conditions)")
    levels = p.add_mutually_exclusive_group()
    levels.add_argument("--level", type=float, help="daily mean price (EUR/MWh) of every date")
    levels.add_argument("--levels", metavar="FILE.csv", help="a CSV of date,level")
    p.add_argument(
        "--long",
        action="store_true",
        help="one row per delivery interval (time,scenario,price; 23/25 rows on DST days)",
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("-o", "--out", required=True, help=".csv or .parquet file")
    p.set_defaults(func=cmd_sample)

    p = sub.add_parser("evaluate", help="score a model against held-out real days and baselines")
    p.add_argument("model", metavar="RUN_DIR_OR_MODEL")
    p.add_argument("test_sources", nargs="+", metavar="TEST_SOURCE")
    p.add_argument("--from", dest="date_from", metavar="DATE")
    p.add_argument("--to", dest="date_to", metavar="DATE")
    p.add_argument(
        "--train", nargs="+", metavar="TRAIN_SOURCE", help="training data (default: the run's)"
    )
    p.add_argument("--zone")
    p.add_argument(
        "--tz",
        help="time zone of naive times and delivery days (default Europe/Berlin)",
        default="Europe/Berlin",
    )
    p.add_argument("-n", "--n", type=int, default=2000, help="generated curves")
    p.add_argument(
        "--n-per-day",
        type=int,
        default=500,
        metavar="N",
        help="scenarios per test day for a conditional model (default 500)",
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("-o", "--out", required=True, metavar="REPORT_DIR")
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser(
        "animate",
        help="re-render a run's animation from its stored samples, or runs side by side",
    )
    p.add_argument(
        "run_dirs", nargs="+", metavar="RUN_DIR", help="a run; several: side by side, by label"
    )
    p.add_argument("--fps", type=float, default=12.0)
    p.add_argument("--every", type=int, default=1, help="keep every N-th stored frame")
    p.add_argument(
        "--label",
        action="append",
        dest="labels",
        metavar="TEXT",
        help="one per RUN_DIR when comparing (default: the folder names)",
    )
    _setting_flags(p, LOOK, dest=lambda name: name.removeprefix("gif_"))
    p.add_argument(
        "-o",
        "--out",
        help=".gif, .mp4, .webp or .png (APNG) (default: RUN_DIR/training.gif; required "
        "for several runs)",
    )
    p.set_defaults(func=cmd_animate)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the ``tsgan`` command; returns the exit code (2 for bad input or usage).

    Example:
        >>> main(["data", "../shared/data/smard"])  # doctest: +SKIP
        0
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(
            logging.Formatter("%(levelname)s %(message)s" if args.debug else "%(message)s")
        )
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG if args.debug else logging.WARNING)
        logger.propagate = False
    from tsgan.config import RunError
    from tsgan.data import DataError

    try:
        return args.func(args)
    except (CliError, DataError, RunError, FileNotFoundError, PermissionError) as err:
        if args.debug:
            raise
        print(f"tsgan {args.command}: error: {_one_line(err)}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as err:
        if args.debug:
            raise
        print(
            f"tsgan {args.command}: internal error: {type(err).__name__}: {_one_line(err)} "
            "(run with --debug for the traceback)",
            file=sys.stderr,
        )
        return 1


def _one_line(err: BaseException) -> str:
    text = str(err).strip() or type(err).__name__
    return " ".join(text.split())
