"""``tsgan data`` and ``tsgan fetch``: what is in price files, and downloading them."""

from __future__ import annotations

import sys
from pathlib import Path

from tsgan.commands.common import STDOUT, summary_stream, write_table


def cmd_data(args) -> int:
    import json

    report = _report(args)
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        _print_report(report, args.dst)
    return 0


def _report(args) -> dict:
    """What ``tsgan data`` says of the files, as JSON types."""
    from tsgan.data import daily_curves, load_prices

    options = ("zone", "time_col", "price_col", "sequence", "decimal", "dayfirst", "tz")
    prices = load_prices(args.sources, **{name: getattr(args, name) for name in options})
    curves = daily_curves(prices, dst=args.dst)
    a = prices.attrs
    values = curves.to_numpy()
    return {
        "sources": list(a["sources"]),
        "format": a["format"],
        "zone": a["zone"],
        "zones": list(a.get("zones", [])),
        "timezone": str(prices.index.tz),
        "first_time": prices.index[0].isoformat(),
        "last_time": prices.index[-1].isoformat(),
        "resolution": a["resolution"],
        "prices": len(prices),
        "days": len(curves),
        "first_day": f"{curves.index[0]:%Y-%m-%d}",
        "last_day": f"{curves.index[-1]:%Y-%m-%d}",
        "dst_policy": args.dst,
        "dst_days": list(curves.attrs["dst_days"]),
        "dropped": dict(curves.attrs["dropped"]),
        "notes": list(a.get("notes", [])),
        "mean": round(float(values.mean()), 4),
        "min": float(values.min()),
        "max": float(values.max()),
        "negative_share": round(float((values < 0).mean()), 6),
        "inputs": _inputs(args),
    }


def _print_report(r: dict, dst_policy: str) -> None:
    sources = r["sources"]
    more = " …" if len(sources) > 3 else ""
    print(f"sources     {', '.join(sources[:3])}{more} ({len(sources)} file(s))")
    print(f"format      {r['format']}")
    zones = f" (file has {', '.join(r['zones'])})" if len(r["zones"]) > 1 else ""
    print(f"zone        {r['zone'] or 'not stated in the file'}{zones}")
    first, last = (r[k][:16].replace("T", " ") for k in ("first_time", "last_time"))
    print(f"range       {first} .. {last} {r['timezone']}")
    print(f"resolution  {r['resolution']}")
    print(f"prices      {r['prices']:,} values")
    print(f"days        {r['days']:,} complete days ({r['first_day']} .. {r['last_day']})")
    dst = r["dst_days"]
    print(
        f"DST days    {len(dst)} {'interpolated/averaged' if dst_policy == 'interpolate' else ''}"
        f"{': ' + ', '.join(dst[:6]) + (' …' if len(dst) > 6 else '') if dst else ''}"
    )
    dropped = r["dropped"]
    print(f"dropped     {len(dropped)} day(s)")
    for day, reason in list(dropped.items())[:10]:
        print(f"  {day}  {reason}")
    if len(dropped) > 10:
        print(f"  … and {len(dropped) - 10} more")
    for note in r["notes"]:
        print(f"note        {note}")
    print(f"mean        {r['mean']:.2f} EUR/MWh   min {r['min']:.2f}   max {r['max']:.2f}")
    print(f"negative    {r['negative_share']:.2%} of hours")
    if not r["inputs"]:
        print("inputs      none (the file holds prices only)")
    for name, i in r["inputs"].items():
        if i["first_day"] is None:
            print(f"input       {name}: no values")
            continue
        role = "an input by default" if i["default"] else "--inputs to use it"
        print(
            f"input       {name}: {i['min']:.6g}..{i['max']:.6g}, "
            f"{i['first_day']}..{i['last_day']}, {i['missing']:,} missing ({role})"
        )


def _inputs(args) -> dict:
    """The columns that could be inputs of --condition forecast: range, gaps, default."""
    from tsgan.data.prices import load_inputs

    options = ("zone", "time_col", "price_col", "decimal", "dayfirst", "tz")
    read = {name: getattr(args, name) for name in options}
    every = load_inputs(args.sources, inputs="*", **read)
    if every.empty and not every.attrs["candidates"]:
        return {}
    default = set(load_inputs(args.sources, **read).columns)
    found = {}
    for name in every.columns:
        values = every[name]
        known = values.dropna()
        found[str(name)] = {
            "default": name in default,
            "min": float(known.min()) if len(known) else None,
            "max": float(known.max()) if len(known) else None,
            "first_day": f"{known.index[0]:%Y-%m-%d}" if len(known) else None,
            "last_day": f"{known.index[-1]:%Y-%m-%d}" if len(known) else None,
            "missing": int(values.isna().sum()),
        }
    return found


def cmd_fetch(args) -> int:
    from tsgan.data import fetch_prices

    prices = fetch_prices(
        zone=args.zone,
        start=args.date_from,
        end=args.date_to,
        source=args.source,
        cache_dir=args.cache_dir,
        base_url=args.base_url,
        timeout=args.timeout,
        retries=args.retries,
        progress=None if args.quiet else (lambda line: print(line, file=sys.stderr, flush=True)),
    )
    out = Path(args.out)
    frame = prices.rename_axis("time").reset_index()
    frame["time"] = frame["time"].map(lambda t: t.isoformat())
    write_table(frame, out)
    where = "standard output" if args.out == STDOUT else out
    print(
        f"wrote {len(prices):,} prices ({prices.attrs['resolution']}, {args.zone}) to {where}",
        file=summary_stream(args.out),
    )
    return 0
