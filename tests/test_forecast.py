"""Scenarios for tomorrow: inputs known before the auction, the forecast condition, no look-ahead."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import tsgan
from tsgan import PriceGAN
from tsgan.cli import main
from tsgan.data import DataError
from tsgan.data.curves import daily_panel
from tsgan.data.prices import load_inputs

TINY = {"latent_dim": 4, "generator_units": (16,), "discriminator_units": (16,)}


def market_csv(path, *, days: int = 60, seed: int = 0, header: str = "time,price,load,wind"):
    """A plain CSV with hourly prices, a load and a wind forecast (DST days included)."""
    rng = np.random.default_rng(seed)
    times = pd.date_range("2024-03-01", periods=days * 24, freq="h", tz="Europe/Berlin")
    load = 50 + 10 * np.sin(np.arange(len(times)) * 2 * np.pi / 24) + rng.normal(0, 1, len(times))
    wind = rng.gamma(2, 5, len(times))
    price = 20 + load - 0.8 * wind + rng.normal(0, 2, len(times))
    frame = pd.DataFrame({"time": times.strftime("%Y-%m-%dT%H:%M%z"), "price": price})
    frame["load"], frame["wind"] = load, wind
    frame.columns = header.split(",")
    frame.to_csv(path, index=False, float_format="%.2f")
    return path


def test_inputs_come_from_the_epftoolbox_file_by_default(shared_data):
    path = shared_data / "epftoolbox" / "DE.csv"
    inputs = load_inputs(path)
    prices = tsgan.load_prices(path)
    assert inputs.columns.tolist() == ["Ampirion Load Forecast", "PV+Wind Forecast"]
    assert inputs.index.equals(prices.index)  # aligned as prices are, DST hours included
    panel = daily_panel(prices, inputs)
    assert panel.shape == (len(tsgan.daily_curves(prices)), 72)
    autumn = panel.loc["2016-10-30"]  # the collapsed 02:00 hour is given back, then averaged
    assert np.isfinite(autumn.to_numpy()).all()


def test_a_plain_csv_names_its_inputs(tmp_path):
    path = market_csv(tmp_path / "market.csv")
    assert load_inputs(path).empty  # a plain table: no inputs unless named
    both = load_inputs(path, inputs="load,wind")
    assert both.columns.tolist() == ["load", "wind"] and not both.isna().any().any()
    assert load_inputs(path, inputs=["wind"]).columns.tolist() == ["wind"]
    with pytest.raises(
        DataError, match="no input column 'solar'; columns that can be inputs: load"
    ):
        load_inputs(path, inputs=["solar"])


def test_a_gap_in_an_input_drops_its_day_with_the_reason(tmp_path):
    path = market_csv(tmp_path / "market.csv", days=10)
    text = path.read_text().splitlines()
    row = text[1 + 5 * 24 + 3].split(",")  # day 6, 03:00: the wind forecast is missing
    text[1 + 5 * 24 + 3] = ",".join([*row[:3], ""])
    path.write_text("\n".join(text) + "\n")
    panel = daily_panel(tsgan.load_prices(path), load_inputs(path, inputs="load,wind"))
    assert panel.attrs["dropped"] == {"2024-03-06": "wind: incomplete: 23 of 24 60-minute prices"}
    assert panel.loc["2024-03-06", "wind"].isna().all()
    assert panel.loc["2024-03-06", "price"].notna().all()


def test_prices_only_formats_have_no_inputs(shared_data):
    with pytest.raises(DataError, match="holds prices only"):
        load_inputs(shared_data / "energy_charts_de_lu", inputs=["load"])


@pytest.fixture(scope="module")
def forecast_model(tmp_path_factory):
    folder = tmp_path_factory.mktemp("forecast")
    path = market_csv(folder / "market.csv", days=80)
    panel = daily_panel(tsgan.load_prices(path), load_inputs(path, inputs="load,wind"))
    gan = PriceGAN(condition="forecast", inputs=("load", "wind"), seed=0, **TINY)
    gan.compile()
    gan.fit(panel.loc[:"2024-05-10"], epochs=2, batch_size=16, verbose=0)
    return gan, panel, path


def test_the_forecast_condition_sees_what_lear_sees(forecast_model):
    gan, panel, _ = forecast_model
    s = gan.settings
    assert s.condition_dim == 5 + 24 * 4 + 24 * 3 * 2  # calendar, 4 price lags, 2 inputs × 3
    from tsgan.settings import FORECAST_LEVEL_JITTER

    assert gan.conditions.needs_data and s.season_jitter == 0.0
    assert s.level_jitter == FORECAST_LEVEL_JITTER  # the day moves, its history does not
    # the first training days lack D-7: they are left out, not filled
    assert int(gan.g_optimizer.iterations) == 2 * -(-(len(panel.loc[:"2024-05-10"]) - 7) // 16)


def test_scenarios_of_a_day_never_depend_on_its_prices_or_later_ones(forecast_model):
    gan, panel, _ = forecast_model
    day = pd.Timestamp("2024-05-15")
    before = tsgan.sample_scenarios(gan, [day], n_per_day=20, data=panel, seed=4)
    changed = panel.copy()
    changed.loc[day:, "price"] = changed.loc[day:, "price"].to_numpy() * 3 + 500
    changed.loc[day + pd.Timedelta(days=1) :, ["load", "wind"]] = 0.0  # inputs after D
    after = tsgan.sample_scenarios(gan, [day], n_per_day=20, data=changed, seed=4)
    pd.testing.assert_frame_equal(before, after)
    moved = panel.copy()
    moved.loc[day - pd.Timedelta(days=1), "price"] = 400.0  # D-1's prices matter
    assert not tsgan.sample_scenarios(gan, [day], n_per_day=20, data=moved, seed=4).equals(before)


def test_a_date_without_its_history_is_one_clear_error(forecast_model, tmp_path, capsys):
    gan, panel, path = forecast_model
    with pytest.raises(ValueError, match=r"2024-07-01: no price of 2024-06-30 \(D-1\) in the data"):
        tsgan.sample_scenarios(gan, ["2024-07-01"], n_per_day=5, data=panel)
    gap = panel.copy()
    gap.loc["2024-05-14", ("wind", "h05")] = np.nan
    with pytest.raises(ValueError, match=r"2024-05-15: no 'wind' of 2024-05-14 \(D-1\)"):
        tsgan.sample_scenarios(gan, ["2024-05-13", "2024-05-15"], n_per_day=5, data=gap)
    with pytest.raises(ValueError, match="give data= a daily panel"):
        tsgan.sample_scenarios(gan, ["2024-05-15"], n_per_day=5)
    gan.save(tmp_path / "model.keras")
    out = tmp_path / "s.csv"
    argv = ["sample", str(tmp_path), "--dates", "2024-05-20..2024-07-02", "--n-per-day", "3"]
    capsys.readouterr()
    assert main([*argv, "--data", str(path), "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.endswith("2024-05-20: no 'load' of 2024-05-20 (D-0) in the data")
    assert len(err.splitlines()) == 1 and not out.exists()
    good = ["sample", str(tmp_path), "--dates", "2024-05-15,2024-05-18", "--n-per-day", "3"]
    assert main([*good, "--data", str(path), "-o", str(out)]) == 0
    table = pd.read_csv(out)
    assert table.shape == (6, 26)
    reloaded = tsgan.load_model(tmp_path / "model.keras")
    assert reloaded.settings.inputs == ("load", "wind")
    np.testing.assert_allclose(
        tsgan.sample_scenarios(reloaded, ["2024-05-15"], n_per_day=5, data=panel, seed=1)
        .iloc[:, 2:]
        .to_numpy(),
        tsgan.sample_scenarios(gan, ["2024-05-15"], n_per_day=5, data=panel, seed=1)
        .iloc[:, 2:]
        .to_numpy(),
    )


@pytest.mark.slow
def test_train_and_sample_a_forecast_run_from_the_command_line(shared_data, tmp_path):
    source = str(shared_data / "epftoolbox" / "DE.csv")
    run = tmp_path / "run"
    argv = [
        "train",
        source,
        "--condition",
        "forecast",
        "--from",
        "2015-01-01",
        "--to",
        "2015-06-30",
    ]
    assert main([*argv, "--epochs", "3", "--out", str(run), "-q", "--no-gif"]) == 0
    summary = pd.read_json(run / "run.json", typ="series")
    assert summary["conditioning"]["condition"] == "forecast"
    assert list(summary["conditioning"]["inputs"]) == ["Ampirion Load Forecast", "PV+Wind Forecast"]
    out = tmp_path / "tomorrow.csv"
    sample = ["sample", str(run), "--dates", "2016-01-05", "--n-per-day", "50", "--data", source]
    assert main([*sample, "-o", str(out)]) == 0
    assert pd.read_csv(out).shape == (50, 26)


def test_a_forecast_model_validates_on_later_days_of_the_panel(forecast_model):
    gan, panel, _ = forecast_model
    later = panel.loc["2024-05-04":]  # a week of history, then the held-out days
    scores = gan.evaluate(later, verbose=0, return_dict=True)
    assert np.isfinite(list(scores.values())).all() and scores["energy_distance"] > 0
    history = gan.fit(panel.loc[:"2024-05-10"], validation_data=later, epochs=1, verbose=0)
    assert "val_energy_distance" in history.history
