"""TrainingAnimation: watch a GAN learn, one frame per epoch, streamed to a GIF."""

from __future__ import annotations

import logging
import os
import queue
import threading
from pathlib import Path

import keras
import numpy as np

from tsgan.gifwriter import GifStream
from tsgan.plotting import (
    curve_ylim,
    loss_figure,
    plot_palette,
    render_frame,
    save_figure,
    training_figure,
)

logger = logging.getLogger(__name__)

SAMPLES_FILE = "samples.npz"


class TrainingAnimation(keras.callbacks.Callback):
    """Render generated curves over real ones next to the losses, epoch by epoch, as a GIF.

    Each frame shows, left, a sample of real days (grey) and the curves generated from a
    fixed latent batch drawn once at the start of training (colour), on y-limits fixed from
    the real data's quantiles; right, ``d_loss`` and ``g_loss`` up to this epoch on an x-axis
    fixed to the planned number of epochs. Frames are drawn and encoded on a background
    thread so training does not wait for matplotlib, and streamed to the file: memory does
    not grow with the number of epochs, and after every frame the GIF on disk is a complete,
    valid file (written under a temporary name and renamed), so an exception or Ctrl-C
    loses nothing already drawn. A path ending in ``.mp4`` writes a video instead (needs
    ``imageio-ffmpeg``; it is finished when training ends).

    At the end it writes ``losses.png`` (the whole history) and ``samples.png`` (the last
    frame) next to the animation, and ``samples.npz``: the generated curves of every
    rendered epoch, the real sample and the losses, from which ``tsgan animate`` re-renders
    the animation with other settings without retraining.

    Args:
        path: the ``.gif`` (or ``.mp4``) to write; its folder is created.
        real: real daily curves in EUR/MWh (array or DataFrame); a sample of them is drawn.
        every: render every ``every``-th epoch (and always the last).
        n_samples: generated curves per frame.
        n_real: real curves drawn in grey.
        fps: frames per second.
        dpi: resolution of the frames (72 gives 720×288 pixels).
        seed: seed of the fixed latent batch and of the real sample.
        conditions: ``(n_samples, condition_dim)`` conditions for a conditional model.
        subtitle: a small caption (data source, zone) in the corner.

    Example:
        >>> import tsgan
        >>> curves = tsgan.daily_curves(tsgan.demo_prices("2024-01-01", "2024-03-31"))
        >>> gan = tsgan.PriceGAN(latent_dim=8, generator_units=(32,), discriminator_units=(32,))
        >>> anim = TrainingAnimation("runs/doc/training.gif", real=curves)   # doctest: +SKIP
        >>> gan.fit(curves, epochs=5, callbacks=[anim], verbose=0)          # doctest: +SKIP
    """

    def __init__(
        self,
        path: str | os.PathLike,
        *,
        real=None,
        every: int = 1,
        n_samples: int = 12,
        n_real: int = 80,
        fps: float = 12.0,
        dpi: int = 72,
        seed: int = 0,
        conditions: np.ndarray | None = None,
        subtitle: str = "",
    ) -> None:
        super().__init__()
        if every < 1:
            raise ValueError(f"every must be at least 1, got {every}")
        self.path = Path(path)
        self.every = int(every)
        self.n_samples = int(n_samples)
        self.fps = float(fps)
        self.dpi = int(dpi)
        self.seed = int(seed)
        self.conditions = conditions
        self.subtitle = subtitle
        rng = np.random.default_rng(seed)
        if real is not None:
            real = np.asarray(
                real.to_numpy() if hasattr(real, "to_numpy") else real, dtype="float64"
            )
            self.ylim = curve_ylim(real)
            pick = rng.choice(len(real), size=min(n_real, len(real)), replace=False)
            self.real = real[np.sort(pick)]
        else:
            self.real, self.ylim = None, None
        self.epochs_rendered: list[int] = []
        self.generated: list[np.ndarray] = []
        self.history: dict[str, list[float]] = {
            k: [] for k in ("d_loss", "g_loss", "d_real", "d_fake")
        }
        self.d_loss, self.g_loss = self.history["d_loss"], self.history["g_loss"]
        self._queue: queue.Queue | None = None
        self._worker: threading.Thread | None = None
        self._error: BaseException | None = None

    # ------------------------------------------------------------------ Keras hooks

    def on_train_begin(self, logs=None) -> None:
        model = self.model
        self.total_epochs = int(self.params.get("epochs") or 1)
        # The fixed latent batch: the same noise in every frame, so frames are comparable.
        noise = keras.random.normal((self.n_samples, model.latent_dim), seed=self.seed)
        if self.conditions is not None:
            noise = keras.ops.concatenate(
                [noise, keras.ops.cast(self.conditions, "float32")], axis=-1
            )
        self._noise = noise
        if self.ylim is None:  # no real curves: the scaled range of the training data
            center = keras.ops.convert_to_numpy(model.center)
            scale = float(keras.ops.convert_to_numpy(model.scale))
            self.ylim = (float(center.min() - 4 * scale), float(center.max() + 4 * scale))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._queue = queue.Queue(maxsize=64)
        self._error = None
        self._worker = threading.Thread(
            target=self._draw_frames, name="tsgan-animation", daemon=True
        )
        self._worker.start()

    def on_epoch_end(self, epoch, logs=None) -> None:
        logs = logs or {}
        for key, values in self.history.items():
            values.append(float(logs.get(key, np.nan)))
        number = epoch + 1
        last = number == self.total_epochs or getattr(self.model, "stop_training", False)
        if number % self.every and not last:
            return
        net = (
            self.model.ema_generator
            if self.model.ema_generator is not None
            else self.model.generator
        )
        unit = keras.ops.convert_to_numpy(net(self._noise, training=False))
        curves = self.model.from_unit(unit).astype("float32")  # (S, n_steps) EUR/MWh
        self.epochs_rendered.append(number)
        self.generated.append(curves)
        if self._error is not None:
            raise RuntimeError(f"TrainingAnimation: drawing failed: {self._error}") from self._error
        self._queue.put((number, curves, list(self.d_loss), list(self.g_loss)))

    def on_train_end(self, logs=None) -> None:
        self.finish()

    # ------------------------------------------------------------------ drawing

    def _draw_frames(self) -> None:
        """Worker thread: draw, encode and publish frames as they arrive."""
        try:
            figure = training_figure(
                self.real,
                n_generated=self.n_samples,
                epochs=self.total_epochs,
                ylim=self.ylim,
                n_steps=self.model.n_steps,
                dpi=self.dpi,
                subtitle=self.subtitle,
            )
            writer = _open_writer(self.path, self.fps)
            self._figure, self._last_frame = figure, None
            while (item := self._queue.get()) is not None:
                number, curves, d_loss, g_loss = item
                frame = render_frame(
                    figure, epoch=number, generated=curves, d_loss=d_loss, g_loss=g_loss
                )
                writer.append(frame)
                if isinstance(writer, GifStream):
                    writer.publish()
                self._last_frame = frame
                self._store_samples()
            writer.close()
        except BaseException as err:  # surfaced on the training thread
            self._error = err
            logger.error("TrainingAnimation: %s", err)

    def finish(self) -> None:
        """Render what is queued, close the animation and write the still images.

        Called at the end of training; call it yourself after an interrupted ``fit`` (the
        command line does) to also get ``losses.png`` and ``samples.png``. Safe to call twice.
        """
        if self._worker is None:
            return
        self._queue.put(None)
        self._worker.join()
        self._worker = None
        self._store_samples()
        save_figure(loss_figure(self.history), self.path.with_name("losses.png"))
        if getattr(self, "_last_frame", None) is not None:
            from PIL import Image

            tmp = self.path.with_name(".samples.png.part")
            Image.fromarray(self._last_frame).save(tmp, format="PNG")
            tmp.replace(self.path.with_name("samples.png"))
        if self._error is not None:
            raise RuntimeError(f"TrainingAnimation: drawing failed: {self._error}") from self._error

    def _store_samples(self) -> None:
        """Write the per-epoch generated curves (and what else re-rendering needs), atomically."""
        n = len(self.generated)  # the training thread may append meanwhile
        if not n:
            return
        store_samples(
            self.path.with_name(SAMPLES_FILE),
            epochs=np.asarray(self.epochs_rendered[:n]),
            generated=np.stack(self.generated[:n]),
            real=self.real if self.real is not None else np.zeros((0, self.model.n_steps)),
            d_loss=np.asarray(self.d_loss),
            g_loss=np.asarray(self.g_loss),
            total_epochs=self.total_epochs,
            ylim=np.asarray(self.ylim),
            subtitle=self.subtitle,
        )


