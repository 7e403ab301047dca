"""``tsgan data`` and ``tsgan fetch``: what is in price files, and downloading them."""

from __future__ import annotations

import sys
from pathlib import Path

from tsgan.commands.common import write_table


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
    write_table(frame, out)
    print(f"wrote {len(prices):,} prices ({prices.attrs['resolution']}, {args.zone}) to {out}")
    return 0
