"""Drawing an animation without TensorFlow: the :class:`Renderer` the drawing process runs
(:mod:`tsgan.animation.process`), re-rendering a finished run from its ``samples.npz``
(:func:`render_animation`: other sizes, themes and formats, or several runs side by side),
which epochs an animation shows (:func:`frame_epochs`) and its look (:func:`animation_look`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tsgan.animation.writers import open_writer
from tsgan.atomic import atomic_path
from tsgan.settings import FPS, FRAME_SIZE, HOLD_SECONDS, MAX_FRAMES, THEME

SAMPLES_FILE = "samples.npz"


@dataclass(frozen=True)
class Settings:
    """What the drawing process needs to know before the first frame."""

    path: str
    real: np.ndarray | None
    ylim: tuple[float, float]
    total_epochs: int
    n_steps: int
    n_samples: int
    fps: float
    subtitle: str
    size: tuple[int, int] = FRAME_SIZE  # pixels
    theme: str = THEME
    title: str = ""
    hold: float = HOLD_SECONDS  # seconds the last frame stays
    # the distribution panel: {"bins": (2, n_bins + 1), "real": (groups, 2, n_bins)}
    dist: dict | None = None
    groups: tuple[str, ...] = ()  # conditional runs: the fixed conditions shown
    real_groups: np.ndarray | None = None  # the group of each real curve
    # a resumed run: the earlier segment's history (log → values) and frames (epochs,
    # generated curves, distribution shares), drawn again before the new epochs
    prior: dict | None = None


def store_samples(path: Path, **arrays) -> None:
    """``np.savez`` to a temporary name, then rename."""
    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        np.savez(handle, **arrays)


def frame_epochs(epochs: int, frames: int = MAX_FRAMES) -> list[int]:
    """The epochs an animation shows: every one up to ``frames``, then denser early on.

    Early epochs change the curves fastest, so once there are more epochs than frames half
    the frames are spread evenly over the epochs and half log-spaced from the first; the
    last epoch is always shown.

    Example:
        >>> frame_epochs(5)
        [1, 2, 3, 4, 5]
        >>> late = frame_epochs(1500)
        >>> len(late) <= 300, late[:5], late[-1], sum(e <= 150 for e in late) > 30
        (True, [1, 2, 3, 4, 5], 1500, True)
    """
    if epochs <= frames:
        return list(range(1, epochs + 1))
    half = frames // 2
    even = np.linspace(epochs / half, epochs, half)
    chosen = set(np.round(even).astype(int))
    # log-spaced epochs, stepping up the count until `frames` distinct epochs are chosen
    for n in range(frames - len(chosen), 10 * frames):
        early = set(np.round(np.geomspace(1, epochs, n)).astype(int))
        if len(chosen | early) >= frames:
            break
    return [*(int(e) for e in sorted(chosen | early)[: frames - 1]), epochs]


def align_by_fraction(epochs: list[np.ndarray], totals: list[int]) -> list[tuple[int, ...]]:
    """Frames of runs side by side: for each frame of the run with the most, the index of
    each run's last stored frame at or before the same fraction of its training.

    Example:
        >>> align_by_fraction([np.array([1, 2, 3, 4]), np.array([5, 10])], [4, 10])
        [(0, 0), (1, 0), (2, 0), (3, 1)]
    """
    fractions = [np.asarray(e) / float(t) for e, t in zip(epochs, totals, strict=True)]
    lead = fractions[int(np.argmax([len(f) for f in fractions]))]
    return [
        tuple(max(0, int(np.searchsorted(f, done + 1e-9)) - 1) for f in fractions) for done in lead
    ]


def parse_size(text: str) -> tuple[int, int]:
    """``"WIDTHxHEIGHT"`` in pixels (each 120..4096).

    Example:
        >>> parse_size("1920x1080")
        (1920, 1080)
    """
    try:
        width, height = (int(v) for v in str(text).lower().split("x"))
    except ValueError:
        raise ValueError(
            f"size must be WIDTHxHEIGHT in pixels (e.g. 1920x1080), got {text!r}"
        ) from None
    if not (120 <= width <= 4096 and 120 <= height <= 4096):
        raise ValueError(f"size {width}x{height}: width and height must be 120 to 4096 pixels")
    return width, height


def check_hold(seconds: float) -> float:
    """Seconds the last frame stays: 0 to 600 (a GIF delay holds at most 655 s).

    Example:
        >>> check_hold(2)
        2.0
    """
    if not 0 <= seconds <= 600:
        raise ValueError(f"hold must be 0 to 600 seconds, got {seconds}")
    return float(seconds)


def drawable(name: str, text: str) -> str:
    """``text`` if matplotlib can draw it (a ``$...$`` part is read as math), else a
    ``ValueError`` naming the setting: found before training, not by the drawing process.

    Example:
        >>> drawable("title", "DE-LU 2024, $x^2$")
        'DE-LU 2024, $x^2$'
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(2, 1))
    figure.text(0, 0, text)
    try:
        FigureCanvasAgg(figure).draw()
    except ValueError as err:
        reason = str(err).strip().splitlines()[-1] if str(err).strip() else type(err).__name__
        raise ValueError(
            f"{name} {text!r} is not text matplotlib can draw ({reason}; write \\$ for a "
            "dollar sign)"
        ) from None
    return text


