"""The ``tsgan`` command: a thin layer over the library. ``main(argv) -> exit code``.

The flags each subcommand shares (time zone, zone, seed, the number of scenarios, the
animation's look) are built from the same specs, with the defaults of :mod:`tsgan.settings`;
``train``'s flags are built from the settings' fields themselves.
"""

from __future__ import annotations

import argparse
import logging
import sys

from tsgan import commands
from tsgan.settings import (
    CHECKPOINT_SECONDS,
    FPS,
    N_PER_DAY,
    N_SCENARIOS,
    TIMEZONE,
    flag_name,
    flagged_fields,
)

EXIT_NONFINITE = 1  # a run stopped on non-finite losses (or could not write its files)
EXIT_USAGE = 2  # bad input or usage
EXIT_NETWORK = 3  # a download failed after its retries
EXIT_INTERNAL = 70  # a bug of tsgan's (EX_SOFTWARE)

# Two or three examples per subcommand, shown at the end of its help (the suite parses them)
EXAMPLES = {
    "data": [
        "tsgan data ../shared/data/smard",
        "tsgan data prices.csv --time-col time --price-col price --json",
    ],
    "fetch": [
        "tsgan fetch --from 2024-01-01 --to 2024-12-31 -o de-lu-2024.parquet",
        "tsgan fetch --zone AT --source smard --from 2025-01-01 --to 2025-01-31 -o - ",
    ],
    "train": [
        "tsgan train --demo --epochs 300 -o runs/demo",
        "tsgan train ../shared/data/energy_charts_de_lu --condition calendar -o runs/cal",
        "tsgan train --resume runs/cal",
    ],
    "sample": [
        "tsgan sample runs/demo -n 1000 -o scenarios.csv",
        "tsgan sample runs/cal --dates 2025-02-10..2025-02-16 --n-per-day 200 --long -o -",
        "tsgan sample runs/fc --dates 2017-06-01 --n-per-day 100 --data de.csv -o s.parquet",
    ],
    "evaluate": [
        "tsgan evaluate runs/demo ../shared/data/smard -o reports/demo",
        "tsgan evaluate runs/cal prices.csv --from 2025-01-01 --to 2025-03-31 -o reports/q1",
    ],
    "animate": [
        "tsgan animate runs/demo --fps 24 -o runs/demo/fast.mp4",
        "tsgan animate runs/a runs/b --label WGAN-GP --label BCE -o compare.gif",
    ],
    "backtest": [
        "tsgan backtest de.csv --from 2016-04-03 --to 2016-06-30 -o backtests/q2",
        "tsgan backtest de.csv --from 2016-04-03 --to 2017-12-31 --workers 2 -o bt --resume",
    ],
}


class _HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Each option's help ends with its default (unless it says it), or "(required)"."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if not action.option_strings or action.help == argparse.SUPPRESS:
            return text
        if action.required:
            return f"{text} (required)"
        default = action.default
        shown = not (default is None or default is False or default == argparse.SUPPRESS)
        if shown and "default" not in text and not isinstance(action, _Switch):
            if isinstance(default, (tuple, list)):
                default = ",".join(map(str, default))
            return f"{text} (default {default})".replace("%", "%%")
        return text


_Switch = (argparse._StoreTrueAction, argparse._StoreConstAction, argparse._VersionAction)


class _Renamed(argparse.Action):
    """An old flag name that still works, with a warning naming the new one."""

    def __init__(self, option_strings, dest, *, new: str, **kwargs) -> None:
        super().__init__(option_strings, dest, help=argparse.SUPPRESS, **kwargs)
        self.new = new

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        print(
            f"{parser.prog}: warning: {option_string} is deprecated; use {self.new}",
            file=sys.stderr,
        )
        setattr(namespace, self.dest, values)


logger = logging.getLogger("tsgan")


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (and exit code 2), each option's help shows
    its default, and a subcommand's help ends with examples."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("formatter_class", _HelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str):
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("tsgan")
    except PackageNotFoundError:  # a source tree that is not installed
        return "0.0.0"


