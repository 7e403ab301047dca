"""Animations worth sharing: sizes, formats, themes, pacing, the held last frame, run comparison."""

from __future__ import annotations

import tomllib

import numpy as np
import pytest
from PIL import Image

import tsgan
from tsgan import PriceGAN, TrainingAnimation
from tsgan.animation.renderer import (
    align_by_fraction,
    frame_epochs,
    render_animation,
    store_samples,
)
from tsgan.animation.stats import stat_bins, stat_shares
from tsgan.cli import main
from tsgan.plotting import THEMES, curve_ylim

TINY = {"latent_dim": 4, "generator_units": (16,), "discriminator_units": (16,)}


def corner_rgb(path) -> np.ndarray:
    """The top-right pixel of the last frame: the figure's background."""
    image = Image.open(path)
    image.seek(image.n_frames - 1)
    return np.asarray(image.convert("RGB"))[2, -3]


def last_duration_ms(path) -> float:
    image = Image.open(path)
    image.seek(image.n_frames - 1)
    image.load()  # WebP tells a frame's duration once the frame is read
    return float(image.info["duration"])


def video_frames(path) -> int:
    import imageio.v3 as iio

    return sum(1 for _ in iio.imiter(path))


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Two tiny runs: 6 epochs (every epoch drawn) and 12 epochs (every 3rd drawn)."""
    from tests.conftest import two_shape_curves

    curves = two_shape_curves(256)
    folder = tmp_path_factory.mktemp("runs")
    made = []
    for name, epochs, every in (("short", 6, None), ("long", 12, 3)):
        gan = PriceGAN(**TINY, seed=1)
        anim = TrainingAnimation(folder / name / "training.gif", real=curves, every=every)
        gan.fit(curves, epochs=epochs, batch_size=32, verbose=0, callbacks=[anim])
        made.append(folder / name)
    return made


def test_default_frames_give_the_first_epochs_more():
    for epochs in (600, 1500, 5000):
        chosen = frame_epochs(epochs)
        assert len(chosen) == 300 and chosen[0] == 1 and chosen[-1] == epochs
        assert chosen == sorted(set(chosen))
        uniform = np.linspace(epochs / 300, epochs, 300)
        first_tenth = epochs / 10
        assert sum(e <= first_tenth for e in chosen) >= 2 * sum(uniform <= first_tenth)
        assert sum(e > epochs / 2 for e in chosen) >= 80  # the end is not starved either
    assert frame_epochs(250) == list(range(1, 251))  # every epoch while they fit


@pytest.mark.slow
def test_the_callback_draws_the_paced_epochs(curves, tmp_path):
    gan = PriceGAN(**TINY)
    anim = TrainingAnimation(tmp_path / "a.gif", real=curves, frames=8)
    gan.fit(curves, epochs=40, batch_size=64, verbose=0, callbacks=[anim])
    assert anim.epochs_rendered == frame_epochs(40, 8)
    assert sum(e <= 4 for e in anim.epochs_rendered) > 1  # uniform would give none of 1..4
    assert Image.open(tmp_path / "a.gif").n_frames == 8
    stored = np.load(tmp_path / "samples.npz")
    assert stored["dist_shares"].shape[:3] == (8, 1, 2)
    # the histograms are those of the model's days at that epoch: the last one is now's
    days = gan.generate(500, seed=0, as_frame=False)
    np.testing.assert_allclose(
        stored["dist_shares"][-1, 0], stat_shares(days, stored["dist_bins"]), atol=1e-6
    )
    # the losses of the epochs without a frame go with the next frame: none is lost
    history = gan.history.history
    for key in ("d_loss", "g_loss"):
        np.testing.assert_allclose(stored[key], history[key], rtol=1e-6)


@pytest.mark.slow
@pytest.mark.parametrize("suffix", [".gif", ".webp", ".png", ".mp4"])
def test_every_format_size_and_hold(runs, tmp_path, suffix):
    if suffix == ".mp4":
        pytest.importorskip("imageio_ffmpeg")
    out = tmp_path / f"a{suffix}"
    argv = ["animate", str(runs[0]), "-o", str(out), "--size", "640x360", "--fps", "10"]
    assert main([*argv, "--hold", "3"]) == 0
    if suffix == ".mp4":
        import imageio.v3 as iio

        assert iio.improps(out).shape[1:3] == (360, 640)
        assert video_frames(out) == 6 + 29  # the last frame repeated for 3 s at 10 fps
    else:
        image = Image.open(out)
        assert image.size == (640, 360) and image.n_frames == 6
        assert last_duration_ms(out) == 3000
        image.seek(0)
        image.load()
        assert image.info["duration"] == 100
    assert not list(tmp_path.glob(".*"))  # no temporary file left


@pytest.mark.slow
def test_train_flags_set_the_look_and_are_saved(tmp_path):
    run = tmp_path / "run"
    argv = ["train", "--demo", "--epochs", "3", "--out", str(run), "-q"]
    look = ["--size", "480x320", "--theme", "dark", "--title", "Demo run", "--hold", "1.5"]
    assert main([*argv, *look]) == 0
    gif = Image.open(run / "training.gif")
    assert gif.size == (480, 320) and gif.n_frames == 3
    assert last_duration_ms(run / "training.gif") == 1500
    assert corner_rgb(run / "training.gif").sum() < 3 * 60  # the dark background
    saved = tomllib.loads((run / "config.toml").read_text(encoding="utf-8"))
    assert saved["gif_size"] == "480x320" and saved["gif_theme"] == "dark"
    assert saved["gif_title"] == "Demo run" and saved["gif_hold"] == 1.5


@pytest.mark.slow
def test_themes_change_the_background(runs, tmp_path):
    colors = {}
    for theme in THEMES:
        out = tmp_path / f"{theme}.gif"
        assert main(["animate", str(runs[0]), "-o", str(out), "--theme", theme]) == 0
        colors[theme] = corner_rgb(out)
    assert colors["light"].min() > 240 and colors["dark"].max() < 60


@pytest.mark.slow
def test_two_runs_side_by_side(runs, tmp_path):
    out = tmp_path / "compare.gif"
    argv = ["animate", *map(str, runs), "-o", str(out), "--label", "A", "--label", "B"]
    assert main(argv) == 0
    image = Image.open(out)
    assert image.size == (2 * 720, 288) and image.n_frames == 6  # the run with more frames
    image.seek(image.n_frames - 1)
    last = np.asarray(image.convert("RGB"))
    left, right = last[:, :720], last[:, 720:]
    assert not np.array_equal(left, right)
    # each half is that run's own last frame (same axes: the runs share their data)
    alone = tmp_path / "alone.gif"
    render_animation(runs[1] / "samples.npz", alone, title="B")
    with Image.open(alone) as single:
        single.seek(single.n_frames - 1)
        np.testing.assert_array_equal(np.asarray(single.convert("RGB")), right)


def test_frames_align_by_the_fraction_of_training():
    short, long = np.arange(1, 7), np.array([3, 6, 9, 12])
    aligned = align_by_fraction([short, long], [6, 12])
    assert [pair[0] for pair in aligned] == list(range(6))
    # epoch k of 6 beside the last frame of the 12-epoch run at or before epoch 2k
    assert [int(long[pair[1]]) for pair in aligned] == [3, 3, 6, 6, 9, 12]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--size", "big"], "--size must be WIDTHxHEIGHT"),
        (["--size", "20x20"], "120 to 4096 pixels"),
        (["--theme", "neon"], "theme must be one of light, dark"),
        (["--label", "only one"], "1 --label for 2 runs"),
    ],
)
def test_bad_animation_settings(runs, tmp_path, capsys, argv, message):
    out = tmp_path / "x.gif"
    assert main(["animate", *map(str, runs), "-o", str(out), *argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0] and not out.exists()


@pytest.mark.slow
def test_older_samples_without_histograms_still_render(runs, tmp_path):
    with np.load(runs[0] / "samples.npz") as data:
        old = {k: data[k] for k in data.files if not k.startswith("dist_")}
    store_samples(tmp_path / "samples.npz", **old)
    assert render_animation(tmp_path / "samples.npz", tmp_path / "old.gif") == 6
    assert Image.open(tmp_path / "old.gif").size == (720, 288)


def test_a_300_frame_default_gif_stays_under_3_mb(shared_data, tmp_path):
    """Frames as a real run gives them: 300 frames of the same latent batch, whose curves move
    a lot at first, then by about 3 EUR/MWh a frame (as measured on the default DE-LU run)."""
    prices = tsgan.load_prices(shared_data / "energy_charts_de_lu")
    real = tsgan.daily_curves(prices).loc["2023-01-01":"2024-12-31"].to_numpy()
    rng = np.random.default_rng(0)
    epochs = np.asarray(frame_epochs(1500))
    bins = stat_bins(real)
    generated, shares = [], []
    base, offset = real[rng.choice(len(real), 500)], rng.normal(0, 100, (500, 24))
    for _ in range(len(epochs)):
        offset = 0.85 * offset + rng.normal(0, 3.5, offset.shape)
        days = base + offset
        generated.append(days[:12])
        shares.append(stat_shares(days, bins)[None])
    walk = np.cumsum(rng.normal(0, 0.02, 1500))
    store_samples(
        tmp_path / "samples.npz",
        epochs=epochs,
        generated=np.stack(generated).astype("float32"),
        real=real[rng.choice(len(real), 80, replace=False)],
        d_loss=-0.5 + walk,
        g_loss=0.5 - walk,
        total_epochs=1500,
        ylim=np.asarray(curve_ylim(real)),
        subtitle="tsgan · DE-LU 2023-01-01..2024-12-31\ndata: Energy-Charts",
        groups=np.asarray((), dtype=str),
        real_groups=np.zeros(0, dtype=int),
        dist_bins=bins,
        dist_real=stat_shares(real, bins)[None],
        dist_shares=np.stack(shares).astype("float32"),
    )
    out = tmp_path / "training.gif"
    assert render_animation(tmp_path / "samples.npz", out) == 300
    assert Image.open(out).n_frames == 300
    assert out.stat().st_size < 3e6


LONG_TITLE = "BCE against WGAN-GP on DE-LU day-ahead prices, 2023 to 2024, seed 0"


@pytest.mark.parametrize(
    ("theme", "top", "whole_allowed", "title", "size"),
    [
        ("light", 1.5, False, "", (720, 288)),
        ("dark", 1.5, False, LONG_TITLE, (720, 288)),
        ("light", 1.5, False, LONG_TITLE, (1920, 1080)),
        ("light", 9.0, True, "", (720, 288)),
    ],
)
def test_a_growing_loss_axis_redraws_its_panel_pixel_for_pixel(
    theme, top, whole_allowed, title, size
):
    """When the losses leave the axis, only the loss panel is drawn again: each frame is
    the same, pixel for pixel, as a frame from a figure drawn whole. Tick labels wider than
    the layout's room ("−10.0") make it draw the whole figure."""
    from tsgan.animation.frame import render_frame, training_figure

    rng = np.random.default_rng(0)
    real = rng.normal(80, 20, (60, 24))
    bins = stat_bins(real)
    dist = {"bins": bins, "real": stat_shares(real, bins)[None]}
    d_loss, g_loss = np.linspace(0.5, top, 40), -(np.linspace(0.0, 1.0, 40) ** 2) * top

    def figure():
        return training_figure(
            real,
            n_generated=4,
            epochs=40,
            ylim=(0, 200),
            dist=dist,
            theme=theme,
            title=title,
            size=size,
            subtitle="tsgan · test\ndata: a long credit line for the test of the loss panel",
        )

    tfig = figure()
    whole = []
    tfig.canvas.draw = lambda *a, _draw=tfig.canvas.draw: (whole.append(1), _draw(*a))[1]
    for k in (1, 5, 12, 25, 40):
        frame = {
            "epoch": k,
            "generated": real[k % 7 : k % 7 + 4],
            "d_loss": d_loss[:k],
            "g_loss": g_loss[:k],
            "dist": stat_shares(real[: 10 + k], bins)[None],
        }
        np.testing.assert_array_equal(render_frame(tfig, **frame), render_frame(figure(), **frame))
    assert tfig.loss_limits[0] < -top and tfig.loss_limits[1] > top  # it grew
    assert whole_allowed or not whole  # and not by drawing the whole figure