def animation_look(
    *,
    size: str | None = None,
    theme: str | None = None,
    title: str | None = None,
    hold: float | None = None,
) -> dict:
    """The animation's look as given in settings or flags, checked: the keyword arguments of
    :class:`tsgan.TrainingAnimation` and :func:`render_animation` (None: left out, so their
    defaults apply).

    Raises:
        ValueError: a bad value, naming the setting (``"size must be WIDTHxHEIGHT ..."``).

    Example:
        >>> animation_look(size="640x360", hold=0.5)
        {'size': (640, 360), 'hold': 0.5}
    """
    from tsgan.plotting import theme_rc

    if theme is not None:
        theme_rc(theme)
    look = {
        "size": None if size is None else parse_size(size),
        "theme": theme,
        "title": None if title is None else drawable("title", title),
        "hold": None if hold is None else check_hold(hold),
    }
    return {k: v for k, v in look.items() if v is not None}


def figure_for(settings: Settings):
    """The :class:`tsgan.plotting.TrainingFigure` these settings describe."""
    from tsgan.animation.frame import training_figure

    s = settings
    return training_figure(
        s.real,
        n_generated=s.n_samples,
        epochs=s.total_epochs,
        ylim=s.ylim,
        n_steps=s.n_steps,
        size=s.size,
        theme=s.theme,
        title=s.title,
        subtitle=s.subtitle,
        groups=s.groups,
        real_groups=s.real_groups,
        dist=s.dist,
    )


