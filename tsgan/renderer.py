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
    dpi: int
    subtitle: str
    groups: tuple[str, ...] = ()  # conditional runs: the fixed conditions shown
    real_groups: np.ndarray | None = None  # the group of each real curve
    # a resumed run: the earlier segment's history (log → values) and frames (epochs,
    # generated curves), drawn again before the new epochs
    prior: dict | None = None


def store_samples(path: Path, **arrays) -> None:
    """``np.savez`` to a temporary name, then rename."""
    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        np.savez(handle, **arrays)


ANIMATION_SUFFIXES = (".gif", ".mp4", ".webp", ".png")  # the format follows the suffix


def open_writer(path: Path, fps: float):
    """The writer for the suffix: a GIF stream, an ``.mp4`` video (needs imageio-ffmpeg),
    or an animated WebP or PNG (APNG) written by Pillow."""
    from tsgan.gifwriter import GifStream
    from tsgan.plotting import plot_palette

    suffix = path.suffix.lower()
    if suffix not in ANIMATION_SUFFIXES:
        raise ValueError(f"{path}: write {', '.join(ANIMATION_SUFFIXES)} (chosen by the suffix)")
    if suffix == ".mp4":
        return _Mp4(path, fps)
    if suffix in (".webp", ".png"):
        return _PillowAnimation(path, fps)
    return GifStream(path, fps=fps, palette=plot_palette())


class _PillowAnimation:
    """Animated WebP or PNG: frames kept PNG-compressed in memory, the file written (under a
    temporary name, then renamed) when the animation is closed."""

    def __init__(self, path: Path, fps: float) -> None:
        self.path, self.duration = path, round(1000 / fps)
        self.frames: list[bytes] = []

    def append(self, frame: np.ndarray) -> None:
        import io

        from PIL import Image

        buffer = io.BytesIO()
        Image.fromarray(frame).save(buffer, format="PNG", compress_level=1)
        self.frames.append(buffer.getvalue())

    def publish(self) -> None:  # complete only when closed
        pass

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
                duration=self.duration,
                loop=0,
                **options,
            )


class _Mp4:
    """An imageio video writer under a temporary name, renamed into place when closed."""

    def __init__(self, path: Path, fps: float) -> None:
        import imageio.v2 as imageio

        self.path, self.tmp = path, path.with_name(f".{path.stem}.part.mp4")
        self.writer = imageio.get_writer(self.tmp, fps=fps, macro_block_size=8)

    def append(self, frame: np.ndarray) -> None:
        self.writer.append_data(frame)

    def publish(self) -> None:  # a video is complete only when closed
        pass

    def close(self) -> None:
        self.writer.close()
        self.tmp.replace(self.path)


class Renderer:
    """Draws frames into the animation file; keeps what ``tsgan animate`` needs in ``samples.npz``."""

    def __init__(self, settings: Settings) -> None:
        from tsgan.plotting import training_figure

        self.settings = settings
        self.path = Path(settings.path)
        self.figure = training_figure(
            settings.real,
            n_generated=settings.n_samples,
            epochs=settings.total_epochs,
            ylim=settings.ylim,
            n_steps=settings.n_steps,
            dpi=settings.dpi,
            subtitle=settings.subtitle,
            groups=settings.groups,
            real_groups=settings.real_groups,
        )
        self.writer = open_writer(self.path, settings.fps)
        self.history: dict[str, list[float]] = {}
        self.epochs: list[int] = []
        self.generated: list[np.ndarray] = []
        self.last_frame: np.ndarray | None = None
        if settings.prior:
            self._replay(settings.prior)

    def _replay(self, prior: dict) -> None:
        """Draw the frames of the earlier segment of a resumed run again, then go on."""
        history = {k: [float(v) for v in vs] for k, vs in prior["history"].items()}
        for number, curves in zip(prior["epochs"], prior["generated"], strict=True):
            self.history = {k: vs[:number] for k, vs in history.items()}
            self.epoch(int(number), {}, np.asarray(curves))
        self.history = history

    def epoch(self, number: int, logs: dict[str, float], curves: np.ndarray | None) -> None:
        for key, value in logs.items():
            self.history.setdefault(key, []).append(value)
        if curves is None:
            return
        from tsgan.plotting import render_frame

        frame = render_frame(
            self.figure,
            epoch=number,
            generated=curves,
            d_loss=self.history.get("d_loss", []),
            g_loss=self.history.get("g_loss", []),
        )
        self.writer.append(frame)
        self.epochs.append(number)
        self.generated.append(curves)
        self.last_frame = frame
        if len(self.epochs) % 10 == 0:
            self.store()

    def idle(self) -> None:
        """Nothing is waiting: make the files on disk hold every frame drawn so far."""
        self.writer.publish()

    def store(self) -> None:
        if not self.generated:
            return
        s = self.settings
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

    The first message is the :class:`Settings`; then ``(epoch, logs, curves)`` per epoch;
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