def iso_date(text: str) -> str:
    """An argparse type: a day as YYYY-MM-DD (kept as given)."""
    import datetime

    try:
        datetime.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None
    return text


def seed_number(text: str) -> int:
    """An argparse type: a seed, a whole number from 0 to 2**32 - 1."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value < 2**32:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a seed (a whole number from 0 to 2**32 - 1)"
        )
    return value


def _setting_flags(p: argparse.ArgumentParser, names: list[str], *, dest=lambda name: name) -> None:
    """Flags for these settings fields, as the fields define them (flag, help, metavar,
    choices, type); ``None`` when not given, so that a settings file's value stays."""
    fields = {f.name: f for f in flagged_fields()}
    for name in names:
        f = fields[name]
        cli, choices = f.metadata["cli"], f.metadata.get("choices")
        kind = str(f.type).removesuffix(" | None")
        text = cli["help"]
        default = f.default
        if isinstance(default, (tuple, list)):
            default = ",".join(map(str, default))
        given = default is not None and not isinstance(default, bool) and default != ""
        if given and "default" not in text:
            text += f" (default {default})"
        if cli.get("positional"):
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


def _shared_flags(
    p: argparse.ArgumentParser, *names: str, required: str | None = None, **defaults
) -> None:
    """The flags several subcommands share, each spelled once here (``defaults``: a default
    for this subcommand, shown in its help; ``required``: said in their help instead)."""
    specs = {
        "zone": (
            ("--zone",),
            {
                "help": "bidding zone in multi-zone files, e.g. DE-LU, AT, FR (default: the only one)"
            },
        ),
        "tz": (
            ("--tz",),
            {"default": TIMEZONE, "help": f"the market's time zone (default {TIMEZONE})"},
        ),
        "seed": (
            ("--seed",),
            {"type": seed_number, "default": 0, "help": "seed of the scenarios"},
        ),
        "n": (
            ("-n", "--n"),
            {
                "type": int,
                "metavar": "N",
                "help": "scenarios of a model without conditions",
            },
        ),
        "n_per_day": (
            ("--n-per-day",),
            {
                "type": int,
                "metavar": "N",
                "help": "scenarios per date of a conditional model",
            },
        ),
        "table_out": (
            ("-o", "--out"),
            {
                "required": True,
                "metavar": "FILE",
                "help": ".csv or .parquet file; - : CSV to stdout",
            },
        ),
        "quiet": (("-q", "--quiet"), {"action": "store_true", "help": "no progress lines"}),
        "debug": (
            ("--debug",),
            {
                "action": "store_true",
                "default": argparse.SUPPRESS,  # given before the subcommand, it stays
                "help": "show tracebacks and library logs",
            },
        ),
    }
    for name in names:
        flags, kw = specs[name]
        if name in defaults:
            kw = {**kw, "default": defaults[name]}
        if required is not None:
            kw = {**kw, "help": f"{kw['help']} ({required})"}
        p.add_argument(*flags, **kw)


def _subcommand(sub, name: str, text: str) -> argparse.ArgumentParser:
    """A subcommand's parser: its help, its examples at the end, ``--debug`` after it too."""
    examples = "\n".join(f"  {line.strip()}" for line in EXAMPLES[name])
    p = sub.add_parser(name, help=text, description=text, epilog=f"examples:\n{examples}")
    _shared_flags(p, "debug")
    return p


def _add_data(sub) -> None:
    p = _subcommand(sub, "data", "load price files and report what is in them")
    p.add_argument("sources", nargs="+", metavar="SOURCE", help="file(s) or folder(s)")
    _shared_flags(p, "zone", "tz")
    p.add_argument("--time-col", help="time column of a plain table (default: found by name)")
    p.add_argument("--price-col", help="price column of a plain table (default: found by name)")
    p.add_argument("--sequence", help="ENTSO-E auction sequence (default: Sequence 1)")
    p.add_argument(
        "--decimal",
        choices=(".", ","),
        help="decimal mark of the prices (default: from the values)",
    )
    order = p.add_mutually_exclusive_group()
    order.add_argument(
        "--dayfirst",
        action="store_const",
        const=True,
        help="dates like 01/02/2024 are dd/mm (default: from the values)",
    )
    order.add_argument(
        "--monthfirst", dest="dayfirst", action="store_const", const=False, help="... are mm/dd"
    )
    p.add_argument(
        "--dst",
        choices=("interpolate", "drop"),
        default="interpolate",
        help="what to do with 23- and 25-hour days",
    )
    p.add_argument("--json", action="store_true", help="the report as JSON, for scripts")
    p.set_defaults(func=commands.cmd_data)