def store_samples(path: Path, **arrays) -> None:
    """``np.savez`` to a temporary name, then rename."""
    tmp = path.with_name(f".{path.name}.part")
    with open(tmp, "wb") as handle:
        np.savez(handle, **arrays)
    tmp.replace(path)


def _open_writer(path: Path, fps: float):
    if path.suffix.lower() == ".mp4":
        import imageio.v2 as imageio

        return _Mp4(
            imageio.get_writer(
                path.with_name(f"{path.stem}.part.mp4"), fps=fps, macro_block_size=8
            ),
            path,
        )
    return GifStream(path, fps=fps, palette=plot_palette())


class _Mp4:
    """An imageio video writer, renamed into place when closed."""

    def __init__(self, writer, path: Path) -> None:
        self.writer, self.path = writer, path

    def append(self, frame: np.ndarray) -> None:
        self.writer.append_data(frame)

    def close(self) -> None:
        self.writer.close()
        self.path.with_name(f"{self.path.stem}.part.mp4").replace(self.path)


def render_animation(
    samples: str | os.PathLike,
    out: str | os.PathLike,
    *,
    fps: float = 12.0,
    every: int = 1,
    dpi: int = 72,
) -> int:
    """Re-render an animation from a run's ``samples.npz`` without retraining.

    Args:
        samples: the ``samples.npz`` a :class:`TrainingAnimation` wrote.
        out: the ``.gif`` or ``.mp4`` to write.
        fps: frames per second.
        every: keep every ``every``-th stored frame (and the last).
        dpi: resolution.

    Returns:
        The number of frames written.

    Example:
        >>> render_animation("runs/demo/samples.npz", "runs/demo/slow.gif", fps=4)  # doctest: +SKIP
        300
    """
    data = np.load(samples)
    epochs, generated = data["epochs"], data["generated"]
    keep = [i for i in range(len(epochs)) if i % every == 0 or i == len(epochs) - 1]
    real = data["real"] if len(data["real"]) else None
    figure = training_figure(
        real,
        n_generated=generated.shape[1],
        epochs=int(data["total_epochs"]),
        ylim=tuple(data["ylim"]),
        n_steps=generated.shape[2],
        dpi=dpi,
        subtitle=str(data["subtitle"]),
    )
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    writer = _open_writer(out, fps)
    d_loss, g_loss = data["d_loss"], data["g_loss"]
    for i in keep:
        n = int(epochs[i])
        writer.append(
            render_frame(
                figure, epoch=n, generated=generated[i], d_loss=d_loss[:n], g_loss=g_loss[:n]
            )
        )
    writer.close()
    return len(keep)