class Renderer:
    """Draws frames into the animation file; keeps what ``tsgan animate`` needs in ``samples.npz``."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.path = Path(settings.path)
        self.figure = figure_for(settings)
        self.writer = open_writer(self.path, settings.fps, hold=settings.hold, theme=settings.theme)
        self.history: dict[str, list[float]] = {}
        self.epochs: list[int] = []
        self.generated: list[np.ndarray] = []
        self.shares: list[np.ndarray] = []  # the distribution panel's, one per frame
        self.last_frame: np.ndarray | None = None
        if settings.prior:
            self._replay(settings.prior)

    def _replay(self, prior: dict) -> None:
        """Draw the frames of the earlier segment of a resumed run again, then go on."""
        history = {k: [float(v) for v in vs] for k, vs in prior["history"].items()}
        shares = prior.get("shares")
        for i, (number, curves) in enumerate(zip(prior["epochs"], prior["generated"], strict=True)):
            self.history = {k: vs[:number] for k, vs in history.items()}
            frame = (np.asarray(curves), None if shares is None else np.asarray(shares[i]))
            self.epoch(int(number), {}, frame)
        self.history = history

    def epoch(self, number: int, logs: dict[str, float], frame: tuple | None) -> None:
        """Record an epoch's logs; draw a frame when given ``(curves, shares or None)``."""
        for key, value in logs.items():
            self.history.setdefault(key, []).append(value)
        if frame is None:
            return
        from tsgan.animation.frame import render_frame

        curves, shares = frame
        image = render_frame(
            self.figure,
            epoch=number,
            generated=curves,
            d_loss=self.history.get("d_loss", []),
            g_loss=self.history.get("g_loss", []),
            dist=shares,
        )
        self.writer.append(image)
        self.epochs.append(number)
        self.generated.append(curves)
        if shares is not None:
            self.shares.append(shares)
        self.last_frame = image
        if len(self.epochs) % 10 == 0:
            self.store()

    def idle(self) -> None:
        """Nothing is waiting: make the files on disk hold every frame drawn so far."""
        self.writer.publish()

    def store(self) -> None:
        if not self.generated:
            return
        s = self.settings
        dist = {}
        if s.dist is not None and len(self.shares) == len(self.generated):
            dist = {
                "dist_bins": s.dist["bins"],
                "dist_real": s.dist["real"],
                "dist_shares": np.stack(self.shares).astype("float32"),
            }
        store_samples(
            self.path.with_name(SAMPLES_FILE),
            epochs=np.asarray(self.epochs),
            generated=np.stack(self.generated),
            real=s.real if s.real is not None else np.zeros((0, s.n_steps)),
            d_loss=np.asarray(self.history.get("d_loss", [])),
            g_loss=np.asarray(self.history.get("g_loss", [])),
            total_epochs=s.total_epochs,
            ylim=np.asarray(s.ylim),
            subtitle=s.subtitle,
            groups=np.asarray(s.groups, dtype=str),
            real_groups=(s.real_groups if s.real_groups is not None else np.zeros(0, dtype=int)),
            **dist,
        )

    def close(self) -> None:
        """Finish the animation; write ``losses.png`` and ``samples.png`` beside it."""
        from tsgan.plotting import loss_figure, save_figure

        self.writer.close()
        self.store()
        save_figure(loss_figure(self.history), self.path.with_name("losses.png"))
        if self.last_frame is not None:
            from PIL import Image

            with atomic_path(self.path.with_name("samples.png")) as tmp:
                Image.fromarray(self.last_frame).save(tmp, format="PNG")


def _stored_run(samples: str | os.PathLike) -> dict:
    """What a ``samples.npz`` holds, as plain arrays (older files lack the histograms);
    a ``ValueError`` naming the file when it is not one tsgan wrote (never pickles)."""
    import zipfile

    try:
        with np.load(samples, allow_pickle=False) as data:
            run = {key: data[key] for key in data.files}
        epochs, generated = np.asarray(run["epochs"]), np.asarray(run["generated"])
        ok = (
            epochs.ndim == 1
            and np.issubdtype(epochs.dtype, np.integer)
            and len(epochs) > 0
            and generated.ndim == 3
            and len(generated) == len(epochs)
            and np.all(np.diff(epochs) > 0)
            and int(run["total_epochs"]) >= int(epochs[-1]) >= 1
            and np.asarray(run["ylim"]).shape == (2,)
            and all(np.asarray(run[k]).ndim == 1 for k in ("d_loss", "g_loss"))
        )
    except (OSError, EOFError, KeyError, TypeError, ValueError, zipfile.BadZipFile) as err:
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ValueError(f"{samples}: not a samples file tsgan wrote ({reason})") from None
    if not ok:
        raise ValueError(f"{samples}: not a samples file tsgan wrote (its arrays do not fit)")
    run["groups"] = tuple(str(g) for g in run.get("groups", ()))
    if "real_groups" not in run or not len(run["real_groups"]):
        run["real_groups"] = None
    if not len(run["real"]):
        run["real"] = None
    return run


