"""Everyday use: Keras' validation and evaluate, pandas-shaped results, the Python surface,
and the command line's help, flags, outputs and exit codes."""

from __future__ import annotations

import argparse
import ast
import io
import json
import os
import shlex
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import keras
import numpy as np
import pandas as pd
import pytest

import tsgan
from tsgan import DataError, PriceGAN
from tsgan.callbacks import EpochProgress
from tsgan.cli import EXAMPLES, build_parser, main
from tsgan.data.curves import hour_columns
from tsgan.evaluation import crps_per_hour
from tsgan.model.validation import VAL_LOGS, energy_distance
from tsgan.settings import TrainConfig

TINY = {"latent_dim": 4, "generator_units": (16,), "discriminator_units": (16,)}
VAL_KEYS = {f"val_{name}" for name in VAL_LOGS}


# --- Keras: validation, evaluate, progress -------------------------------------------------


def test_energy_distance_known_values():
    x = np.zeros((2, 24))
    assert float(energy_distance(x, x + 1.0)) == pytest.approx(2 * np.sqrt(24))  # 2·‖1‖ − 0 − 0
    rng = np.random.default_rng(0)
    a, b = rng.normal(0, 1, (300, 24)), rng.normal(0, 1, (300, 24))
    assert abs(float(energy_distance(a, b))) < 0.1 < float(energy_distance(a, b + 1.0))


def test_fit_with_validation_data_logs_val_scores_and_evaluate_gives_them(curves):
    gan = PriceGAN(**TINY)
    history = gan.fit(curves[:200], validation_data=curves[200:], epochs=3, verbose=0)
    assert set(history.history) >= VAL_KEYS and all(
        len(history.history[k]) == 3 and np.isfinite(history.history[k]).all() for k in VAL_KEYS
    )
    scores = gan.evaluate(curves[200:], verbose=0, return_dict=True)
    assert set(scores) == set(VAL_LOGS) and np.isfinite(list(scores.values())).all()
    # the energy distance falls as the generator learns the two shapes from far away
    fresh = PriceGAN(**TINY)
    fresh.adapt(curves.to_numpy())
    untrained = fresh.evaluate(curves[200:], verbose=0, return_dict=True)["energy_distance"]
    gan.fit(curves[:200], epochs=60, verbose=0)
    trained = gan.evaluate(curves[200:], verbose=0, return_dict=True)["energy_distance"]
    assert trained < untrained


def test_validation_split_holds_out_the_last_days_and_early_stopping_and_checkpoint_work(
    curves, tmp_path
):
    gan = PriceGAN(**TINY, loss="bce", pac=2)
    best = tmp_path / "best.keras"
    callbacks = [
        keras.callbacks.EarlyStopping(monitor="val_energy_distance", mode="min", patience=0),
        keras.callbacks.ModelCheckpoint(
            best, monitor="val_energy_distance", mode="min", save_best_only=True
        ),
    ]
    history = gan.fit(curves, validation_split=0.25, epochs=50, verbose=0, callbacks=callbacks)
    logged = history.history["val_energy_distance"]
    assert len(logged) < 50  # stopped early: an epoch without improvement ends it
    assert best.is_file()
    kept = tsgan.load_model(best)
    assert kept.generate(3, seed=0).shape == (3, 24)
    with pytest.raises(ValueError, match=r"validation_split must be between 0 and 1, not 1\.5"):
        gan.fit(curves, validation_split=1.5, epochs=1, verbose=0)


def test_conditional_model_validates_on_a_frame_of_days(curves):
    gan = PriceGAN(**TINY, condition="calendar")
    history = gan.fit(curves[:200], validation_data=curves[200:], epochs=2, verbose=0)
    assert set(history.history) >= VAL_KEYS
    assert set(gan.evaluate(curves[200:], verbose=0, return_dict=True)) == set(VAL_LOGS)


def test_evaluate_before_fit_is_one_clear_error(curves):
    with pytest.raises(RuntimeError, match="evaluate: the model is not trained yet"):
        PriceGAN(**TINY).evaluate(curves, verbose=0)


def test_verbose_1_shows_epoch_progress_not_a_bar_per_epoch(curves, capsys):
    PriceGAN(**TINY).fit(curves, epochs=3, verbose=1)
    out = capsys.readouterr().out
    assert "epoch 1/3" in out and "d_loss" in out and "1/1" not in out
    PriceGAN(**TINY).fit(curves, epochs=3, verbose=2, validation_split=0.2)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 3 and all("val_energy_distance" in line for line in lines)
    PriceGAN(**TINY).fit(curves, epochs=2, verbose=0)
    assert capsys.readouterr().out == ""
    assert isinstance(tsgan.EpochProgress(), EpochProgress)