class EpochProgress(keras.callbacks.Callback):
    """One line per epoch: epoch, the tracked metrics, seconds per epoch and time left.

    Args:
        write: called with each line (``print`` by default).

    Example:
        >>> progress = EpochProgress()   # gan.fit(curves, epochs=300, callbacks=[progress])
    """

    def __init__(self, write=print) -> None:
        super().__init__()
        self.write = write

    def on_train_begin(self, logs=None) -> None:
        import time

        self._clock = time.perf_counter
        self._start = self._clock()
        self._first_epoch = None

    def on_epoch_end(self, epoch, logs=None) -> None:
        logs = logs or {}
        total = int(self.params.get("epochs") or epoch + 1)
        if self._first_epoch is None:
            self._first_epoch = epoch
        done = epoch + 1 - self._first_epoch
        per_epoch = (self._clock() - self._start) / done
        left = per_epoch * (total - epoch - 1)
        metrics = "  ".join(
            f"{k} {v:.4f}" for k, v in logs.items() if k in ("d_loss", "g_loss", "d_real", "d_fake")
        )
        width = len(str(total))
        self.write(
            f"epoch {epoch + 1:>{width}}/{total}  {metrics}  {per_epoch:.2f} s/epoch  "
            f"{int(left // 60)}:{int(left % 60):02d} left"
        )
