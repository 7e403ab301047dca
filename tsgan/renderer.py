"""The animation's drawing process: frames are drawn, encoded and written away from training.

:class:`tsgan.TrainingAnimation` starts :func:`run` in a separate process (``spawn``, so it
imports neither TensorFlow nor Keras) and sends it one small message per epoch. Drawing a
frame with matplotlib and encoding it costs tens of milliseconds of CPU; in another process
it runs beside training instead of holding up the training loop's interpreter.
"""

from __future__ import annotations

import queue
import signal
import traceback
from dataclasses import dataclass
from pathlib import Path

import numpy as np

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


def store_samples(path: Path, **arrays) -> None:
    """``np.savez`` to a temporary name, then rename."""
    tmp = path.with_name(f".{path.name}.part")
    with open(tmp, "wb") as handle:
        np.savez(handle, **arrays)
    tmp.replace(path)


def open_writer(path: Path, fps: float):
    """A GIF stream, or a video writer for ``.mp4`` (needs imageio-ffmpeg)."""
    from tsgan.gifwriter import GifStream
    from tsgan.plotting import plot_palette

    if path.suffix.lower() == ".mp4":
        return _Mp4(path, fps)
    return GifStream(path, fps=fps, palette=plot_palette())


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
        )
        self.writer = open_writer(self.path, settings.fps)
        self.history: dict[str, list[float]] = {}
        self.epochs: list[int] = []
        self.generated: list[np.ndarray] = []
        self.last_frame: np.ndarray | None = None

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
        self.writer.publish()
        self.epochs.append(number)
        self.generated.append(curves)
        self.last_frame = frame
        self.store()

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
        )

    def close(self) -> None:
        """Finish the animation; write ``losses.png`` and ``samples.png`` beside it."""
        from tsgan.plotting import loss_figure, save_figure

        self.writer.close()
        self.store()
        save_figure(loss_figure(self.history), self.path.with_name("losses.png"))
        if self.last_frame is not None:
            from PIL import Image

            tmp = self.path.with_name(".samples.png.part")
            Image.fromarray(self.last_frame).save(tmp, format="PNG")
            tmp.replace(self.path.with_name("samples.png"))


def run(settings: Settings, inbox, outbox) -> None:
    """The drawing process: messages ``(epoch, logs, curves)`` in, ``None`` to finish.

    Ctrl-C is left to the training process, which then finishes the animation; if that
    process disappears, the frames drawn so far stay a valid file and this one ends.
    """
    import multiprocessing

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = multiprocessing.parent_process()
    renderer = None
    try:
        renderer = Renderer(settings)
        while True:
            try:
                message = inbox.get(timeout=1.0)
            except queue.Empty:
                if parent is not None and not parent.is_alive():
                    break
                continue
            if message is None:
                break
            renderer.epoch(*message)
        renderer.close()
        outbox.put(("done", len(renderer.epochs)))
    except BaseException as err:
        outbox.put(("error", f"{type(err).__name__}: {err}", traceback.format_exc()))
