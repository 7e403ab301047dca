"""``tsgan sample`` and ``tsgan backtest``: scenarios for given days, and rolled over a
test period against baselines."""

from __future__ import annotations

import sys
from pathlib import Path

from tsgan.commands.common import (
    STDOUT,
    CliError,
    import_keras,
    load_run_model,
    one_line,
    summary_stream,
    write_table,
)


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
    dates = pd.to_datetime(table["date"].map(_local_date), errors="coerce")
    values = pd.to_numeric(table["level"], errors="coerce")
    bad = dates.isna() | values.isna()
    if bad.any():
        line = int(bad.to_numpy().argmax()) + 2
        raise CliError(
            f"{path}: line {line}: expected an ISO date and a number, got "
            f"{table['date'].iloc[line - 2]!r}, {table['level'].iloc[line - 2]!r}"
        )
    return pd.Series(values.to_numpy(dtype="float64"), index=pd.DatetimeIndex(dates))


def _local_date(text):
    """An ISO date or time as its local date and time (each row its own UTC offset)."""
    import pandas as pd

    try:
        stamp = pd.Timestamp(str(text).strip())
    except ValueError:
        return pd.NaT
    return stamp.tz_localize(None) if stamp.tzinfo is not None else stamp


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
    import_keras()  # TensorFlow's start-up chatter kept out of the user's terminal
    from tsgan.model.sampling import delivery_intervals, parse_dates, scenario_chunks

    if args.n is not None and args.n_per_day is not None:
        raise CliError("give --n or --n-per-day, not both")
    n = args.n_per_day if args.n_per_day is not None else args.n
    if n is None:
        raise CliError("give the number of scenarios: --n-per-day N (or --n N)")
    if n < 1:
        flag = "--n-per-day" if args.n_per_day is not None else "-n"
        raise CliError(f"{flag} must be at least 1, got {n}")
    try:
        dates = parse_dates(args.dates) if args.dates else None
    except ValueError as err:
        raise CliError(str(err)) from None
    levels = _read_levels(args.levels) if args.levels else args.level
    if args.long and dates is None:
        raise CliError("--long needs --dates: delivery intervals belong to dates")
    gan = load_run_model(args.model)
    data = _read_panel(args.data, gan, zone=args.zone) if args.data else None
    out = Path(args.out)
    days = 1 if dates is None else len(dates)
    if args.out != STDOUT:
        _check_disk(out, values=n * days * gan.settings.n_steps, per_value=45 if args.long else 9)
    frames = scenario_chunks(gan, dates, n_per_day=n, levels=levels, seed=args.seed, data=data)
    if args.long:
        timezone = gan.settings.timezone
        frames = (delivery_intervals(frame, timezone=timezone) for frame in frames)
    try:
        rows = write_table(frames, out)  # chunk by chunk: any number fits in memory
    except ValueError as err:
        raise CliError(f"{args.model}: {err}") from None
    what = f"{n} scenarios" + (f" for each of {len(dates)} days" if dates is not None else "")
    where = "standard output" if args.out == STDOUT else args.out
    print(f"wrote {what} (EUR/MWh, {rows:,} rows) to {where}", file=summary_stream(args.out))
    return 0


def _check_disk(out: Path, *, values: float, per_value: float) -> None:
    """Refuse output that cannot fit on the disk it goes to (about ``per_value`` bytes a
    price: 9 in a wide CSV, 45 in a long one with its time stamps)."""
    import shutil

    folder = out.resolve().parent
    while not folder.exists():
        folder = folder.parent
    free = shutil.disk_usage(folder).free
    if per_value * values > free:
        raise CliError(
            f"{out}: {values:,.0f} prices need about {per_value * values / 1e9:,.1f} GB; "
            f"{free / 1e9:,.1f} GB are free there"
        )


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
    workers = _workers(args.workers, args.address)
    progress = None if args.quiet else (lambda line: print(line, flush=True))
    on_ray = {"workers": workers, "address": args.address} if workers or args.address else None
    if "lear" in names:
        import importlib.util

        if importlib.util.find_spec("sklearn") is None:
            raise CliError('the LEAR baseline needs scikit-learn: pip install "tsgan[forecast]"')
        import pandas as pd

        from tsgan.evaluation.lear import lear_forecasts

        first = pd.Timestamp(args.date_from) - pd.Timedelta(days=90)  # the errors' history
        days = pd.date_range(first, args.date_to)
        baselines["LEAR"] = lear_forecasts(
            panel, days, cache=Path(args.cache_dir), ray=on_ray, progress=progress
        )
    if args.reference:
        if not args.reference_column:
            raise CliError("--reference needs --reference-column (which column is the forecast)")
        point = load_prices(args.reference, price_col=args.reference_column, tz=args.tz)
        baselines[args.reference_column] = daily_curves(point)
    import_keras()
    from tsgan.backtest import run_backtest

    same = ("recalibrate", "window", "seed", "epochs", "resume", "address")  # named as the flags
    options = {name: getattr(args, name) for name in same}
    options["workers"] = workers
    options |= {"start": args.date_from, "end": args.date_to, "n": args.n_per_day}
    from tsgan.signals import Terminated, sigterm_raises

    try:
        with sigterm_raises():
            scores = run_backtest(panel, out=out, baselines=baselines, progress=progress, **options)
    except ValueError as err:  # a day without the history it needs, a range without days
        raise CliError(one_line(err)) from None
    except (KeyboardInterrupt, Terminated) as stop:
        what, code = ("terminated", 143) if isinstance(stop, Terminated) else ("interrupted", 130)
        saved = len(list((out / "windows").glob("*.npz")))
        print(f"{what}: {saved} window(s) saved in {out}; --resume continues", file=sys.stderr)
        return code
    means = scores.groupby("generator", sort=False)[["es", "mae", "cover90"]].mean()
    for name, row in means.iterrows():
        print(
            f"{name:20s} ES {row['es']:.3f}  MAE {row['mae']:.3f}  90% cover {row['cover90']:.1%}"
        )
    print(f"wrote {out}/scenarios.parquet, scores.csv and report.md")
    return 0


def _workers(asked: int | None, address: str | None) -> int | None:
    """Ray workers for the backtest: as asked (0: none), else one per core when Ray is
    installed and none without it."""
    import importlib.util
    import os

    if asked is not None and asked < 0:
        raise CliError(f"--workers must be 0 or more, got {asked}")
    if asked == 0:
        return None
    ray = importlib.util.find_spec("ray") is not None
    if not ray and (asked or address):
        raise CliError('--workers and --address need Ray: pip install "tsgan[ray]"')
    if asked is None and not address:
        return os.cpu_count() if ray else None
    return asked
