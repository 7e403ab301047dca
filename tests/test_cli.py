"""The tsgan command, in-process through main() and once as a real subprocess."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from tsgan.cli import main
from tsgan.data.curves import hour_columns
from tsgan.settings import TrainConfig

SMARD = "smard/Gro_handelspreise_202401010000_202501010000_Stunde.csv"


def tsgan_command() -> list[str]:
    exe = shutil.which("tsgan", path=os.path.dirname(sys.executable))
    return [exe] if exe else [sys.executable, "-m", "tsgan"]


def test_data_report(shared_data, capsys):
    assert main(["data", str(shared_data / SMARD)]) == 0
    out = capsys.readouterr().out
    for expected in (
        "format      SMARD CSV",
        "zone        DE-LU",
        "resolution  60min",
        "366 complete days",
        "DST days    2",
        "2024-03-31",
        "dropped     0 day(s)",
        "negative    5.20% of hours",
        "max 936.28",
    ):
        assert expected in out


def test_data_report_shows_dropped_days(shared_data, tmp_path, capsys):
    """A real SMARD export with two hours cut out: those two days are reported as dropped."""
    source = shared_data / "smard" / "Gro_handelspreise_202401010000_202501010000_Stunde.csv"
    lines = source.read_text(encoding="utf-8").splitlines(keepends=True)
    cut = [line for line in lines if not line.startswith(("05.03.2024 07:00", "27.10.2024 02:00"))]
    assert len(lines) - len(cut) == 3  # 07:00 once, 02:00 twice on the autumn DST day
    (tmp_path / "cut.csv").write_text("".join(cut), encoding="utf-8")
    assert main(["data", str(tmp_path / "cut.csv")]) == 0
    out = capsys.readouterr().out
    assert "dropped     2 day(s)" in out and "2024-03-05  incomplete: 23 of 24" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["data", "no/such/file.csv"],
            "tsgan data: error: no/such/file.csv: no such file or directory",
        ),
        (
            ["train", "--demo", "--out", "{tmp}/r", "--loss", "foo"],
            "argument --loss: invalid choice: 'foo'",
        ),
        (["train", "--out", "{tmp}/r"], "tsgan train: error: give a data SOURCE or --demo"),
        (["sample", "{tmp}", "--n", "3", "--out", "{tmp}/s.csv"], "no such model"),
        (
            ["train", "--demo", "--out", "{tmp}/r", "--config", "{tmp}/missing.toml"],
            "missing.toml: no such config file",
        ),
    ],
)
def test_errors_are_one_line_with_exit_code_2(argv, message, tmp_path, capsys):
    argv = [a.format(tmp=tmp_path) for a in argv]
    with pytest.raises(SystemExit) if "foo" in argv else _nothing() as info:
        code = main(argv)
    code = info.value.code if info is not None and hasattr(info, "value") else code
    err = capsys.readouterr().err
    assert code == 2
    assert message in err
    assert err.count("\n") == 1 and "Traceback" not in err


class _nothing:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


def test_non_empty_run_dir_needs_overwrite(tmp_path, capsys):
    (tmp_path / "old.txt").write_text("x")
    assert main(["train", "--demo", "--out", str(tmp_path), "--epochs", "1"]) == 2
    err = capsys.readouterr().err
    assert "run directory is not empty (use --overwrite" in err and err.count("\n") == 1


@pytest.mark.slow
def test_a_run_has_one_writer_at_a_time_and_a_killed_one_leaves_no_lock(tmp_path, capsys):
    """A second writer of a run (train --overwrite, animate into it, evaluate inside it) gets
    one line naming the holder and changes nothing; a reader (sample) goes on; the lock dies
    with its process, even by SIGKILL."""
    run = tmp_path / "run"
    train = ["train", "--demo", "--out", str(run), "--epochs", "2"]
    assert main(train) == 0
    hold = "import sys, time\nfrom tsgan.runlock import run_lock\nwith run_lock(sys.argv[1]):\n"
    hold += "    print('held', flush=True)\n    time.sleep(120)\n"
    holder = subprocess.Popen(
        [sys.executable, "-c", hold, str(run)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        before = {f.name: f.read_bytes() for f in run.iterdir() if f.is_file()}
        capsys.readouterr()
        for argv in (
            [*train, "--overwrite"],
            ["train", "--resume", str(run), "--epochs", "3"],
            ["animate", str(run)],
            ["evaluate", str(run), str(tmp_path / "test.csv"), "-o", str(run / "report")],
        ):
            assert main(argv) == 2, argv
            err = capsys.readouterr().err
            assert f"{run} is in use by process {holder.pid}" in err and err.count("\n") == 1, err
        assert {f.name: f.read_bytes() for f in run.iterdir() if f.is_file()} == before
        assert main(["sample", str(run), "-n", "3", "-o", str(tmp_path / "s.csv")]) == 0
    finally:
        holder.kill()
        holder.wait()
    assert main([*train, "--overwrite"]) == 0  # the SIGKILL left no stale lock


@pytest.mark.slow
def test_overwrite_keeps_the_old_run_when_the_new_one_cannot_start(tmp_path, capsys):
    run = tmp_path / "keep"
    assert main(["train", "--demo", "--out", str(run), "--epochs", "1", "--no-gif"]) == 0
    before = {f.name: f.read_bytes() for f in run.iterdir()}
    bad = tmp_path / "bad.csv"
    bad.write_text("time,price\nyesterday,12\n")
    assert main(["train", str(bad), "--out", str(run), "--overwrite"]) == 2
    assert {f.name: f.read_bytes() for f in run.iterdir()} == before
    assert "bad.csv" in capsys.readouterr().err


@pytest.mark.slow
def test_overwrite_keeps_the_old_run_until_the_new_one_has_a_model(tmp_path, monkeypatch, capsys):
    import tsgan.train

    run = tmp_path / "keep"
    assert main(["train", "--demo", "--out", str(run), "--epochs", "1", "--no-gif"]) == 0
    before = {f.name: f.read_bytes() for f in run.iterdir()}

    def broken_fit(self, *args, **kwargs):
        raise KeyboardInterrupt  # stopped before the first epoch: no new model

    monkeypatch.setattr(tsgan.train.PriceGAN, "fit", broken_fit)
    argv = ["train", "--demo", "--out", str(run), "--epochs", "3", "--overwrite", "--seed", "5"]
    assert main(argv) == 130
    assert {f.name: f.read_bytes() for f in run.iterdir()} == before
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert last == f"interrupted: no epoch was completed; the run that was in {run} is kept"
    monkeypatch.undo()
    assert main([*argv, "--no-gif"]) == 0  # a new model: the old run is gone
    assert json.loads((run / "run.json").read_text())["seed"] == 5
    assert not (run / ".previous-run").exists()


def test_overwrite_replaces_only_tsgan_runs(tmp_path, capsys):
    (tmp_path / "model.keras").write_text("someone else's file")
    assert main(["train", "--demo", "--out", str(tmp_path), "--overwrite", "--epochs", "1"]) == 2
    assert "not a tsgan run directory" in capsys.readouterr().err
    assert (tmp_path / "model.keras").read_text() == "someone else's file"


def test_a_run_that_cannot_start_leaves_no_folder(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("time,price\nyesterday,12\n")
    assert main(["train", str(bad), "--out", str(tmp_path / "new")]) == 2
    assert not (tmp_path / "new").exists()


def test_config_file_and_flags(tmp_path):
    cfg = TrainConfig(
        demo=True,
        out=str(tmp_path / "run"),
        epochs=7,
        date_from="2022-01-01",
        model={"latent_dim": 8},
    )
    text = cfg.to_toml()
    assert 'from = "2022-01-01"' in text and "[model]" in text and "latent_dim = 8" in text
    (tmp_path / "c.toml").write_text(text)
    merged = TrainConfig.from_toml(text, epochs=3)
    assert merged.epochs == 3 and merged.date_from == "2022-01-01" and merged.model.latent_dim == 8
    (tmp_path / "bad.toml").write_text("epochs = 2\nlearning_rate = 3\n")
    assert (
        main(
            [
                "train",
                "--config",
                str(tmp_path / "bad.toml"),
                "--demo",
                "--out",
                str(tmp_path / "x"),
            ]
        )
        == 2
    )


@pytest.mark.slow
def test_train_sample_as_a_user_would(tmp_path):
    """Subprocess: train on the demo for 2 epochs, sample 10 scenarios to CSV."""
    run = tmp_path / "runs" / "demo"
    env = os.environ | {"PYTHONWARNINGS": "ignore"}
    proc = subprocess.run(
        [
            *tsgan_command(),
            "train",
            "--demo",
            "--out",
            str(run),
            "--epochs",
            "2",
            "--from",
            "2023-01-01",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    assert "epoch 2/2" in proc.stdout and "finished: 2 epochs on 731 days" in proc.stdout
    assert "cuda" not in proc.stderr.lower() and "absl" not in proc.stderr  # no TensorFlow chatter
    for name in (
        "model.keras",
        "config.toml",
        "history.csv",
        "training.gif",
        "losses.png",
        "samples.png",
        "run.json",
    ):
        assert (run / name).is_file(), name
    history = pd.read_csv(run / "history.csv")
    assert list(history["epoch"]) == [0, 1] and {"d_loss", "g_loss", "d_real", "d_fake"} <= set(
        history.columns
    )

    out = tmp_path / "scenarios.csv"
    proc = subprocess.run(
        [*tsgan_command(), "sample", str(run), "--n", "10", "--seed", "3", "--out", str(out)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""  # no TensorFlow chatter before the model is loaded either
    frame = pd.read_csv(out)
    assert list(frame.columns) == ["scenario", *hour_columns()]
    assert list(frame["scenario"]) == list(range(1, 11))
    prices = frame.drop(columns="scenario").to_numpy()
    assert prices.min() >= -500 and prices.max() <= 4000 and 0 < prices.mean() < 300  # EUR/MWh

    proc = subprocess.run(
        [*tsgan_command(), "train", "--demo", "--out", str(run), "--epochs", "1"],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "not empty" in proc.stderr


@pytest.mark.slow
def test_sample_parquet_in_process(tmp_path):
    run = tmp_path / "run"
    assert (
        main(
            [
                "train",
                "--demo",
                "--out",
                str(run),
                "--epochs",
                "1",
                "--no-gif",
                "--from",
                "2024-06-01",
            ]
        )
        == 0
    )
    assert (
        main(["sample", str(run / "model.keras"), "--n", "5", "--out", str(tmp_path / "s.parquet")])
        == 0
    )
    frame = pd.read_parquet(tmp_path / "s.parquet")
    assert frame.shape == (5, 25)
    assert not (run / "training.gif").exists()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("signals", "code", "status"),
    [
        (["SIGINT"], 130, "interrupted"),
        (["SIGINT", "SIGINT"], 130, "interrupted"),  # the second one while saving
        (["SIGTERM"], 143, "terminated (SIGTERM)"),
    ],
)
def test_a_stopped_run_is_saved(signals, code, status, tmp_path):
    """Ctrl-C, a second Ctrl-C, SIGTERM mid-run: model, GIF and run.json hold the epochs done."""
    import json
    import signal
    import time

    from PIL import Image

    run = tmp_path / "run"
    proc = subprocess.Popen(
        [
            *tsgan_command(),
            "train",
            "--demo",
            "--out",
            str(run),
            "--epochs",
            "500",
            "--gif-every",
            "1",
            "--from",
            "2024-01-01",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # default dispositions, also when the suite runs as a background job (SIGINT ignored)
        preexec_fn=lambda: [
            signal.signal(s, signal.SIG_DFL) for s in (signal.SIGINT, signal.SIGTERM)
        ],
    )
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and proc.poll() is None:
        history = run / "history.csv"
        if history.exists() and len(history.read_text().splitlines()) >= 4:  # header + 3 epochs
            break
        time.sleep(0.2)
    for name in signals:
        proc.send_signal(getattr(signal, name))
        time.sleep(0.05)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == code, err
    summary = json.loads((run / "run.json").read_text())
    assert summary["status"] == status and 3 <= summary["epochs_completed"] < 500
    done = summary["epochs_completed"]
    assert err.strip().splitlines()[-1] == (
        f"{status.split()[0]}: the run so far is saved in {run} ({done} epochs)"
    )
    assert "Traceback" not in err
    assert Image.open(run / "training.gif").n_frames == done
    assert len((run / "history.csv").read_text().splitlines()) == done + 1
    assert (run / "model.keras").is_file() and (run / "losses.png").is_file()
    assert main(["sample", str(run), "--n", "3", "--out", str(tmp_path / "s.csv")]) == 0
    if signals == ["SIGTERM"]:  # resume it, and compare with a run that was never stopped
        import keras

        end = str(done + 10)  # not all 500: each resumed epoch renders a frame
        assert main(["train", "--resume", str(run), "--epochs", end]) == 0
        whole = tmp_path / "whole"
        argv = ["train", "--demo", "--from", "2024-01-01", "--epochs", end, "--no-gif"]
        assert main([*argv, "--out", str(whole)]) == 0
        a = keras.models.load_model(whole / "model.keras")
        b = keras.models.load_model(run / "model.keras")
        for u, v in zip(a.weights, b.weights, strict=True):
            np.testing.assert_allclose(
                keras.ops.convert_to_numpy(v), keras.ops.convert_to_numpy(u), rtol=1e-5, atol=1e-6
            )
        summary = json.loads((run / "run.json").read_text())
        assert summary["status"] == "finished" and summary["epochs_completed"] == done + 10
        assert Image.open(run / "training.gif").n_frames == done + 10


@pytest.mark.slow
def test_resume_ends_where_an_uninterrupted_run_ends(tmp_path):
    import keras

    common = ["--demo", "--from", "2024-10-01", "--batch-size", "32", "--seed", "3"]
    whole, parts = tmp_path / "whole", tmp_path / "parts"
    assert main(["train", *common, "--out", str(whole), "--epochs", "12", "--gif-every", "2"]) == 0
    assert main(["train", *common, "--out", str(parts), "--epochs", "5", "--gif-every", "2"]) == 0
    assert main(["train", "--resume", str(parts), "--epochs", "12"]) == 0
    a = keras.models.load_model(whole / "model.keras")
    b = keras.models.load_model(parts / "model.keras")
    for u, v in zip(a.weights, b.weights, strict=True):
        np.testing.assert_allclose(
            keras.ops.convert_to_numpy(v), keras.ops.convert_to_numpy(u), rtol=1e-5, atol=1e-6
        )
    history = pd.read_csv(parts / "history.csv")
    assert history["epoch"].tolist() == list(range(12))
    np.testing.assert_allclose(
        history["g_loss"], pd.read_csv(whole / "history.csv")["g_loss"], rtol=1e-5
    )
    summary = json.loads((parts / "run.json").read_text())
    assert summary["status"] == "finished" and summary["epochs_completed"] == 12
    assert [(s["from_epoch"], s["to_epoch"]) for s in summary["segments"]] == [(0, 5), (5, 12)]
    from PIL import Image

    # earlier frames kept: epochs 2, 4, 5 (the first segment's last), then 6, 8, 10, 12
    assert Image.open(parts / "training.gif").n_frames == 7
    assert main(["train", "--resume", str(parts)]) == 2  # nothing left to do: one clear line


@pytest.mark.slow
def test_sigkill_leaves_a_run_that_resumes(tmp_path):
    """SIGKILL at a random moment: every file under its final name is whole, and --resume finishes."""
    import random
    import signal
    import time

    from PIL import Image

    run = tmp_path / "run"
    argv = ["train", "--demo", "--from", "2024-07-01", "--out", str(run), "--epochs", "400"]
    proc = subprocess.Popen(
        [*tsgan_command(), *argv, "--checkpoint-every", "0.2"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if json.loads((run / "run.json").read_text()).get("epochs_completed", 0) >= 5:
                break
        except (OSError, ValueError):
            pass
        time.sleep(0.1)
    time.sleep(random.uniform(0.0, 1.0))
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=60)
    summary = json.loads((run / "run.json").read_text())
    assert summary["status"] == "running" and summary["epochs_completed"] >= 5
    import keras

    saved = keras.models.load_model(run / "model.keras")
    assert np.isfinite(saved.generate(3, seed=0, as_frame=False)).all()
    assert len(pd.read_csv(run / "history.csv")) >= summary["epochs_completed"]
    Image.open(run / "training.gif").load()
    assert main(["train", "--resume", str(run)]) == 0
    summary = json.loads((run / "run.json").read_text())
    assert summary["status"] == "finished" and summary["epochs_completed"] == 400
    assert len(pd.read_csv(run / "history.csv")) == 400
    with np.load(run / "samples.npz") as samples:
        assert samples["epochs"][-1] == 400
        assert Image.open(run / "training.gif").n_frames == len(samples["epochs"])


def test_animation_settings_left_out_take_the_animation_defaults():
    assert TrainConfig(demo=True, out="x").animation_settings == {}  # 300 paced frames
    given = TrainConfig(demo=True, out="x", gif_every=2, gif_size="640x360", gif_hold=0.5)
    assert given.animation_settings == {"every": 2, "size": (640, 360), "hold": 0.5}


def test_each_setting_is_one_flag_and_one_toml_key():
    """The settings' fields define the train flags: a value given by each flag arrives in
    the same field, survives config.toml, and a bad one is refused by the same check."""
    import dataclasses

    from tsgan.cli import build_parser
    from tsgan.settings import ModelSettings, RunError, flag_name, flagged_fields, toml_name

    values = {"out": "runs/x", "zone": "AT", "timezone": "Europe/Vienna"}
    values |= {"date_from": "2024-02-01", "date_to": "2024-03-01", "epochs": "7"}
    values |= {"batch_size": "16", "seed": "3", "country": "FR", "gif_every": "2"}
    values |= {"gif_size": "640x360", "gif_theme": "dark", "gif_title": "BCE", "gif_hold": "0.5"}
    values |= {"d_learning_rate": "0.0003", "g_learning_rate": "5e-05"}
    parser = build_parser()
    flagged = flagged_fields()
    assert {f.name for f in flagged} >= {f.name for f in dataclasses.fields(TrainConfig)} - {
        "model"
    }
    model_fields = {f.name for f in dataclasses.fields(ModelSettings)}
    for f in flagged:
        choices = f.metadata["choices"]
        flag = flag_name(f)
        if str(f.type) == "bool":
            args = parser.parse_args(["train", flag])
            assert getattr(args, f.name) is (not f.default), f.name
        elif f.name == "sources":
            assert parser.parse_args(["train", "a.csv", "b.csv"]).sources == ["a.csv", "b.csv"]
        elif f.name == "inputs":
            args = parser.parse_args(["train", "--inputs", "Load,Wind", "--condition", "forecast"])
            given = {"demo": True, "out": "x", "inputs": args.inputs, "condition": "forecast"}
            config = TrainConfig.from_values(given)
            assert config.model.inputs == ("Load", "Wind")
            assert TrainConfig.from_toml(config.to_toml()) == config
        else:
            text = choices[-1] if choices else values[f.name]
            args = parser.parse_args(["train", flag, text])
            assert str(getattr(args, f.name)) == text, f.name
            config = TrainConfig.from_values(
                {"demo": True, "out": "x", f.name: getattr(args, f.name)}
            )
            owner = config.model if f.name in model_fields else config
            assert str(getattr(owner, f.name)) == text, f.name
            assert f"{toml_name(f)} = " in config.to_toml(), f.name
            assert TrainConfig.from_toml(config.to_toml()) == config, f.name
    with pytest.raises(RunError, match="loss must be one of bce, wgan-gp, got 'hinge'"):
        TrainConfig.from_toml('demo = true\nout = "x"\nloss = "hinge"\n')
    with pytest.raises(RunError, match="condition must be one of calendar, calendar"):
        TrainConfig.from_toml('demo = true\nout = "x"\ncondition = "weather"\n')
    old = TrainConfig.from_toml('demo = true\nout = "x"\ntz = "Europe/Vienna"\n')  # tsgan 0.1
    assert old.model.timezone == "Europe/Vienna"


@pytest.mark.slow
def test_default_epochs_make_a_number_of_updates(tmp_path, monkeypatch):
    """Without --epochs a run trains about DEFAULT_UPDATES updates, however many days it has:
    the number is resolved once the days are known and recorded in config.toml, so a resumed
    run keeps it; --epochs still wins."""
    import tsgan.settings

    monkeypatch.setattr(tsgan.settings, "DEFAULT_UPDATES", 12)
    argv = ["train", "--demo", "--from", "2024-11-01", "--no-gif", "-q"]  # 61 days
    assert main([*argv, "--out", str(tmp_path / "a")]) == 0  # 2 updates an epoch
    assert "epochs = 6\n" in (tmp_path / "a" / "config.toml").read_text()
    summary = json.loads((tmp_path / "a" / "run.json").read_text())
    assert summary["epochs_planned"] == summary["epochs_completed"] == 6
    assert main([*argv, "--batch-size", "61", "--out", str(tmp_path / "b")]) == 0
    assert "epochs = 12\n" in (tmp_path / "b" / "config.toml").read_text()
    assert main([*argv, "--epochs", "3", "--out", str(tmp_path / "c")]) == 0
    assert "epochs = 3\n" in (tmp_path / "c" / "config.toml").read_text()


@pytest.mark.slow
def test_learning_rates_are_settings(tmp_path, capsys):
    """--d-learning-rate / --g-learning-rate reach the optimizers of the trained model (the
    other keeps its loss's default), and a rate outside (0, 1) is one clear error."""
    import keras

    from tsgan.settings import LEARNING_RATES

    argv = ["train", "--demo", "--from", "2024-11-01", "--epochs", "1", "--no-gif", "-q"]
    assert main([*argv, "--out", str(tmp_path / "r"), "--g-learning-rate", "5e-5"]) == 0
    gan = keras.saving.load_model(tmp_path / "r" / "model.keras")
    rates = float(gan.d_optimizer.learning_rate), float(gan.g_optimizer.learning_rate)
    np.testing.assert_allclose(rates, (LEARNING_RATES["wgan-gp"][0], 5e-5))
    assert "g_learning_rate = 5e-05" in (tmp_path / "r" / "config.toml").read_text()
    capsys.readouterr()
    assert main([*argv, "--out", str(tmp_path / "bad"), "--d-learning-rate", "0"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == "tsgan train: error: --d-learning-rate must be between 0 and 1, got 0.0"


@pytest.mark.parametrize("out", ["runs/😀 Straße", 'a"quote\\back', "C:\\Users\\me\\runs"])
def test_settings_files_round_trip_any_path(out):
    config = TrainConfig(demo=True, out=out, model={"pac": 2})
    assert TrainConfig.from_toml(config.to_toml()) == config


@pytest.mark.slow
@pytest.mark.parametrize(
    ("source", "credit"),
    [
        ("entsoe/da_prices_2025.csv", "ENTSO-E Transparency Platform"),
        ("epftoolbox/DE.csv", "EPEX SPOT, via epftoolbox (Lago et al., Applied Energy 2021)"),
        (
            "smard/Gro_handelspreise_202401010000_202501010000_Stunde.csv",
            "Bundesnetzagentur | SMARD.de (CC BY 4.0)",
        ),
    ],
)
def test_each_source_gets_its_own_credit(shared_data, tmp_path, source, credit):
    run = tmp_path / "run"
    argv = ["train", str(shared_data / source), "--out", str(run), "--epochs", "2"]
    if source.startswith("smard"):
        argv += ["--to", "2024-06-30"]  # the second half of the year is evaluated below
    assert main([*argv, "--batch-size", "16", "--gif-every", "1"]) == 0
    assert json.loads((run / "run.json").read_text())["data"]["credit"] == credit
    with np.load(run / "samples.npz") as samples:  # what the GIF's frames say
        assert str(samples["subtitle"]).endswith(f"\ndata: {credit}")
    if source.startswith("smard"):
        report = tmp_path / "report"
        argv = ["evaluate", str(run), str(shared_data / source), "--from", "2024-07-01"]
        argv += ["--n", "50", "--out", str(report)]
        assert main(argv) == 0
        assert f"Data: {credit}." in (report / "report.md").read_text()


@pytest.mark.slow
def test_version_action_and_short_flags(tmp_path, capsys):
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0 and capsys.readouterr().out.startswith("tsgan ")
    run = tmp_path / "run"
    argv = ["train", "--demo", "--from", "2024-12-01", "--epochs", "1", "--batch-size", "16"]
    assert main([*argv, "-o", str(run)]) == 0
    assert main(["sample", str(run), "-n", "4", "-o", str(tmp_path / "s.csv")]) == 0
    assert len(pd.read_csv(tmp_path / "s.csv")) == 4


@pytest.mark.slow
def test_quiet_training_prints_only_its_last_line(tmp_path, capsys):
    argv = ["train", "--demo", "--from", "2024-12-01", "--epochs", "3", "--batch-size", "16"]
    assert main([*argv, "-q", "--no-gif", "-o", str(tmp_path / "run")]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and out.startswith("finished: 3 epochs on 31 days")


def test_a_model_file_with_a_zone_or_country_no_one_can_use_is_refused(tmp_path, capsys):
    """A crafted model.keras whose time zone or holiday country does not exist: one line
    naming it, exit 2, no scenarios file (it would fail later, inside --long)."""
    import zipfile
    from pathlib import Path

    source = Path(__file__).parent / "data" / "saved_v0_1" / "level.keras"
    for key, value in (("timezone", "Mars/Base"), ("country", "XX")):
        crafted = tmp_path / f"{key}.keras"
        with zipfile.ZipFile(source) as old, zipfile.ZipFile(crafted, "w") as new:
            for item in old.namelist():
                data = old.read(item)
                if item == "config.json":
                    config = json.loads(data)
                    config["config"][key] = value
                    data = json.dumps(config).encode()
                new.writestr(item, data)
        out = tmp_path / "s.csv"
        argv = ["sample", str(crafted), "--dates", "2025-06-01", "--n-per-day", "2"]
        assert main([*argv, "--level", "80", "--long", "-o", str(out)]) == 2
        err = capsys.readouterr().err
        assert repr(value) in err and err.count("\n") == 1 and "internal" not in err, err
        assert not out.exists()


@pytest.mark.slow
def test_resume_refuses_changed_data_or_settings(tmp_path, capsys):
    """The data grew from 61 to 64 days: --resume names the change and stops, unless
    --allow-changed-data (then run.json records 64); an edited model setting in
    config.toml is refused always."""
    from .test_forecast import market_csv

    source = market_csv(tmp_path / "prices.csv", days=61)
    run = tmp_path / "run"
    argv = ["train", str(source), "--out", str(run), "--epochs", "2", "--batch-size", "32"]
    assert main([*argv, "--no-gif", "-q"]) == 0
    market_csv(source, days=64)  # the same first 61 days, and 3 more
    resume = ["train", "--resume", str(run), "--epochs", "3", "-q"]
    capsys.readouterr()
    assert main(resume) == 2
    err = capsys.readouterr().err
    assert "the data changed since the run started: training days 64 (run.json: 61)" in err, err
    assert "--allow-changed-data" in err and err.count("\n") == 1
    assert json.loads((run / "run.json").read_text())["epochs_completed"] == 2
    assert main([*resume, "--allow-changed-data"]) == 0
    summary = json.loads((run / "run.json").read_text())
    assert summary["data"]["training_days"] == 64 and summary["epochs_completed"] == 3
    config = (run / "config.toml").read_text()
    assert 'loss = "wgan-gp"' in config
    (run / "config.toml").write_text(config.replace('loss = "wgan-gp"', 'loss = "bce"'))
    capsys.readouterr()
    assert main(["train", "--resume", str(run), "--epochs", "4", "-q"]) == 2
    err = capsys.readouterr().err
    assert "loss = 'bce', but the model was trained with 'wgan-gp'" in err, err
    assert main(["train", str(source), "--out", str(tmp_path / "x"), "--allow-changed-data"]) == 2
    assert "--allow-changed-data goes with --resume" in capsys.readouterr().err


@pytest.mark.slow
def test_a_stopped_evaluate_or_resume_leaves_things_as_they_were(tmp_path, monkeypatch, capsys):
    """SIGTERM while evaluate writes its report: exit 143, the previous report untouched,
    no half-written folder beside it. A broken samples.npz stops --resume in one line."""
    import tsgan.evaluation
    from tsgan.signals import Terminated

    run = tmp_path / "run"
    assert (
        main(["train", "--demo", "--from", "2024-11-01", "--out", str(run), "--epochs", "1"]) == 0
    )
    hours = "".join(
        f"2024-03-{d:02d} {h:02d}:00,{40 + h + d}.5\n" for d in range(1, 21) for h in range(24)
    )
    (tmp_path / "test.csv").write_text("time,price\n" + hours)
    report = tmp_path / "report"
    report.mkdir()
    (report / "report.md").write_text("the previous report")

    def stopped(results, test, out, **kwargs):
        (out / "report.md").write_text("half")
        raise Terminated(15)

    monkeypatch.setattr(tsgan.evaluation, "write_report", stopped)
    capsys.readouterr()
    argv = ["evaluate", str(run), str(tmp_path / "test.csv"), "-o", str(report), "-n", "50"]
    assert main(argv) == 143
    assert capsys.readouterr().err.strip().endswith("tsgan evaluate: terminated")
    assert (report / "report.md").read_text() == "the previous report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report", "run", "test.csv"]

    (run / "samples.npz").write_bytes(b"PK\x03\x04 broken")
    assert main(["train", "--resume", str(run), "--epochs", "2"]) == 2
    err = capsys.readouterr().err
    assert "samples.npz: not a samples file tsgan wrote" in err and err.count("\n") == 1, err


def test_sample_streams_large_requests_in_chunks(tmp_path, monkeypatch):
    """Above a chunk's worth of prices, sample writes chunk by chunk (memory bounded): the
    scenarios number on, the first chunk is what a small request gives, CSV and Parquet
    agree."""
    import tsgan.model.sampling
    from tsgan.model.sampling import scenario_chunks

    model = os.path.join(os.path.dirname(__file__), "data", "saved_v0_1", "plain.keras")
    small, big, parquet = (tmp_path / name for name in ("small.csv", "big.csv", "big.parquet"))
    assert main(["sample", model, "-n", "10", "--seed", "4", "-o", str(small)]) == 0
    monkeypatch.setattr(tsgan.model.sampling, "CHUNK_VALUES", 24 * 10)  # 10 scenarios a chunk
    assert main(["sample", model, "-n", "35", "--seed", "4", "-o", str(big)]) == 0
    assert main(["sample", model, "-n", "35", "--seed", "4", "-o", str(parquet)]) == 0
    whole = pd.read_csv(big)
    assert whole["scenario"].tolist() == list(range(1, 36))
    pd.testing.assert_frame_equal(whole.iloc[:10], pd.read_csv(small))
    assert whole.iloc[10:20, 1:].to_numpy().tolist() != whole.iloc[:10, 1:].to_numpy().tolist()
    np.testing.assert_allclose(pd.read_parquet(parquet).to_numpy(), whole.to_numpy(), atol=0.006)
    gan = tsgan.load_model(os.path.join(os.path.dirname(model), "level.keras"))
    dates = pd.date_range("2025-06-01", periods=5)
    parts = list(
        scenario_chunks(
            gan, dates, n_per_day=4, levels=[50, 60, 70, 80, 90], seed=1, max_values=24 * 8
        )
    )
    assert [len(p) for p in parts] == [8, 8, 4]  # two days a chunk
    frame = pd.concat(parts)
    np.testing.assert_allclose(
        frame.groupby("date")[tsgan.hour_columns()].mean().mean(axis=1), [50, 60, 70, 80, 90]
    )


@pytest.mark.slow
def test_a_full_disk_at_the_final_save_is_one_line_and_run_json_tells_the_truth(tmp_path):
    """``ulimit -f``: the final model.keras cannot be written. One line naming the file and
    the cause, exit 1, no model and no temporary file left, run.json saying so, and with
    --overwrite the previous run put back."""
    run = tmp_path / "run"
    base = [*tsgan_command(), "train", "--demo", "--from", "2024-11-01", "--out", str(run)]
    first = subprocess.run(
        [*base, "--epochs", "1", "--no-gif", "-q"], capture_output=True, text=True
    )
    assert first.returncode == 0, first.stderr
    before = (run / "model.keras").read_bytes()
    command = " ".join(f"'{a}'" for a in [*base, "--epochs", "2", "--no-gif", "-q", "--overwrite"])
    proc = subprocess.run(
        ["bash", "-c", f"ulimit -f 64 && exec {command}"], capture_output=True, text=True
    )
    assert proc.returncode == 1, proc.stderr
    err = proc.stderr.strip().splitlines()
    assert len(err) == 1 and "model.keras: File too large; no model was saved" in err[0], err
    assert (run / "model.keras").read_bytes() == before  # the previous run is back
    assert json.loads((run / "run.json").read_text())["status"] == "finished"  # its own
    assert not [p.name for p in run.iterdir() if ".part" in p.name or p.name == ".previous-run"]

    fresh = tmp_path / "fresh"
    command = command.replace(str(run), str(fresh)).replace(" '--overwrite'", "")
    proc = subprocess.run(
        ["bash", "-c", f"ulimit -f 64 && exec {command}"], capture_output=True, text=True
    )
    assert proc.returncode == 1, proc.stderr
    summary = json.loads((fresh / "run.json").read_text())
    assert summary["status"].startswith("failed: ") and "File too large" in summary["status"]
    assert summary["epochs_completed"] == 0 and not (fresh / "model.keras").exists()


@pytest.mark.slow
def test_a_second_train_on_a_running_run_is_refused_and_the_first_finishes_whole(tmp_path, capsys):
    """Two real writers: while one `tsgan train` runs, another `train --overwrite` on its
    directory is refused with its pid, and the first's run is whole when it ends."""
    import time

    run = tmp_path / "run"
    first = subprocess.Popen(
        [*tsgan_command(), "train", "--demo", "--out", str(run), "--epochs", "300", "--no-gif"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lock = run / ".tsgan.lock"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and first.poll() is None:
        if lock.is_file() and lock.read_text().strip() == str(first.pid):
            break
        time.sleep(0.05)
    assert first.poll() is None, "the first run ended before the second could try"
    assert main(["train", "--demo", "--out", str(run), "--overwrite", "--epochs", "1"]) == 2
    err = capsys.readouterr().err
    assert f"is in use by process {first.pid}" in err and err.count("\n") == 1, err
    _, err = first.communicate(timeout=600)
    assert first.returncode == 0, err
    summary = json.loads((run / "run.json").read_text())
    assert summary["status"] == "finished" and summary["epochs_completed"] == 300
    assert tsgan_loads(run / "model.keras")


def tsgan_loads(path) -> bool:
    from tsgan.model import load_model

    return load_model(path).generate(2, seed=0).shape == (2, 24)
