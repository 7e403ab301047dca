"""TrainingAnimation: frames, fixed axes, interruption, re-rendering from stored samples."""

from __future__ import annotations

import itertools
import time

import keras
import numpy as np
import pytest
from PIL import Image

from tsgan import PriceGAN, TrainingAnimation
from tsgan.animation.writers import GifStream
from tsgan.callbacks import EpochProgress, TrainingHealth
from tsgan.cli import main

TINY = {"latent_dim": 4, "generator_units": (16,), "discriminator_units": (16,)}


def frames(path) -> list[np.ndarray]:
    image = Image.open(path)
    out = []
    for i in range(image.n_frames):
        image.seek(i)
        out.append(np.asarray(image.convert("RGB")))
    return out


@pytest.fixture
def trained(curves, tmp_path):
    gan = PriceGAN(**TINY)
    anim = TrainingAnimation(tmp_path / "run" / "training.gif", real=curves, n_samples=6)
    gan.fit(curves, epochs=5, batch_size=32, verbose=0, callbacks=[anim])
    return gan, anim, tmp_path / "run"


@pytest.mark.slow
def test_gif_has_a_frame_per_epoch_and_loops(trained):
    _, anim, run = trained
    gif = Image.open(run / "training.gif")
    assert gif.n_frames == 5
    assert gif.info["loop"] == 0
    assert gif.size == (720, 288)
    assert {p.name for p in run.iterdir()} == {
        "training.gif",
        "losses.png",
        "samples.png",
        "samples.npz",
    }
    shots = frames(run / "training.gif")
    assert all(not np.array_equal(a, b) for a, b in itertools.pairwise(shots))
    # the y-axis (ticks and labels of the curve panel) is pixel-identical in every frame
    y_axis = [s[30:260, :38] for s in shots]
    assert all(np.array_equal(y_axis[0], y) for y in y_axis[1:])
    assert tuple(np.load(run / "samples.npz")["ylim"]) == pytest.approx(anim.ylim)
    stored = np.load(run / "samples.npz")
    assert stored["generated"].shape == (5, 6, 24) and list(stored["epochs"]) == [1, 2, 3, 4, 5]
    last = np.asarray(Image.open(run / "samples.png").convert("RGB"))
    np.testing.assert_allclose(last.mean(), shots[-1].mean(), atol=2)  # the last frame


@pytest.mark.slow
def test_every_and_the_last_epoch(curves, tmp_path):
    gan = PriceGAN(**TINY)
    anim = TrainingAnimation(tmp_path / "a.gif", real=curves, every=3)
    gan.fit(curves, epochs=7, batch_size=32, verbose=0, callbacks=[anim])
    assert anim.epochs_rendered == [3, 6, 7]
    assert Image.open(tmp_path / "a.gif").n_frames == 3


class Interrupt(keras.callbacks.Callback):
    def __init__(self, at: int, error: type[BaseException]) -> None:
        super().__init__()
        self.at, self.error = at, error

    def on_epoch_end(self, epoch, logs=None):
        if epoch + 1 == self.at:
            raise self.error("stop")


@pytest.mark.slow
@pytest.mark.parametrize("error", [KeyboardInterrupt, RuntimeError])
def test_interrupted_fit_leaves_a_valid_gif(curves, tmp_path, error):
    gan = PriceGAN(**TINY)
    anim = TrainingAnimation(tmp_path / "training.gif", real=curves)
    with pytest.raises(error):
        gan.fit(curves, epochs=50, batch_size=32, verbose=0, callbacks=[anim, Interrupt(3, error)])
    deadline = time.monotonic() + 20  # the drawing thread catches up without any call
    while time.monotonic() < deadline:
        if (tmp_path / "training.gif").exists() and Image.open(
            tmp_path / "training.gif"
        ).n_frames == 3:
            break
        time.sleep(0.1)
    assert Image.open(tmp_path / "training.gif").n_frames == 3
    assert len(frames(tmp_path / "training.gif")) == 3  # every frame decodes
    anim.finish()
    assert Image.open(tmp_path / "training.gif").n_frames == 3
    assert (tmp_path / "losses.png").exists() and not list(tmp_path.glob(".*part*"))


@pytest.mark.slow
def test_without_real_curves_the_price_axis_comes_from_the_model(curves, tmp_path):
    gan = PriceGAN(**TINY)
    anim = TrainingAnimation(tmp_path / "training.gif", n_samples=4)
    gan.fit(curves, epochs=2, batch_size=32, verbose=0, callbacks=[anim])
    whole = gan.transform.inverse(
        np.array([[-1.0], [1.0]]) * np.ones((1, 24)), xp=np
    )  # all it can make
    low, high = np.percentile(curves.to_numpy(), [5, 95])  # the ordinary hours fit
    assert whole.min() < anim.ylim[0] < low and high < anim.ylim[1] < whole.max()
    assert Image.open(tmp_path / "training.gif").n_frames == 2


@pytest.mark.slow
def test_a_failing_drawing_process_is_reported_in_one_line(curves, tmp_path):
    """The drawing process cannot write the animation (its name is a folder): training
    hears why, from the process's own report, not a broken pipe."""
    (tmp_path / "training.gif").mkdir()
    gan = PriceGAN(**TINY)
    anim = TrainingAnimation(tmp_path / "training.gif", real=curves)
    with pytest.raises(RuntimeError, match=r"drawing failed: \w+Error: .*training\.gif") as err:
        gan.fit(curves, epochs=40, batch_size=32, verbose=0, callbacks=[anim])
    assert "\n" not in str(err.value)
    anim.finish()  # already ended: nothing to do


