"""The ``tsgan`` subcommands: each reads its arguments, calls the library, prints a summary
and returns the exit code. :mod:`tsgan.cli` builds the parser and maps errors to exit codes."""

from tsgan.commands.common import CliError, one_line
from tsgan.commands.data import cmd_data, cmd_fetch
from tsgan.commands.evaluate import cmd_evaluate
from tsgan.commands.runs import cmd_animate, cmd_train
from tsgan.commands.scenarios import cmd_backtest, cmd_sample

__all__ = [
    "CliError",
    "cmd_animate",
    "cmd_backtest",
    "cmd_data",
    "cmd_evaluate",
    "cmd_fetch",
    "cmd_sample",
    "cmd_train",
    "one_line",
]