def test_import_and_training_keep_tensorflow_start_up_lines_out():
    """A fresh interpreter: what a program that imports tsgan and trains writes to stderr."""
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    code = (
        "import tsgan\n"
        "days = tsgan.daily_curves(tsgan.demo_prices('2024-01-01', '2024-03-31'))\n"
        "gan = tsgan.PriceGAN(latent_dim=4, generator_units=(8,), discriminator_units=(8,))\n"
        "gan.fit(days, epochs=1, verbose=0)\n"
        "print(gan.generate(2, seed=0).shape)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "(2, 24)"
    for chatter in ("cuda", "cpu_feature_guard", "oneDNN", "absl", "cuInit"):
        assert chatter not in proc.stderr, proc.stderr


# --- pandas and the Python surface -----------------------------------------------------------


def test_generate_returns_a_frame_by_hour_and_the_array_on_request(curves):
    gan = PriceGAN(**TINY)
    gan.adapt(curves.to_numpy())
    frame = gan.generate(5, seed=1)
    assert list(frame.columns) == hour_columns() and frame.index.name == "scenario"
    array = gan.generate(5, seed=1, as_frame=False)
    assert isinstance(array, np.ndarray)
    np.testing.assert_array_equal(frame.to_numpy(), array)


def test_crps_per_hour_is_indexed_by_hour():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(50, 24)), rng.normal(size=(10, 24))
    per_hour = crps_per_hour(x, y)
    assert list(per_hour.index) == hour_columns() and per_hour.index.name == "hour"
    np.testing.assert_array_equal(per_hour.to_numpy(), crps_per_hour(x, y, as_frame=False))


def test_evaluation_result_is_json_ready_with_a_frame_view(curves):
    train, test = curves[:200], curves[200:]
    rng = np.random.default_rng(0)

    def generate(m, seed):  # a DataFrame, as gan.generate returns
        rows = train.to_numpy()[rng.integers(0, len(train), m)]
        return pd.DataFrame(rows, columns=hour_columns())

    result = tsgan.evaluate_generator(generate, test, train, n=200, splits=2)
    assert json.loads(json.dumps(result)) == result
    table = result.to_frame()
    assert table.index.name == "generator" and {"model", "floor"} <= set(table.index)
    assert {"delta_es", "delta_es_sd"} <= set(table.columns)
    assert table.loc["model", "delta_es"] == result["matched"]["model"]["delta_es"]["mean"]
    assert set(result.to_frame("full").index) == set(result["full"])
    assert result.samples["model"].shape == (200, 24)


def test_daily_curves_of_a_frame_names_the_column_to_pass():
    prices = tsgan.demo_prices("2024-01-01", "2024-01-10")
    with pytest.raises(DataError, match=r"columns: price.*daily_curves\(frame\['price'\]\)"):
        tsgan.daily_curves(prices.to_frame("price"))


def test_dir_shows_the_public_names_and_type_checkers_see_them():
    assert dir(tsgan) == sorted(tsgan.__all__)
    assert not {"importlib", "sys", "version", "annotations"} & set(dir(tsgan))
    assert isinstance(tsgan.__version__, str)
    tree = ast.parse(Path(tsgan.__file__).read_text(encoding="utf-8"))
    checked = next(
        n for n in tree.body if isinstance(n, ast.If) and "TYPE_CHECKING" in ast.unparse(n.test)
    )
    seen = {alias.asname or alias.name for node in checked.body for alias in node.names}
    assert seen == set(tsgan.__all__) - {"__version__"}
    for name in tsgan.__all__:
        getattr(tsgan, name)


# --- the command line ------------------------------------------------------------------------


def subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_every_option_has_help_and_shows_its_default_or_that_it_is_required():
    for name, parser in subcommands().items():
        text = parser.format_help()
        assert text.rstrip().endswith(EXAMPLES[name][-1].strip()), name
        assert "()" not in text and "(default None)" not in text, name
        formatter = parser._get_formatter()
        for action in parser._actions:
            if not action.option_strings or action.help == argparse.SUPPRESS:
                continue
            assert action.help, (name, action.option_strings)
            if isinstance(action, (argparse._HelpAction, argparse._VersionAction)):
                continue
            shown = formatter._get_help_string(action)
            switch = action.nargs == 0
            assert switch or "default" in shown or "required" in shown, (name, shown)
        usage = parser.format_usage()
        for action in parser._actions:
            if action.required and action.option_strings:
                assert f"[{action.option_strings[0]}" not in usage, (name, action.option_strings)


def test_every_example_parses():
    parser = build_parser()
    for name, lines in EXAMPLES.items():
        assert 2 <= len(lines) <= 3
        for line in lines:
            argv = shlex.split(line)
            assert argv[:2] == ["tsgan", name]
            args = parser.parse_args(argv[1:])
            assert args.command == name