def _add_fetch(sub) -> None:
    p = _subcommand(sub, "fetch", "download prices from Energy-Charts or SMARD")
    p.add_argument("--zone", default="DE-LU", help="bidding zone")
    for flag, old, dest, text in (
        ("--from", "--start", "date_from", "first delivery day"),
        ("--to", "--end", "date_to", "last delivery day"),
    ):
        either = p.add_mutually_exclusive_group(required=True)
        either.add_argument(
            flag, dest=dest, type=iso_date, metavar="DATE", help=f"{text} (required)"
        )
        either.add_argument(old, dest=dest, type=iso_date, action=_Renamed, new=flag)
    _shared_flags(p, "table_out")
    p.add_argument(
        "--source", choices=("energy-charts", "smard"), default="energy-charts", help="the API"
    )
    p.add_argument("--cache-dir", default="data/cache", help="download cache")
    p.add_argument("--base-url", help="API root, for mirrors (default: the source's own)")
    p.add_argument(
        "--timeout", type=float, default=30.0, metavar="SECONDS", help="wait for one answer"
    )
    p.add_argument(
        "--retries", type=int, default=3, metavar="N", help="tries more after a failed request"
    )
    _shared_flags(p, "quiet")
    p.set_defaults(func=commands.cmd_fetch)


def _add_train(sub) -> None:
    p = _subcommand(sub, "train", "train a GAN on daily curves and watch it learn")
    _setting_flags(p, [f.name for f in flagged_fields()])
    p.add_argument("--gif-every", dest="gif_every", type=int, action=_Renamed, new="--frame-every")
    p.add_argument(
        "--config", metavar="FILE.toml", help="settings file; flags override it (default: none)"
    )
    p.add_argument(
        "-q", "--quiet", action="store_true", help="no progress, only the final line and errors"
    )
    p.add_argument(
        "--checkpoint-every",
        type=float,
        default=CHECKPOINT_SECONDS,
        metavar="SECONDS",
        help=f"save the model this often while training, for --resume (default "
        f"{CHECKPOINT_SECONDS:g})",
    )
    p.add_argument(
        "--resume",
        metavar="RUN_DIR",
        help="continue a stopped run from its last checkpoint to its planned epochs (default: "
        "none, a new run)",
    )
    p.add_argument(
        "--allow-changed-data",
        action="store_true",
        help="with --resume: go on although the data differ from the run's (run.json records "
        "the new data)",
    )
    p.set_defaults(func=commands.cmd_train)


def _add_sample(sub) -> None:
    p = _subcommand(
        sub,
        "sample",
        "generate price scenarios from a trained model: -n N of a model without conditions, "
        "--n-per-day N for each of --dates of a conditional one",
    )
    p.add_argument("model", metavar="RUN_DIR_OR_MODEL", help="a run directory or a .keras file")
    p.add_argument(
        "--dates",
        metavar="FIRST..LAST|D1,D2",
        help="delivery days, for a model trained with --condition (required by one)",
    )
    _shared_flags(p, "n_per_day", "n", required="one of -n and --n-per-day is required")
    levels = p.add_mutually_exclusive_group()
    levels.add_argument(
        "--level",
        type=float,
        help="daily mean price (EUR/MWh) of every date (required by a +level model, or --levels)",
    )
    levels.add_argument(
        "--levels",
        metavar="FILE.csv",
        help="a CSV of date,level (required by a +level model, or --level)",
    )
    p.add_argument(
        "--long",
        action="store_true",
        help="one row per delivery interval (time,scenario,price; 23/25 rows on DST days)",
    )
    p.add_argument(
        "--data",
        metavar="FILE",
        help="prices of the days before each date and the dates' inputs, for a model trained "
        "with --condition forecast (required by one)",
    )
    _shared_flags(p, "zone", "seed", "table_out")
    p.set_defaults(func=commands.cmd_sample)