@pytest.mark.slow
def test_nan_stop_keeps_the_frames_and_the_last_finite_weights(curves, tmp_path):
    gan = PriceGAN(**TINY)
    gan.compile(d_optimizer=keras.optimizers.Adam(1e30), g_optimizer=keras.optimizers.Adam(1e30))
    anim = TrainingAnimation(tmp_path / "training.gif", real=curves)
    health = TrainingHealth(every_seconds=0.0)  # a snapshot after every finite epoch
    history = gan.fit(curves, epochs=30, batch_size=32, verbose=0, callbacks=[health, anim])
    stopped = len(history.history["d_loss"])
    assert stopped < 30 and not np.isfinite([v[-1] for v in history.history.values()]).all()
    assert (
        health.message.startswith(f"epoch {stopped}: ") and "lower learning rate" in health.message
    )
    assert health.kept_epoch in (None, stopped - 1)
    assert all(np.isfinite(keras.ops.convert_to_numpy(w)).all() for w in gan.weights)
    assert np.isfinite(gan.generate(20, seed=0, as_frame=False)).all()
    assert 1 <= Image.open(tmp_path / "training.gif").n_frames == len(anim.epochs_rendered)


@pytest.mark.slow
def test_animate_rerenders_from_samples(trained, tmp_path):
    _, _, run = trained
    assert main(["animate", str(run), "--out", str(tmp_path / "again.gif"), "--fps", "4"]) == 0
    again = Image.open(tmp_path / "again.gif")
    assert again.n_frames == 5 and again.info["duration"] == 250
    assert main(["animate", str(run), "--every", "2", "--out", str(tmp_path / "half.gif")]) == 0
    assert Image.open(tmp_path / "half.gif").n_frames == 3  # epochs 1, 3, 5
    np.testing.assert_array_equal(
        frames(tmp_path / "again.gif")[-1], frames(run / "training.gif")[-1]
    )


@pytest.mark.slow
def test_mp4(trained, tmp_path):
    pytest.importorskip("imageio_ffmpeg")
    _, _, run = trained
    assert main(["animate", str(run), "--out", str(tmp_path / "video.mp4")]) == 0
    assert (tmp_path / "video.mp4").stat().st_size > 1000


def test_gif_stream_is_valid_after_every_frame(tmp_path):
    out = tmp_path / "s.gif"
    stream = GifStream(out, fps=10)
    rng = np.random.default_rng(0)
    for i in range(4):
        stream.append(rng.integers(0, 255, (16, 20, 3), dtype=np.uint8))
        stream.publish()
        assert Image.open(out).n_frames == i + 1
    stream.close()
    decoded = frames(out)
    assert len(decoded) == 4 and decoded[0].shape == (16, 20, 3)


@pytest.mark.slow
@pytest.mark.parametrize("loss", ["bce", "wgan-gp"])
def test_health_warns_once_when_the_discriminator_wins(curves, loss, caplog):
    gan = PriceGAN(**TINY, loss=loss)
    gan.compile(d_optimizer=keras.optimizers.Adam(1e-2), g_optimizer=keras.optimizers.Adam(0.0))
    health = TrainingHealth(patience=5, max_gap=0.5)
    with caplog.at_level("WARNING", logger="tsgan"):
        gan.fit(curves, epochs=40, batch_size=32, verbose=0, callbacks=[health])
    assert len(health.warnings) == 1 and "Try" in health.warnings[0]
    assert sum("warning:" in r.getMessage() for r in caplog.records) == 1
    healthy = TrainingHealth(patience=5)
    tiny_gan = PriceGAN(**TINY, loss=loss)
    tiny_gan.compile()
    tiny_gan.fit(curves, epochs=10, batch_size=32, verbose=0, callbacks=[healthy])
    assert healthy.warnings == [] and healthy.message is None


@pytest.mark.slow
def test_progress_plain_lines_in_a_log_and_one_bar_in_a_terminal(curves, capsys):
    gan = PriceGAN(**TINY)
    gan.compile()
    lines: list[str] = []
    plain = EpochProgress(lines.append, terminal=False, every_seconds=1e9)
    gan.fit(curves, epochs=30, batch_size=32, verbose=0, callbacks=[plain])
    assert [line.split()[1] for line in lines] == ["1/30", "30/30"]  # first, then the last
    assert "s/epoch" in lines[-1] and "0:00 left" in lines[-1]
    every = EpochProgress(lines.append, terminal=False, every_seconds=0.0)
    gan.fit(curves, epochs=5, batch_size=32, verbose=0, callbacks=[every])
    assert len(lines) == 2 + 5

    capsys.readouterr()
    bar = EpochProgress(lines.append, terminal=True)
    gan.fit(curves, epochs=5, batch_size=32, verbose=0, callbacks=[bar])
    out = capsys.readouterr().out
    assert len(lines) == 7  # nothing written line by line
    assert out.count("\n") == 1 and out.endswith("\n") and "5/5" in out and "g_loss" in out


@pytest.mark.slow
@pytest.mark.parametrize(("suffix", "kind"), [(".webp", "WEBP"), (".png", "PNG")])
def test_animate_writes_the_format_of_the_suffix(trained, tmp_path, suffix, kind):
    _, _, run = trained
    out = tmp_path / f"again{suffix}"
    assert main(["animate", str(run), "--out", str(out), "--fps", "4"]) == 0
    image = Image.open(out)
    assert image.format == kind and image.n_frames == 5 and image.size == (720, 288)
    image.seek(1)
    image.load()  # WebP tells a frame's duration once the frame is read
    assert image.info["duration"] == 250
    assert not list(tmp_path.glob(".*"))  # no temporary file left