def test_one_name_per_concept_across_subcommands():
    flags = {
        name: {s for a in p._actions if a.help != argparse.SUPPRESS for s in a.option_strings}
        for name, p in subcommands().items()
    }
    for name in ("fetch", "evaluate", "backtest", "train"):
        assert {"--from", "--to"} <= flags[name], name
    assert "--frame-every" in flags["train"] and "--frame-every" in flags["animate"]
    for name in ("fetch", "train", "evaluate", "backtest"):
        assert {"-q", "--quiet"} <= flags[name], name
    for name, found in flags.items():
        assert "--debug" in found, name
        assert not {"--start", "--end", "--gif-every", "--every"} & found, name


def test_old_flag_names_still_work_with_a_warning(capsys):
    args = build_parser().parse_args(
        ["fetch", "--start", "2024-01-01", "--end", "2024-01-02", "-o", "x.csv"]
    )
    assert (args.date_from, args.date_to) == ("2024-01-01", "2024-01-02")
    err = capsys.readouterr().err
    assert "--start is deprecated; use --from" in err and "--end is deprecated; use --to" in err
    args = build_parser().parse_args(["train", "--demo", "-o", "r", "--gif-every", "3"])
    assert args.gif_every == 3 and "use --frame-every" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--epochs", "0"], "--epochs must be at least 1, got 0"),
        (["--frame-every", "0"], "--frame-every must be at least 1, got 0"),
        (["--batch-size", "1"], "--batch-size must be at least 2, got 1"),
        (["--tz", "Mars/Olympus"], "--tz 'Mars/Olympus' is not a time zone"),
    ],
)
def test_errors_speak_the_flags(argv, message, tmp_path, capsys):
    assert main(["train", "--demo", "-o", str(tmp_path / "r"), *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1, err


def test_python_errors_speak_the_settings():
    with pytest.raises(ValueError, match=r"^epochs must be at least 1"):
        TrainConfig(demo=True, out="x", epochs=0)
    with pytest.raises(ValueError, match=r"^gif_every \(--frame-every\) must be at least 1"):
        TrainConfig(demo=True, out="x", gif_every=0)


def test_debug_after_the_subcommand(tmp_path, capsys):
    missing = str(tmp_path / "missing.csv")
    assert main(["data", missing]) == 2
    with pytest.raises((FileNotFoundError, DataError)):
        main(["data", missing, "--debug"])
    with pytest.raises((FileNotFoundError, DataError)):
        main(["--debug", "data", missing])


def test_data_json(shared_data, capsys):
    assert main(["data", str(shared_data / "smard"), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["zone"] == "DE-LU" and report["days"] == 366
    assert report["dst_days"] == ["2024-03-31", "2024-10-27"] and report["dropped"] == {}
    assert main(["data", str(shared_data / "epftoolbox" / "DE.csv"), "--json"]) == 0
    inputs = json.loads(capsys.readouterr().out)["inputs"]
    assert len(inputs) == 2 and all(i["default"] and i["missing"] == 0 for i in inputs.values())


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory) -> Path:
    run = tmp_path_factory.mktemp("everyday") / "run"
    assert main(["train", "--demo", "--epochs", "2", "--no-gif", "-q", "-o", str(run)]) == 0
    return run


def test_sample_to_standard_output(demo_run, capsys):
    assert main(["sample", str(demo_run), "-n", "7", "-o", "-"]) == 0
    out, err = capsys.readouterr()
    table = pd.read_csv(io.StringIO(out))
    assert table.shape == (7, 25) and list(table.columns[1:]) == hour_columns()
    assert "wrote 7 scenarios" in err and "standard output" in err


# --- exit codes ------------------------------------------------------------------------------


class Flaky(BaseHTTPRequestHandler):
    """503 with Retry-After: 1 the first time, then the prices of one day."""

    payload = b""
    calls: ClassVar[list[float]] = []

    def log_message(self, *args):
        pass

    def do_GET(self):
        Flaky.calls.append(time.monotonic())
        if len(Flaky.calls) == 1:
            self.send_response(503)
            self.send_header("Retry-After", "1")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if not self.path.startswith("/price?"):
            self.send_error(404, "no such endpoint")
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(Flaky.payload)))
        self.end_headers()
        self.wfile.write(Flaky.payload)


@pytest.fixture
def flaky(shared_data):
    Flaky.payload = (shared_data / "energy_charts_de_lu" / "2024-05-01.json").read_bytes()
    Flaky.calls = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Flaky)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_retry_after_is_honoured_and_retries_are_shown(flaky, tmp_path, capsys, caplog):
    out = tmp_path / "p.csv"
    argv = ["fetch", "--from", "2024-05-01", "--to", "2024-05-01", "--base-url", flaky]
    assert main([*argv, "--cache-dir", str(tmp_path), "-o", str(out)]) == 0
    assert len(Flaky.calls) == 2 and Flaky.calls[1] - Flaky.calls[0] >= 0.95
    assert len(pd.read_csv(out)) == 24
    shown = caplog.text + capsys.readouterr().err
    assert "retrying 127.0.0.1" in shown and "in 1.0 s (HTTP 503" in shown


