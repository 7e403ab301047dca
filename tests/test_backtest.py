"""The rolling backtest: windows, scores, point forecasts with their errors, LEAR, resume."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import tsgan
from tsgan.cli import main
from tsgan.data.curves import daily_panel
from tsgan.data.prices import load_inputs
from tsgan.evaluation.backtest import day_scores, error_scenarios, rolling_windows
from tsgan.evaluation.lear import lear_forecast, lear_forecasts

from .test_forecast import market_csv


def test_windows_cover_the_period_without_looking_ahead():
    ws = rolling_windows("2016-01-04", "2016-03-31", recalibrate=28, data_start="2012-01-09")
    days = pd.DatetimeIndex(np.concatenate([w.days for w in ws]))
    assert days.equals(pd.date_range("2016-01-04", "2016-03-31"))
    assert all(w.train_to < w.start and (w.start - w.train_from).days <= 1456 for w in ws)
    short = rolling_windows(
        "2016-01-04", "2016-01-10", recalibrate=7, window=56, data_start="2012-01-09"
    )
    assert (short[0].start - short[0].train_from).days == 56


def test_scores_of_a_perfect_and_of_a_wide_forecast():
    rng = np.random.default_rng(0)
    realized = rng.normal(50, 10, (5, 24))
    exact = day_scores(np.repeat(realized[:, None], 10, axis=1), realized)
    assert np.allclose(exact[["es", "vs", "crps", "mae"]], 0) and (exact["cover90"] == 1).all()
    calibrated = day_scores(rng.normal(50, 10, (5, 2000, 24)), rng.normal(50, 10, (5, 24)))
    assert 0.8 < calibrated["cover90"].mean() <= 1.0 and 0.3 < calibrated["cover50"].mean() < 0.7


def test_point_forecasts_become_scenarios_with_their_recent_errors():
    days = pd.date_range("2024-01-01", periods=120)
    rng = np.random.default_rng(1)
    realized = pd.DataFrame(rng.normal(50, 5, (120, 3)), index=days)
    point = realized + rng.normal(0, 2, (120, 3))  # errors of sd 2, different each day
    out = error_scenarios(point, realized, days[-10:], n=500, seed=0)
    assert out.shape == (10, 500, 3)
    errors = out - point.loc[days[-10:]].to_numpy()[:, None]  # each draw: one past day's error
    past = (realized - point).loc[days[-100:-1]].to_numpy()
    assert all(any(np.allclose(e, p) for p in past) for e in errors[0, :20])
    with pytest.raises(ValueError, match="no error of the point forecast"):
        error_scenarios(point, realized, days[:1], n=5, seed=0)


def test_lear_recovers_a_known_linear_market(tmp_path):
    """Prices that are a linear function of yesterday's prices and today's load: LEAR's
    lasso on asinh-scaled inputs forecasts them closely, and never reads the day's prices."""
    rng = np.random.default_rng(0)
    days = pd.date_range("2023-01-01", periods=200)
    load = rng.normal(60, 8, (200, 24))
    price = np.empty((200, 24))
    price[0] = 50
    for t in range(1, 200):
        price[t] = 0.5 * price[t - 1] + 0.6 * load[t] + rng.normal(0, 0.2, 24)
    panel = pd.concat(
        {"price": pd.DataFrame(price, index=days), "load": pd.DataFrame(load, index=days)}, axis=1
    )
    day = days[-1]
    forecast = lear_forecast(panel, day, window=150)
    assert np.abs(forecast - price[-1]).mean() < 1.0, np.abs(forecast - price[-1]).mean()
    hidden = panel.copy()
    hidden.loc[day, "price"] = 999.0
    np.testing.assert_allclose(lear_forecast(hidden, day, window=150), forecast)
    short = lear_forecast(panel, day, window=30)  # fewer days than features: a noise variance
    assert np.isfinite(short).all()
    cached = lear_forecasts(panel, days[-2:], windows=(56,), cache=tmp_path)
    assert len(list(tmp_path.glob("lear-*-56.parquet"))) == 1
    lines = []  # two days from the cache, three computed, a chunk of two at a time
    more = lear_forecasts(
        panel, days[-5:], windows=(56,), cache=tmp_path, chunk=2, progress=lines.append
    )
    assert lines == ["LEAR: 2/3 day-windows done", "LEAR: 3/3 day-windows done"]
    pd.testing.assert_frame_equal(more.iloc[-2:], cached)
    pd.testing.assert_frame_equal(more, lear_forecasts(panel, days[-5:], windows=(56,)))


@pytest.mark.slow
def test_backtest_writes_its_tables_and_resumes_to_the_same_scenarios(tmp_path, capsys):
    source = market_csv(tmp_path / "market.csv", days=100)
    argv = ["backtest", str(source), "--inputs", "load,wind", "--from", "2024-05-20"]
    argv += ["--to", "2024-06-05", "--recalibrate", "7", "--epochs", "2", "--n-per-day", "20"]
    argv += ["--baselines", "naive", "--workers", "0", "-q"]
    assert main([*argv, "--out", str(tmp_path / "a")]) == 0
    scores = pd.read_csv(tmp_path / "a" / "scores.csv")
    assert set(scores["generator"]) == {"tsgan", "naive"} and len(scores) == 2 * 17
    assert list(scores.columns) == [
        "date",
        "generator",
        "es",
        "vs",
        "crps",
        "mae",
        "cover50",
        "cover90",
    ]
    scenarios = pd.read_parquet(tmp_path / "a" / "scenarios.parquet")
    assert scenarios.shape == (17 * 20, 26)
    assert "Diebold–Mariano" in (tmp_path / "a" / "report.md").read_text()
    assert main([*argv, "--out", str(tmp_path / "a")]) == 2  # not empty: --resume
    (tmp_path / "a" / "windows" / "2024-05-27.npz").unlink()  # as if stopped in window 2
    capsys.readouterr()
    assert main([*argv, "--out", str(tmp_path / "a"), "--resume"]) == 0
    again = pd.read_parquet(tmp_path / "a" / "scenarios.parquet")
    pd.testing.assert_frame_equal(scenarios, again)


