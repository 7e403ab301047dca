"""The animation's drawing process: frames are drawn, encoded and written away from training.

:class:`tsgan.TrainingAnimation` starts ``python -m tsgan.renderer`` (which imports neither
TensorFlow nor Keras, nor the user's script) and sends it one small message per epoch. Drawing a
frame with matplotlib and encoding it costs tens of milliseconds of CPU; in another process
it runs beside training instead of holding up the training loop's interpreter.
"""

from __future__ import annotations

import contextlib
import os
import select
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tsgan.atomic import atomic_path

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
    size: tuple[int, int] = (720, 288)  # pixels
    theme: str = "light"
    title: str = ""
    hold: float = 2.0  # seconds the last frame stays
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


ANIMATION_SUFFIXES = (".gif", ".mp4", ".webp", ".png")  # the format follows the suffix
MAX_FRAMES = 300  # frames of a default animation: a GIF under 3 MB at the default size


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


def open_writer(path: Path, fps: float, *, hold: float = 2.0, theme: str = "light"):
    """The writer for the suffix: a GIF stream, an ``.mp4`` video (needs imageio-ffmpeg),
    or an animated WebP or PNG (APNG) written by Pillow; the last frame stays ``hold`` s."""
    from tsgan.gifwriter import GifStream
    from tsgan.plotting import plot_palette

    suffix = path.suffix.lower()
    if suffix not in ANIMATION_SUFFIXES:
        raise ValueError(f"{path}: write {', '.join(ANIMATION_SUFFIXES)} (chosen by the suffix)")
    if suffix == ".mp4":
        return _Mp4(path, fps, hold)
    if suffix in (".webp", ".png"):
        return _PillowAnimation(path, fps, hold)
    return GifStream(path, fps=fps, palette=plot_palette(theme), hold=hold)


class _PillowAnimation:
    """Animated WebP or PNG: frames kept PNG-compressed in memory, the file written (under a
    temporary name, then renamed) when the animation is closed."""

    def __init__(self, path: Path, fps: float, hold: float) -> None:
        self.path, self.duration = path, round(1000 / fps)
        self.hold = max(self.duration, round(1000 * hold))
        self.frames: list[bytes] = []

    def append(self, frame: np.ndarray) -> None:
        import io

        from PIL import Image

        buffer = io.BytesIO()
        Image.fromarray(frame).save(buffer, format="PNG", compress_level=1)
        self.frames.append(buffer.getvalue())

    def publish(self) -> None:  # complete only when closed
        pass

    def abort(self) -> None:
        self.frames = []

    def close(self) -> None:
        import io

        from PIL import Image

        if not self.frames:
            return
        images = [Image.open(io.BytesIO(b)).convert("RGB") for b in self.frames]
        kind = "WEBP" if self.path.suffix.lower() == ".webp" else "PNG"
        options = {"lossless": True, "method": 4} if kind == "WEBP" else {"optimize": False}
        with atomic_path(self.path) as tmp:
            images[0].save(
                tmp,
                format=kind,
                save_all=True,
                append_images=images[1:],
                duration=[self.duration] * (len(images) - 1) + [self.hold],
                loop=0,
                **options,
            )


class _Mp4:
    """An imageio video writer under a temporary name, renamed into place when closed."""

    def __init__(self, path: Path, fps: float, hold: float) -> None:
        import imageio.v2 as imageio

        self.path, self.tmp = path, path.with_name(f".{path.stem}.part.mp4")
        self.writer = imageio.get_writer(self.tmp, fps=fps, macro_block_size=8)
        self.held = max(0, round(hold * fps) - 1)  # a video holds a frame by repeating it
        self.last: np.ndarray | None = None

    def append(self, frame: np.ndarray) -> None:
        self.writer.append_data(frame)
        self.last = frame

    def publish(self) -> None:  # a video is complete only when closed
        pass

    def abort(self) -> None:
        self.writer.close()
        self.tmp.unlink(missing_ok=True)

    def close(self) -> None:
        for _ in range(self.held if self.last is not None else 0):
            self.writer.append_data(self.last)
        self.writer.close()
        self.tmp.replace(self.path)


def figure_for(settings: Settings):
    """The :class:`tsgan.plotting.TrainingFigure` these settings describe."""
    from tsgan.plotting import training_figure

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
        from tsgan.plotting import render_frame

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


def main() -> None:
    """``python -m tsgan.renderer``: pickled messages on stdin, the result on stdout.

    The first message is the :class:`Settings`; then ``(epoch, logs, frame)`` per epoch,
    ``frame`` being None or ``(curves, shares)`` (see :meth:`Renderer.epoch`);
    ``None`` (or the end of stdin, when the training process is gone) finishes. The process
    runs in its own session, so Ctrl-C in the terminal reaches training only, which then
    finishes the animation. It runs at the lowest priority: drawing takes the CPU time that
    training leaves idle.
    """
    import pickle

    with contextlib.suppress(OSError, AttributeError):
        os.nice(19)
    with contextlib.suppress(OSError, AttributeError):  # Linux: run only on otherwise idle CPU
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    stdin, stdout = sys.stdin.buffer, sys.stdout
    renderer = None
    try:
        renderer = Renderer(pickle.load(stdin))
        while True:
            try:
                message = pickle.load(stdin)
            except EOFError:
                break
            if message is None:
                break
            renderer.epoch(*message)
            if not select.select([stdin], [], [], 0)[0]:  # caught up with training
                renderer.idle()
        renderer.close()
        print(f"done {len(renderer.epochs)}", file=stdout, flush=True)
    except BaseException as err:
        print(f"error {type(err).__name__}: {' '.join(str(err).split())}", file=stdout, flush=True)
        traceback.print_exc(file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