def render_animation(
    samples: str | os.PathLike | Sequence[str | os.PathLike],
    out: str | os.PathLike,
    *,
    labels: Sequence[str] | None = None,
    fps: float = FPS,
    every: int = 1,
    size: tuple[int, int] = FRAME_SIZE,
    theme: str = THEME,
    title: str = "",
    hold: float = HOLD_SECONDS,
) -> int:
    """Re-render an animation from a run's ``samples.npz``, or runs side by side.

    Given several ``samples.npz`` files, each frame holds one frame of each run, left to
    right, aligned by the fraction of training done (a run of 600 epochs at epoch 300 beside
    a run of 1500 at epoch 750), each headed by its label; the y-axes are shared.

    Args:
        samples: the ``samples.npz`` a :class:`TrainingAnimation` wrote, or a list of them.
        out: the animation to write: ``.gif``, ``.mp4``, ``.webp`` or ``.png`` (APNG), by suffix.
        labels: one per run (default: each run's folder name) when comparing.
        fps: frames per second.
        every: keep every ``every``-th stored frame (and the last).
        size: ``(width, height)`` in pixels of one run's frame.
        theme: ``"light"`` or ``"dark"``.
        title: shown before the epoch counter.
        hold: seconds the last frame stays.

    Returns:
        The number of frames written.

    Example:
        >>> render_animation("runs/demo/samples.npz", "runs/demo/slow.gif", fps=4)  # doctest: +SKIP
        300
        >>> render_animation(["runs/bce/samples.npz", "runs/wgan/samples.npz"],
        ...                  "compare.gif", labels=["BCE", "WGAN-GP"])   # doctest: +SKIP
        300
    """
    from tsgan.animation.frame import render_frame
    from tsgan.plotting import theme_rc

    paths = [samples] if isinstance(samples, (str, os.PathLike)) else list(samples)
    if not paths:
        raise ValueError("render_animation: no samples to render")
    theme_rc(theme)
    runs = [_stored_run(p) for p in paths]
    if labels is None:
        labels = [Path(p).resolve().parent.name for p in paths] if len(runs) > 1 else [""]
    if len(labels) != len(runs):
        raise ValueError(f"render_animation: {len(labels)} labels for {len(runs)} runs")
    ylim = (min(r["ylim"][0] for r in runs), max(r["ylim"][1] for r in runs))
    figures = []
    for run, label in zip(runs, labels, strict=True):
        heading = " · ".join(t for t in (title, label) if t)
        dist = None
        if "dist_shares" in run and len(run["dist_shares"]) == len(run["epochs"]):
            dist = {"bins": run["dist_bins"], "real": run["dist_real"]}
        settings = Settings(
            path=str(out),
            real=run["real"],
            ylim=ylim,
            total_epochs=int(run["total_epochs"]),
            n_steps=run["generated"].shape[2],
            n_samples=run["generated"].shape[1],
            fps=fps,
            subtitle=str(run["subtitle"]),
            size=tuple(size),
            theme=theme,
            title=heading,
            dist=dist,
            groups=run["groups"],
            real_groups=run["real_groups"],
        )
        figures.append(figure_for(settings))
    aligned = align_by_fraction([r["epochs"] for r in runs], [int(r["total_epochs"]) for r in runs])
    keep = [i for i in range(len(aligned)) if i % every == 0 or i == len(aligned) - 1]
    if len(keep) > MAX_FRAMES:  # the documented maximum, evenly spread, the last kept
        keep = [keep[round(i)] for i in np.linspace(0, len(keep) - 1, MAX_FRAMES)]
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    writer = open_writer(out, fps, hold=hold, theme=theme)
    try:
        for i in keep:
            images = []
            for run, tfig, j in zip(runs, figures, aligned[i], strict=True):
                e = int(run["epochs"][j])
                images.append(
                    render_frame(
                        tfig,
                        epoch=e,
                        generated=run["generated"][j],
                        d_loss=run["d_loss"][:e],
                        g_loss=run["g_loss"][:e],
                        dist=run["dist_shares"][j] if tfig.dist_generated else None,
                    )
                )
            writer.append(np.hstack(images))
    except BaseException:
        writer.abort()  # no half-drawn animation under the final name
        raise
    writer.close()
    return len(keep)
