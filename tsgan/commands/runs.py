"""``tsgan train`` and ``tsgan animate``: a training run and its animation."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

from tsgan.commands.common import CliError, import_keras, one_line
from tsgan.runlock import run_lock


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
        return TrainConfig.from_file(path, out=str(run), epochs=args.epochs)
    if args.config:
        path = Path(args.config)
        if not path.is_file():
            raise CliError(f"{path}: no such config file")
        return TrainConfig.from_file(path, **overrides)
    return TrainConfig.from_values({k: v for k, v in overrides.items() if v is not None})


def cmd_train(args) -> int:
    if args.allow_changed_data and not args.resume:
        raise CliError("--allow-changed-data goes with --resume RUN_DIR")
    import math

    if not (math.isfinite(args.checkpoint_every) and args.checkpoint_every > 0):
        raise CliError(
            f"--checkpoint-every must be a number of seconds above 0, got {args.checkpoint_every:g}"
        )
    config = _train_config(args)
    import_keras()
    from tsgan.signals import Terminated
    from tsgan.train import train

    if not args.quiet:
        print(
            f"training on {'DEMO DATA (synthetic)' if config.demo else ', '.join(config.sources)} → {config.out}"
        )
    try:
        summary = train(
            config,
            progress=None if args.quiet else (lambda line: print(line, flush=True)),
            resume=bool(args.resume),
            allow_changed_data=args.allow_changed_data,
            checkpoint_seconds=args.checkpoint_every,
        )
    except (KeyboardInterrupt, Terminated) as stop:
        what, code = ("terminated", 143) if isinstance(stop, Terminated) else ("interrupted", 130)
        print(
            f"{what}: {_saved(Path(config.out), getattr(stop, 'summary', None))}", file=sys.stderr
        )
        return code
    except OSError as err:
        summary = getattr(err, "summary", None)
        if summary is None:  # not while training: main() says it, exit 2
            raise
        print(f"tsgan train: error: {summary['status'].removeprefix('failed: ')}", file=sys.stderr)
        return 1
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


def cmd_animate(args) -> int:
    from tsgan.animation.renderer import SAMPLES_FILE, animation_look, render_animation
    from tsgan.animation.writers import ANIMATION_SUFFIXES

    if args.every < 1:
        raise CliError(f"--frame-every must be at least 1, got {args.every}")
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
    from tsgan.animation.renderer import drawable

    try:
        for label in args.labels or ():
            drawable("--label", label)
    except ValueError as err:
        raise CliError(str(err)) from None
    for run in runs:
        if not (run / SAMPLES_FILE).is_file():
            raise CliError(f"{run / SAMPLES_FILE}: no stored samples (train with the animation on)")
    try:
        look = animation_look(size=args.size, theme=args.theme, title=args.title, hold=args.hold)
    except ValueError as err:
        raise CliError(f"--{err}") from None
    out = out or runs[0] / "training.gif"
    into = next((r for r in runs if r.resolve() == out.resolve().parent), None)
    with run_lock(into) if into is not None else contextlib.nullcontext():  # a writer of it
        try:
            n = render_animation(
                [r / SAMPLES_FILE for r in runs],
                out,
                labels=args.labels,
                fps=args.fps,
                every=args.every,
                **look,
            )
        except ValueError as err:  # a samples file tsgan did not write
            raise CliError(one_line(err)) from None
    print(f"wrote {n} frames to {out}")
    return 0
