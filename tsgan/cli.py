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

EXIT_USAGE = 2

logger = logging.getLogger("tsgan")


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (and exit code 2)."""

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
        given = f.default is not None and not isinstance(f.default, bool) and f.default != ""
        if given and "default" not in text:
            text += f" (default {f.default})"
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


def _shared_flags(p: argparse.ArgumentParser, *names: str, **defaults) -> None:
    """The flags several subcommands share, each spelled once here (``defaults``: a default
    for this subcommand, shown in its help)."""
    specs = {
        "zone": (("--zone",), {"help": "bidding zone in multi-zone files (DE-LU, AT, FR...)"}),
        "tz": (
            ("--tz",),
            {"default": TIMEZONE, "help": f"the market's time zone (default {TIMEZONE})"},
        ),
        "seed": (
            ("--seed",),
            {"type": seed_number, "default": 0, "help": "seed of the scenarios (default 0)"},
        ),
        "n": (
            ("-n", "--n"),
            {"type": int, "help": "scenarios of a model without conditions"},
        ),
        "n_per_day": (
            ("--n-per-day",),
            {"type": int, "metavar": "N", "help": "scenarios per date (a conditional model)"},
        ),
        "table_out": (("-o", "--out"), {"required": True, "help": ".csv or .parquet file"}),
        "quiet": (("-q", "--quiet"), {"action": "store_true", "help": "no progress lines"}),
    }
    for name in names:
        flags, kw = specs[name]
        if name in defaults:
            kw = {
                **kw,
                "default": defaults[name],
                "help": f"{kw['help']} (default {defaults[name]})",
            }
        p.add_argument(*flags, **kw)


def _add_data(sub) -> None:
    p = sub.add_parser("data", help="load price files and report what is in them")
    p.add_argument("sources", nargs="+", metavar="SOURCE", help="file(s) or folder(s)")
    _shared_flags(p, "zone", "tz")
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
    p.set_defaults(func=commands.cmd_data)


def _add_fetch(sub) -> None:
    p = sub.add_parser("fetch", help="download prices from Energy-Charts or SMARD")
    p.add_argument("--zone", default="DE-LU", help="bidding zone (default DE-LU)")
    p.add_argument("--start", required=True, help="first delivery day YYYY-MM-DD")
    p.add_argument("--end", required=True, help="last delivery day YYYY-MM-DD")
    _shared_flags(p, "table_out")
    p.add_argument("--source", choices=("energy-charts", "smard"), default="energy-charts")
    p.add_argument("--cache-dir", default="data/cache", help="download cache (default: data/cache)")
    p.add_argument("--base-url", help="API root (for mirrors)")
    _shared_flags(p, "quiet")
    p.set_defaults(func=commands.cmd_fetch)


def _add_train(sub) -> None:
    p = sub.add_parser("train", help="train a GAN on daily curves and watch it learn")
    _setting_flags(p, [f.name for f in flagged_fields()])
    p.add_argument("--config", metavar="FILE.toml", help="settings file; flags override it")
    p.add_argument(
        "-q", "--quiet", action="store_true", help="no progress, only the final line and errors"
    )
    p.add_argument(
        "--checkpoint-every",
        type=float,
        default=CHECKPOINT_SECONDS,
        metavar="SECONDS",
        help=f"save the model this often while training (default {CHECKPOINT_SECONDS:g}), "
        "for --resume",
    )
    p.add_argument(
        "--resume",
        metavar="RUN_DIR",
        help="continue a stopped run from its last checkpoint to its planned epochs",
    )
    p.add_argument(
        "--allow-changed-data",
        action="store_true",
        help="with --resume: go on although the data differ from the run's (run.json records "
        "the new data)",
    )
    p.set_defaults(func=commands.cmd_train)


def _add_sample(sub) -> None:
    p = sub.add_parser("sample", help="generate price scenarios from a trained model")
    p.add_argument("model", metavar="RUN_DIR_OR_MODEL")
    p.add_argument(
        "--dates",
        metavar="FIRST..LAST|D1,D2",
        help="delivery days, for a model trained with --condition",
    )
    _shared_flags(p, "n_per_day", "n")
    levels = p.add_mutually_exclusive_group()
    levels.add_argument("--level", type=float, help="daily mean price (EUR/MWh) of every date")
    levels.add_argument("--levels", metavar="FILE.csv", help="a CSV of date,level")
    p.add_argument(
        "--long",
        action="store_true",
        help="one row per delivery interval (time,scenario,price; 23/25 rows on DST days)",
    )
    p.add_argument(
        "--data",
        metavar="FILE",
        help="prices of the days before each date and the dates' inputs, for a model trained "
        "with --condition forecast",
    )
    _shared_flags(p, "zone", "seed", "table_out")
    p.set_defaults(func=commands.cmd_sample)


def _add_evaluate(sub) -> None:
    p = sub.add_parser("evaluate", help="score a model against held-out real days and baselines")
    p.add_argument("model", metavar="RUN_DIR_OR_MODEL")
    p.add_argument("test_sources", nargs="+", metavar="TEST_SOURCE")
    p.add_argument("--from", dest="date_from", type=iso_date, metavar="DATE", help="first test day")
    p.add_argument("--to", dest="date_to", type=iso_date, metavar="DATE", help="last test day")
    p.add_argument(
        "--train", nargs="+", metavar="TRAIN_SOURCE", help="training data (default: the run's)"
    )
    _shared_flags(p, "zone", "tz", "n", "n_per_day", "seed", n=N_SCENARIOS, n_per_day=N_PER_DAY)
    p.add_argument("-o", "--out", required=True, metavar="REPORT_DIR")
    p.set_defaults(func=commands.cmd_evaluate)


def _add_animate(sub) -> None:
    p = sub.add_parser(
        "animate",
        help="re-render a run's animation from its stored samples, or runs side by side",
    )
    p.add_argument(
        "run_dirs", nargs="+", metavar="RUN_DIR", help="a run; several: side by side, by label"
    )
    p.add_argument("--fps", type=float, default=FPS, help=f"frames per second (default {FPS:g})")
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
    p.set_defaults(func=commands.cmd_animate)


def _add_backtest(sub) -> None:
    p = sub.add_parser(
        "backtest", help="rolling backtest of scenarios for tomorrow against baselines"
    )
    p.add_argument("source", metavar="DATA", help="prices and inputs (e.g. an epftoolbox file)")
    p.add_argument("--condition", choices=("forecast",), default="forecast", help="the model")
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
        help="days between trainings (default 28)",
    )
    p.add_argument(
        "--window",
        type=int,
        metavar="DAYS",
        help="training days before each recalibration (default: all, at most 1456)",
    )
    p.add_argument("--inputs", metavar="NAME,NAME", help="input columns (default: the file's)")
    p.add_argument("--baselines", default="naive,lear", help="naive,lear or none (default both)")
    p.add_argument("--reference", metavar="FILE", help="a file of point forecasts to compare")
    p.add_argument("--reference-column", metavar="NAME", help="the forecast column of --reference")
    p.add_argument("--epochs", type=int, help="epochs per training (default: about 27,000 updates)")
    p.add_argument("--resume", action="store_true", help="continue a backtest in --out")
    p.add_argument(
        "--workers",
        type=int,
        help="Ray workers on this machine (default: one per core when Ray is installed; "
        "0: one window after another, in this process)",
    )
    p.add_argument("--address", help="join an existing Ray cluster (e.g. ray://host:10001)")
    p.add_argument(
        "--cache-dir", default="data/cache", help="LEAR's forecasts (default data/cache)"
    )
    _shared_flags(p, "zone", "tz", "seed", "quiet")
    _shared_flags(p, "n_per_day", n_per_day=100)
    p.add_argument("-o", "--out", required=True, metavar="DIR")
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
    from tsgan.data import DataError
    from tsgan.settings import RunError
    from tsgan.signals import Terminated, sigterm_raises

    try:
        with sigterm_raises():  # temporary files go, finished outputs stay
            return args.func(args)
    except Terminated:
        print(f"tsgan {args.command}: terminated", file=sys.stderr)
        return 143
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
        return 1


__all__ = ["EXIT_USAGE", "build_parser", "main"]