def _add_evaluate(sub) -> None:
    p = _subcommand(sub, "evaluate", "score a model against held-out real days and baselines")
    p.add_argument("model", metavar="RUN_DIR_OR_MODEL", help="a run directory or a .keras file")
    p.add_argument("test_sources", nargs="+", metavar="TEST_SOURCE", help="file(s) or folder(s)")
    p.add_argument(
        "--from",
        dest="date_from",
        type=iso_date,
        metavar="DATE",
        help="first test day (default: the first in the files)",
    )
    p.add_argument(
        "--to",
        dest="date_to",
        type=iso_date,
        metavar="DATE",
        help="last test day (default: the last in the files)",
    )
    p.add_argument(
        "--train", nargs="+", metavar="TRAIN_SOURCE", help="training data (default: the run's)"
    )
    _shared_flags(p, "zone", "tz", "n", "n_per_day", "seed", n=N_SCENARIOS, n_per_day=N_PER_DAY)
    p.add_argument("-o", "--out", required=True, metavar="REPORT_DIR", help="report folder")
    _shared_flags(p, "quiet")
    p.set_defaults(func=commands.cmd_evaluate)


def _add_animate(sub) -> None:
    p = _subcommand(
        sub, "animate", "re-render a run's animation from its stored samples, or runs side by side"
    )
    p.add_argument(
        "run_dirs", nargs="+", metavar="RUN_DIR", help="a run; several: side by side, by label"
    )
    p.add_argument("--fps", type=float, default=FPS, help="frames per second")
    p.add_argument(
        "--frame-every",
        dest="every",
        type=int,
        default=1,
        metavar="N",
        help="keep every N-th stored frame",
    )
    p.add_argument("--every", dest="every", type=int, action=_Renamed, new="--frame-every")
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
    p.set_defaults(func=commands.cmd_animate)


def _add_backtest(sub) -> None:
    p = _subcommand(sub, "backtest", "rolling backtest of scenarios for tomorrow against baselines")
    p.add_argument("source", metavar="DATA", help="prices and inputs (e.g. an epftoolbox file)")
    p.add_argument(
        "--condition", choices=("forecast",), default="forecast", help="the model's condition"
    )
    p.add_argument(
        "--from", dest="date_from", type=iso_date, required=True, metavar="DATE", help="first day"
    )
    p.add_argument(
        "--to", dest="date_to", type=iso_date, required=True, metavar="DATE", help="last day"
    )
    p.add_argument(
        "--recalibrate",
        type=int,
        default=28,
        metavar="DAYS",
        help="days between trainings",
    )
    p.add_argument(
        "--window",
        type=int,
        metavar="DAYS",
        help="training days before each recalibration (default: all, at most 1456)",
    )
    p.add_argument("--inputs", metavar="NAME,NAME", help="input columns (default: the file's)")
    p.add_argument("--baselines", default="naive,lear", help="naive,lear, one of them, or none")
    p.add_argument(
        "--reference", metavar="FILE", help="a file of point forecasts to compare (default: none)"
    )
    p.add_argument(
        "--reference-column",
        metavar="NAME",
        help="the forecast column of --reference (default: its only one)",
    )
    p.add_argument("--epochs", type=int, help="epochs per training (default: about 27,000 updates)")
    p.add_argument("--resume", action="store_true", help="continue a backtest in --out")
    p.add_argument(
        "--workers",
        type=int,
        help="Ray workers on this machine (default: one per core when Ray is installed; "
        "0: one window after another, in this process)",
    )
    p.add_argument(
        "--address",
        help="join an existing Ray cluster, e.g. ray://host:10001 (default: Ray on this machine)",
    )
    p.add_argument("--cache-dir", default="data/cache", help="LEAR's forecasts")
    _shared_flags(p, "zone", "tz", "seed", "quiet")
    _shared_flags(p, "n_per_day", n_per_day=100)
    p.add_argument("-o", "--out", required=True, metavar="DIR", help="the backtest's folder")
    p.set_defaults(func=commands.cmd_backtest)