def test_a_refusing_server_is_exit_code_3(tmp_path, capsys):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    argv = ["fetch", "--from", "2024-05-01", "--to", "2024-05-01", "--retries", "1"]
    argv += ["--base-url", f"http://127.0.0.1:{port}", "-o", str(tmp_path / "p.csv")]
    assert main(argv) == 3
    err = capsys.readouterr().err.strip().splitlines()
    assert "after 2 tries" in err[-1] and "Connection refused" in err[-1]
    assert not (tmp_path / "p.csv").exists()


def test_a_stalling_server_is_exit_code_3(tmp_path, capsys):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)  # accepts connections (the kernel does), never answers
    try:
        argv = ["fetch", "--from", "2024-05-01", "--to", "2024-05-01", "--retries", "1"]
        argv += ["--timeout", "0.3", "--cache-dir", str(tmp_path)]
        argv += ["--base-url", f"http://127.0.0.1:{listener.getsockname()[1]}", "-o", "-"]
        assert main(argv) == 3
    finally:
        listener.close()
    err = capsys.readouterr().err.strip().splitlines()
    assert "after 2 tries" in err[-1] and "timed out" in err[-1].lower(), err


def test_a_refused_request_is_bad_input_exit_code_2(flaky, tmp_path, capsys):
    Flaky.calls = [0.0]  # no 503 first
    argv = ["fetch", "--from", "2024-05-01", "--to", "2024-05-01", "-o", "-"]
    assert main([*argv, "--base-url", flaky + "/nothing", "--cache-dir", str(tmp_path)]) == 2
    assert "HTTP 404" in capsys.readouterr().err


def test_an_internal_error_is_exit_code_70(monkeypatch, capsys):
    def broken(args):
        raise KeyError("surprise")

    import tsgan.commands.data as data_command

    monkeypatch.setattr(data_command, "_report", broken)
    assert main(["data", "anything.csv"]) == 70
    err = capsys.readouterr().err
    assert "internal error: KeyError" in err and "--debug" in err and err.count("\n") == 1


@pytest.mark.parametrize(
    ("stop", "code", "line"),
    [("terminated", 143, "tsgan data: terminated"), ("interrupted", 130, "interrupted")],
)
def test_a_stop_wrapped_by_the_interpreter_is_still_a_stop(monkeypatch, capsys, stop, code, line):
    """SIGTERM (or Ctrl-C) arriving while a class is created, as during an import, comes out
    of Python 3.11 as ``RuntimeError: Error calling __set_name__``: still exit 143 (130)."""
    from tsgan.signals import Terminated

    signal_error = Terminated(15) if stop == "terminated" else KeyboardInterrupt()

    class Arrives:
        def __set_name__(self, owner, name):
            raise signal_error

    def importing(args):
        type("Plugin", (), {"attribute": Arrives()})  # the signal lands in __set_name__

    import tsgan.commands.data as data_command

    monkeypatch.setattr(data_command, "_report", importing)
    assert main(["data", "anything.csv"]) == code
    err = capsys.readouterr().err
    assert err.strip() == line and "internal error" not in err


def test_non_finite_losses_are_exit_code_1(monkeypatch, tmp_path, capsys):
    import tsgan.model.gan as gan_module

    monkeypatch.setitem(gan_module.LEARNING_RATES, "wgan-gp", (1e30, 1e30))
    argv = ["train", "--demo", "--epochs", "40", "--no-gif", "-q", "-o", str(tmp_path / "r")]
    assert main(argv) == 1
    captured = capsys.readouterr()
    assert "not finite" in captured.err + captured.out


def test_models_made_one_after_another_do_not_warn_of_retracing():
    """A backtest makes a model per window: each traces its sampling once, without
    TensorFlow's "triggered tf.function retracing" warning."""
    import logging

    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append
    tf_logger = logging.getLogger("tensorflow")
    tf_logger.addHandler(handler)
    try:
        days = sixty_days_of_prices()
        for seed in range(7):
            gan = PriceGAN(**TINY, seed=seed)
            gan.adapt(days)
            gan.generate(3, seed=seed)
    finally:
        tf_logger.removeHandler(handler)
    assert not [r for r in records if "retracing" in r.getMessage()]


def sixty_days_of_prices() -> np.ndarray:
    return np.random.default_rng(0).normal(80, 20, (60, 24))