def _claiming(runs, folder, epochs: int):
    """A run folder whose samples.npz claims ``epochs`` stored frames (2 curves each)."""
    with np.load(runs[0] / "samples.npz") as data:
        stored = {k: data[k] for k in data.files}
    stored["epochs"] = np.arange(1, epochs + 1)
    stored["generated"] = np.repeat(stored["generated"][:1, :2], epochs, axis=0)
    stored["total_epochs"] = np.asarray(epochs)
    stored.pop("dist_shares", None)
    folder.mkdir()
    store_samples(folder / "samples.npz", **stored)
    return folder


def test_a_samples_file_tsgan_did_not_write_is_one_line(runs, tmp_path, capsys):
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "samples.npz").write_bytes(b"PK\x03\x04 not a zip")
    crafted = tmp_path / "crafted"
    crafted.mkdir()
    with np.load(runs[0] / "samples.npz") as data:
        stored = {k: data[k] for k in data.files}
    stored["generated"] = stored["generated"][:1]  # fewer frames than epochs
    store_samples(crafted / "samples.npz", **stored)
    for run in (broken, crafted):
        out = tmp_path / f"{run.name}.gif"
        assert main(["animate", str(run), "-o", str(out)]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "not a samples file tsgan wrote" in err[0], err
        assert not out.exists()


@pytest.mark.slow
def test_a_samples_file_claiming_a_million_frames_gives_the_documented_maximum(runs, tmp_path):
    from tsgan.settings import MAX_FRAMES

    run = _claiming(runs, tmp_path / "huge", 100_000)
    out = tmp_path / "huge.gif"
    assert render_animation(run / "samples.npz", out) == MAX_FRAMES
    assert Image.open(out).n_frames == MAX_FRAMES


@pytest.mark.slow
def test_sigterm_stops_animate_without_leftovers(runs, tmp_path):
    """SIGTERM while animate draws: exit 143, no .part file, no animation, one line."""
    import os
    import signal
    import subprocess
    import sys
    import time

    run = _claiming(runs, tmp_path / "long", 100_000)
    out = tmp_path / "long.gif"
    proc = subprocess.Popen(
        [sys.executable, "-m", "tsgan", "animate", str(run), "-o", str(out)],
        stderr=subprocess.PIPE,
        text=True,
    )
    part = tmp_path / ".long.gif.part"
    deadline = time.monotonic() + 300
    while not part.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert part.exists(), "animate never started writing"
    os.kill(proc.pid, signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 143, err
    assert err.strip() == "tsgan animate: terminated"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["long"]