def build_parser() -> argparse.ArgumentParser:
    """The ``tsgan`` parser: one builder per subcommand."""
    parser = _Parser(prog="tsgan", description="GANs for daily day-ahead electricity price curves.")
    parser.add_argument("--debug", action="store_true", help="show tracebacks and library logs")
    parser.add_argument("--version", action="version", version=f"tsgan {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    adders = (_add_data, _add_fetch, _add_train, _add_sample, _add_evaluate, _add_animate)
    for add in (*adders, _add_backtest):
        add(sub)
    return parser


def _wrapped_stop(err: BaseException) -> BaseException | None:
    """The SIGTERM or Ctrl-C behind ``err``, if the interpreter wrapped one in another error.

    A signal's exception raised while a class is being created (an import in progress) comes
    out as ``RuntimeError: Error calling __set_name__ ...`` in Python 3.11, its cause the stop.

    Example:
        >>> try:
        ...     raise RuntimeError("wrapped") from KeyboardInterrupt()
        ... except RuntimeError as err:
        ...     type(_wrapped_stop(err)).__name__
        'KeyboardInterrupt'
    """
    from tsgan.signals import Terminated

    seen: set[int] = set()
    while err is not None and id(err) not in seen:
        if isinstance(err, Terminated | KeyboardInterrupt):
            return err
        seen.add(id(err))
        err = err.__cause__ or err.__context__
    return None


def main(argv: list[str] | None = None) -> int:
    """Run the ``tsgan`` command; returns the exit code: 0 done, 1 a run stopped on
    non-finite losses (or could not write its files while training), 2 bad input or usage,
    3 a download failed after its retries, 70 an internal error, 130 interrupted (Ctrl-C),
    143 terminated (SIGTERM).

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
    from tsgan.data import DataError, NetworkError
    from tsgan.fields import flag_names
    from tsgan.settings import RunError
    from tsgan.signals import Terminated, sigterm_raises

    try:
        given = {
            name for name, value in vars(args).items() if value is not None and value is not False
        }
        with sigterm_raises(), flag_names(given):  # temporary files go, finished outputs stay
            try:
                return args.func(args)
            except Exception as err:  # a stop the interpreter wrapped is still a stop
                stop = _wrapped_stop(err)
                if stop is None:
                    raise
                raise stop from err
    except Terminated:
        print(f"tsgan {args.command}: terminated", file=sys.stderr)
        return 143
    except NetworkError as err:
        if args.debug:
            raise
        print(f"tsgan {args.command}: error: {commands.one_line(err)}", file=sys.stderr)
        return EXIT_NETWORK
    except (commands.CliError, DataError, RunError, FileNotFoundError, PermissionError) as err:
        if args.debug:
            raise
        print(f"tsgan {args.command}: error: {commands.one_line(err)}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except OSError as err:
        from tsgan.atomic import WRITE_ERRORS

        if args.debug or err.errno not in WRITE_ERRORS:
            raise
        where = f"{err.filename}: " if err.filename else ""
        print(f"tsgan {args.command}: error: {where}{err.strerror}", file=sys.stderr)
        return EXIT_USAGE
    except Exception as err:
        if args.debug:
            raise
        print(
            f"tsgan {args.command}: internal error: {type(err).__name__}: "
            f"{commands.one_line(err)} (run with --debug for the traceback)",
            file=sys.stderr,
        )
        return EXIT_INTERNAL


__all__ = [
    "EXIT_INTERNAL",
    "EXIT_NETWORK",
    "EXIT_NONFINITE",
    "EXIT_USAGE",
    "build_parser",
    "main",
]