@pytest.mark.slow
def test_a_backtest_stopped_by_sigterm_resumes_to_the_uninterrupted_result(tmp_path):
    """SIGTERM while the second window trains: the first window stays saved, the command
    says so (exit 143), and --resume ends with the scenarios of an uninterrupted run."""
    import os
    import signal
    import subprocess
    import sys
    import time

    source = market_csv(tmp_path / "market.csv", days=100)
    argv = ["backtest", str(source), "--inputs", "load,wind", "--from", "2024-05-20"]
    argv += ["--to", "2024-06-05", "--recalibrate", "7", "--epochs", "40", "--n-per-day", "20"]
    argv += ["--baselines", "naive", "--workers", "0", "-q"]
    stopped = tmp_path / "stopped"
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    cmd = [sys.executable, "-m", "tsgan", *argv, "--out", str(stopped)]
    proc = subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE, text=True)
    first = stopped / "windows" / "2024-05-20.npz"
    deadline = time.monotonic() + 300
    while not first.is_file() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=300)
    if proc.returncode == 0:
        pytest.skip("the backtest finished before the signal")  # a very fast machine
    assert proc.returncode == 143, err
    assert "window(s) saved" in err and "--resume continues" in err
    assert first.is_file() and not (stopped / "scenarios.parquet").exists()
    assert main([*argv, "--out", str(stopped), "--resume"]) == 0
    assert main([*argv, "--out", str(tmp_path / "whole")]) == 0
    pd.testing.assert_frame_equal(
        pd.read_parquet(stopped / "scenarios.parquet"),
        pd.read_parquet(tmp_path / "whole" / "scenarios.parquet"),
    )


@pytest.mark.slow
def test_ray_workers_give_the_scenarios_of_the_sequential_backtest(tmp_path):
    """The windows as Ray tasks (two local workers) give what one after another gives; so
    do LEAR's days."""
    ray = pytest.importorskip("ray")
    from tsgan.backtest import run_backtest

    source = market_csv(tmp_path / "market.csv", days=100)
    panel = daily_panel(tsgan.load_prices(source), load_inputs(source, inputs="load,wind"))
    common = {"start": "2024-05-20", "end": "2024-06-05", "recalibrate": 7, "n": 10, "epochs": 2}
    common |= {"seed": 3, "progress": None}
    alone = run_backtest(panel, out=tmp_path / "alone", **common)
    try:
        spread = run_backtest(panel, out=tmp_path / "ray", workers=2, **common)
        days = pd.date_range("2024-06-01", "2024-06-05")
        lear_ray = lear_forecasts(panel, days, windows=(56,), ray={"workers": 2}, chunk=2)
    finally:
        ray.shutdown()
    pd.testing.assert_frame_equal(
        pd.read_parquet(tmp_path / "alone" / "scenarios.parquet"),
        pd.read_parquet(tmp_path / "ray" / "scenarios.parquet"),
    )
    pd.testing.assert_frame_equal(alone, spread)
    assert np.isfinite(lear_ray.to_numpy()).all() and len(lear_ray) == 5
    pd.testing.assert_frame_equal(lear_ray, lear_forecasts(panel, days, windows=(56,)))


def test_lear_chooses_the_penalty_as_the_benchmarks_scikit_learn_did():
    """Before scikit-learn 1.1/1.2, ``LassoLarsIC(criterion="aic")`` normalised the centred
    features to unit length and took AIC = n·MSE/var(y) + 2·df along the LARS path: the
    penalty tsgan's LEAR passes to its lasso is that path's AIC minimum, computed here by hand."""
    from sklearn.linear_model import LassoLarsIC, lars_path

    from tsgan.evaluation.lear import unit_length

    rng = np.random.default_rng(1)
    X = rng.normal(size=(120, 30)) * rng.uniform(0.5, 3.0, 30)
    y = X[:, :4] @ [1.0, -2.0, 0.5, 0.0] + rng.normal(0, 1.0, 120)
    Xn, yc = unit_length(X), y - y.mean()
    alphas, _, path = lars_path(Xn, yc, method="lasso", max_iter=2500)
    mse = ((yc[:, None] - Xn @ path) ** 2).mean(axis=0)
    df = (np.abs(path) > np.finfo(float).eps).sum(axis=0)
    by_hand = alphas[np.argmin(len(y) * mse / np.var(y) + 2 * df)]
    ours = LassoLarsIC(criterion="aic", max_iter=2500, noise_variance=np.var(y)).fit(Xn, y)
    assert ours.alpha_ == pytest.approx(by_hand, rel=1e-12)
    np.testing.assert_allclose(np.linalg.norm(Xn, axis=0), 1.0)
