"""Scenarios for a given day: conditioning, sampling by date and level, long output, evaluation."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import tsgan
from tsgan import PriceGAN
from tsgan.cli import main
from tsgan.data.calendar import day_types

from .conftest import ROOT

TINY = {"latent_dim": 4, "generator_units": (16,), "discriminator_units": (16,)}


def day_type_curves(start: str = "2023-01-02", days: int = 728, seed: int = 0) -> pd.DataFrame:
    """Synthetic curves whose shape is set by the calendar: workdays peak twice, Sundays and
    holidays dip at noon, Saturdays lie in between; a daily level varies on top."""
    rng = np.random.default_rng(seed)
    index = pd.date_range(start, periods=days, freq="D", name="date")
    h = np.arange(24)
    workday = (
        70 + 25 * np.exp(-0.5 * ((h - 8) / 1.5) ** 2) + 35 * np.exp(-0.5 * ((h - 19) / 1.8) ** 2)
    )
    sunday = (
        50 - 30 * np.exp(-0.5 * ((h - 13) / 2.5) ** 2) + 15 * np.exp(-0.5 * ((h - 20) / 2) ** 2)
    )
    shapes = np.stack([workday, (workday + sunday) / 2, sunday])
    types = day_types(index)
    curves = shapes[types] + rng.normal(0, 3.0, (days, 24)) + rng.normal(0, 5.0, (days, 1))
    return pd.DataFrame(curves, index=index, columns=tsgan.hour_columns())


def tiny(condition, **kw) -> PriceGAN:
    gan = PriceGAN(condition=condition, **(TINY | kw))
    gan.compile()
    return gan


@pytest.fixture(scope="module")
def level_model(tmp_path_factory):
    gan = tiny("calendar+level")
    gan.fit(day_type_curves(days=200), epochs=2, batch_size=32, verbose=0)
    path = tmp_path_factory.mktemp("lvl") / "model.keras"
    gan.save(path)
    return gan, path


@pytest.mark.slow
def test_round_trip_in_a_fresh_process(level_model, tmp_path):
    gan, path = level_model
    dates, levels = ["2026-04-12", "2026-04-13", "2026-12-24"], [85.0, 95.0, 40.0]
    here = tsgan.sample_scenarios(gan, dates, n_per_day=5, levels=levels, seed=3)
    out = tmp_path / "s.csv"
    code = (
        "import tsgan, sys; m = tsgan.load_model(sys.argv[1]);"
        f"tsgan.sample_scenarios(m, {dates!r}, n_per_day=5, levels={levels!r}, seed=3)"
        ".to_csv(sys.argv[2], index=False)"
    )
    subprocess.run([sys.executable, "-c", code, str(path), str(out)], check=True, cwd=ROOT)
    there = pd.read_csv(out, parse_dates=["date"])
    assert list(there.columns) == ["date", "scenario", *tsgan.hour_columns()]
    np.testing.assert_allclose(there.iloc[:, 2:].to_numpy(), here.iloc[:, 2:].to_numpy(), atol=1e-9)
    assert (there["date"] == here["date"]).all()
    loaded = tsgan.load_model(path)
    assert (loaded.settings.condition, loaded.settings.country, loaded.settings.timezone) == (
        "calendar+level",
        "DE",
        "Europe/Berlin",
    )
    again = tsgan.sample_scenarios(loaded, dates, n_per_day=5, levels=levels, seed=3)
    pd.testing.assert_frame_equal(again, here)
    other = tsgan.sample_scenarios(loaded, dates, n_per_day=5, levels=levels, seed=4)
    assert not np.allclose(other.iloc[:, 2:], here.iloc[:, 2:])


def test_level_is_the_daily_mean_and_shapes_vary(level_model):
    gan, _ = level_model
    dates = pd.date_range("2026-01-01", "2026-01-31")
    levels = pd.Series(np.linspace(-20, 250, len(dates)), index=dates)
    frame = tsgan.sample_scenarios(gan, dates, n_per_day=50, levels=levels, seed=0)
    means = frame[tsgan.hour_columns()].mean(axis=1).to_numpy()
    wanted = np.repeat(levels.to_numpy(), 50)
    relative = np.abs(means - wanted) / np.maximum(np.abs(wanted), 1.0)
    assert np.median(relative) <= 1e-6 and relative.max() <= 1e-5  # the stated tolerance
    shapes = frame[tsgan.hour_columns()].to_numpy() - means[:, None]
    per_day_sd = shapes.reshape(len(dates), 50, 24).std(axis=1).mean(axis=1)
    assert (per_day_sd > 0.5).all()  # not one curve per date


@pytest.mark.slow
def test_errors_for_missing_or_unexpected_conditions(level_model, tmp_path, capsys):
    gan, path = level_model
    with pytest.raises(ValueError, match="give a level"):
        tsgan.sample_scenarios(gan, ["2026-04-12"], n_per_day=2)
    with pytest.raises(ValueError, match="give the delivery dates"):
        tsgan.sample_scenarios(gan, n_per_day=2)
    with pytest.raises(ValueError, match="no level for 1 date"):
        tsgan.sample_scenarios(
            gan, ["2026-04-12", "2026-04-13"], n_per_day=2, levels={"2026-04-12": 80.0}
        )
    cal = tiny("calendar")
    cal.fit(day_type_curves(days=64), epochs=1, batch_size=32, verbose=0)
    with pytest.raises(ValueError, match="takes no price level"):
        tsgan.sample_scenarios(cal, ["2026-04-12"], n_per_day=2, levels=80.0)
    plain = PriceGAN(**TINY)
    plain.fit(day_type_curves(days=64), epochs=1, batch_size=32, verbose=0)
    with pytest.raises(ValueError, match="trained without conditions"):
        tsgan.sample_scenarios(plain, ["2026-04-12"], n_per_day=2)
    assert tsgan.sample_scenarios(plain, n_per_day=3, seed=0).shape == (3, 25)
    with pytest.raises(ValueError, match="DataFrame of curves indexed by delivery day"):
        tiny("calendar").fit(day_type_curves(days=64).to_numpy(), epochs=1, verbose=0)

    plain_path = tmp_path / "plain.keras"
    plain.save(plain_path)
    out = tmp_path / "x.csv"
    cases = [
        ([str(path), "--dates", "2026-04-12", "--n-per-day", "2"], "give a level for each date"),
        ([str(path), "--n", "2"], "give the delivery dates"),
        (
            [str(plain_path), "--dates", "2026-04-12", "--n-per-day", "2"],
            "trained without conditions",
        ),
        ([str(plain_path), "--n", "2", "--level", "80"], "takes no price level"),
        (
            [str(path), "--dates", "2026-04-31", "--n-per-day", "2", "--level", "80"],
            "dates '2026-04-31'",
        ),
        ([str(path), "--dates", "2026-05-02..2026-05-01", "--n-per-day", "2"], "is before"),
        ([str(path), "--n", "2", "--long"], "--long needs --dates"),
        (
            [
                str(path),
                "--dates",
                "2026-04-12",
                "--levels",
                str(tmp_path / "none.csv"),
                "--n-per-day",
                "2",
            ],
            "no such levels file",
        ),
        (
            [str(path), "--dates", "2026-04-12", "--n-per-day", "2", "--level", "1e39"],
            "level 1e+39 of 2026-04-12 is beyond what the model's float32 numbers can hold",
        ),
        (
            [str(path), "--dates", "2026-04-12", "--n-per-day", "2", "--level", "nan"],
            "level nan of 2026-04-12",
        ),
    ]
    for argv, message in cases:
        assert main(["sample", *argv, "--out", str(out)]) == 2, argv
        err = capsys.readouterr().err
        assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
        assert not out.exists()


def test_levels_file_and_long_output_on_the_2025_dst_days(level_model, tmp_path, capsys):
    gan, path = level_model
    levels = tmp_path / "levels.csv"
    levels.write_text(  # tz-aware dates count by their local date
        "date,level\n2025-03-30T00:00+01:00,60.5\n2025-10-26T00:00+02:00,-12\n"
        "2025-06-01T00:00+02:00,90\n"
    )
    out = tmp_path / "long.csv"
    dates = "2025-03-30,2025-10-26,2025-06-01"
    assert (
        main(
            [
                "sample",
                str(path),
                "--dates",
                dates,
                "--n-per-day",
                "3",
                "--levels",
                str(levels),
                "--long",
                "--seed",
                "1",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    long = pd.read_csv(out)
    assert list(long.columns) == ["time", "scenario", "price"]
    times = pd.to_datetime(long["time"], utc=True).dt.tz_convert("Europe/Berlin")
    local = times.dt.strftime("%Y-%m-%d")
    rows = long.groupby([local, long["scenario"]]).size().unstack()
    assert rows.loc["2025-03-30"].tolist() == [23, 23, 23]
    assert rows.loc["2025-10-26"].tolist() == [25, 25, 25]
    assert rows.loc["2025-06-01"].tolist() == [24, 24, 24]
    spring = long[(local == "2025-03-30") & (long["scenario"] == 1)]
    assert "2025-03-30 02:00" not in " ".join(spring["time"]) and spring["time"].iloc[2].startswith(
        "2025-03-30 03:00:00+02:00"
    )
    autumn = long[(local == "2025-10-26") & (long["scenario"] == 2)]
    assert (
        autumn["time"].iloc[2] == "2025-10-26 02:00:00+02:00"
        and autumn["time"].iloc[3] == "2025-10-26 02:00:00+01:00"
    )
    assert autumn["price"].iloc[2] == autumn["price"].iloc[3]  # the generated 02:00 value, twice
    # the wide scenarios these rows come from: same seed, same values (CSV keeps 2 decimals)
    wide = tsgan.sample_scenarios(
        gan, dates.split(","), n_per_day=3, levels=[60.5, -12, 90], seed=1
    )
    np.testing.assert_allclose(
        autumn["price"].iloc[:3].to_numpy(),
        wide.iloc[4][tsgan.hour_columns()[:3]].to_numpy(dtype=float),
        atol=0.006,
    )
    parquet = tmp_path / "wide.parquet"
    assert (
        main(
            [
                "sample",
                str(path),
                "--dates",
                "2025-06-01..2025-06-03",
                "--n-per-day",
                "4",
                "--level",
                "85",
                "--out",
                str(parquet),
            ]
        )
        == 0
    )
    table = pd.read_parquet(parquet)
    assert table.shape == (12, 26) and np.allclose(table[tsgan.hour_columns()].mean(axis=1), 85.0)


def test_season_jitter_moves_the_season_and_nothing_else():
    from tsgan.settings import SEASON_JITTER_DAYS

    assert PriceGAN(condition="calendar", **TINY).settings.season_jitter == SEASON_JITTER_DAYS
    assert PriceGAN(**TINY).settings.season_jitter == 0.0  # no calendar, nothing to move
    with pytest.raises(ValueError, match="season_jitter needs a condition"):
        PriceGAN(season_jitter=10.0, **TINY)
    gan = tiny("calendar+level", season_jitter=30.0, level_jitter=0.0)
    gan.adapt(day_type_curves(days=60).to_numpy())  # the level's unit
    n = 20_000
    conditions = gan.encode_conditions(["2024-06-30"] * n, np.full(n, 55.0))  # a Sunday
    moved = np.asarray(gan.conditions.jitter(np.zeros((n, 24)), conditions, gan.seed_generator)[1])
    np.testing.assert_array_equal(moved[:, [0, 1, 2, 5]], conditions[:, [0, 1, 2, 5]])
    np.testing.assert_allclose(np.hypot(moved[:, 3], moved[:, 4]), 1.0, atol=1e-5)
    shift = np.angle((moved[:, 4] + 1j * moved[:, 3]) / (conditions[:, 4] + 1j * conditions[:, 3]))
    days = shift * 365.25 / (2 * np.pi)
    assert abs(days.mean()) < 1.0 and abs(days.std() - 30.0) < 1.0, (days.mean(), days.std())
    unmoved = tiny("calendar", season_jitter=0.0, level_jitter=0.0)
    still = unmoved.encode_conditions(["2024-06-30"])
    _, same = unmoved.conditions.jitter(np.zeros((1, 24)), still, unmoved.seed_generator)
    np.testing.assert_array_equal(np.asarray(same), still)


def test_level_jitter_moves_each_day_and_its_level_alike():
    """With the level condition the day and its level move alike; on the calendar alone the day."""
    from tsgan.settings import LEVEL_JITTER

    assert tiny("calendar+level").settings.level_jitter == LEVEL_JITTER
    assert tiny("calendar").settings.level_jitter == LEVEL_JITTER
    assert PriceGAN(**TINY).settings.level_jitter == 0.0  # no condition, no jitter
    with pytest.raises(ValueError, match="level_jitter needs a condition"):
        PriceGAN(level_jitter=0.5, **TINY)
    gan = tiny("calendar+level", level_jitter=0.5, season_jitter=0.0)
    curves = day_type_curves(days=60).to_numpy()
    gan.adapt(curves)  # the level's unit
    n = 20_000
    real = np.tile(curves[:1], (n, 1)).astype("float32")
    conditions = gan.encode_conditions(["2024-06-30"] * n, real.mean(axis=1))
    moved, moved_conditions = (
        np.asarray(a) for a in gan.conditions.jitter(real, conditions, gan.seed_generator)
    )
    shift = moved - real  # one shift per day, in every hour alike
    np.testing.assert_allclose(shift, shift[:, :1].repeat(24, axis=1), atol=1e-3)
    sd = 0.5 * float(np.asarray(gan.transform.scale))  # EUR/MWh: in units of the transform's scale
    assert abs(shift[:, 0].mean()) < 0.03 * sd and abs(shift[:, 0].std() - sd) < 0.03 * sd
    np.testing.assert_array_equal(moved_conditions[:, :5], conditions[:, :5])  # the calendar
    # the level condition is still each moved day's mean price
    np.testing.assert_allclose(
        np.asarray(gan.conditions.levels(moved_conditions))[:, 0], moved.mean(1), atol=1e-2
    )
    still = tiny("calendar+level", level_jitter=0.0, season_jitter=0.0)
    still.adapt(curves)
    kept = still.encode_conditions(["2024-06-30"], curves[:1].mean(axis=1))
    same_curves, same_conditions = still.conditions.jitter(curves[:1], kept, still.seed_generator)
    np.testing.assert_array_equal(same_curves, curves[:1])
    np.testing.assert_array_equal(same_conditions, kept)
    # the calendar model: the days move, their calendar does not
    calendar = tiny("calendar", level_jitter=0.5, season_jitter=0.0)
    calendar.adapt(curves)
    dates = calendar.encode_conditions(["2024-06-30"] * n)
    days, same_dates = (
        np.asarray(a) for a in calendar.conditions.jitter(real, dates, calendar.seed_generator)
    )
    np.testing.assert_array_equal(same_dates, dates)
    moved_by = days - real
    np.testing.assert_allclose(moved_by, moved_by[:, :1].repeat(24, axis=1), atol=1e-3)
    assert abs(moved_by[:, 0].std() - sd) < 0.03 * sd


@pytest.mark.slow
def test_the_jitters_train_batch_by_batch_too():
    """A tf.data pipeline takes the per-batch steps: the jitters draw one shift per day there."""
    import tensorflow as tf

    frame = day_type_curves(days=70)
    gan = tiny("calendar+level")
    gan.adapt(frame.to_numpy())
    conditions = gan.encode_conditions(frame.index, frame.mean(axis=1))
    pairs = (frame.to_numpy("float32"), conditions)
    batches = tf.data.Dataset.from_tensor_slices((pairs,)).batch(32)
    history = gan.fit(batches, epochs=2, shuffle=False, verbose=0)
    assert gan._epoch_plan is None and int(gan.g_optimizer.iterations) == 2 * 3
    assert all(np.isfinite(v).all() for v in history.history.values())


@pytest.mark.slow
def test_a_tiny_conditional_model_tells_day_types_apart(seed):
    curves = day_type_curves(days=728, seed=seed)
    workday_real = curves[day_types(curves.index) == 0].mean().to_numpy()
    sunday_real = curves[day_types(curves.index) == 2].mean().to_numpy()
    gap = np.sqrt(np.mean((workday_real - sunday_real) ** 2))

    def profiles(gan, dates):
        return [
            gan.generate(
                400,
                seed=1,
                conditions=np.repeat(gan.encode_conditions([d]), 400, 0),
                as_frame=False,
            ).mean(0)
            for d in dates
        ]

    kw = {
        "latent_dim": 8,
        "generator_units": (64, 64),
        "discriminator_units": (64, 64),
        "seed": seed,
    }
    gan = tiny("calendar", **kw)
    gan.fit(curves, epochs=40, batch_size=32, verbose=0)  # tsgan train's batch
    workday, sunday = profiles(gan, ["2024-06-12", "2024-06-16"])  # a Wednesday, a Sunday
    rmse = [
        np.sqrt(np.mean((a - b) ** 2)) for a, b in ((workday, workday_real), (sunday, sunday_real))
    ]
    assert max(rmse) < 0.3 * gap, (rmse, gap)  # each day type's own profile
    # the same check fails for a model that cannot see the calendar
    blind = PriceGAN(**kw)
    blind.compile()
    blind.fit(curves, epochs=40, batch_size=32, verbose=0)
    same = blind.generate(400, seed=1, as_frame=False).mean(0)
    assert max(np.sqrt(np.mean((same - r) ** 2)) for r in (workday_real, sunday_real)) >= 0.3 * gap


@pytest.mark.slow
def test_train_sample_evaluate_and_animate_a_conditional_run_on_real_data(
    shared_data, tmp_path, capsys
):
    run = tmp_path / "run"
    data = str(shared_data / "energy_charts_de_lu")
    argv = [
        "train",
        data,
        "--zone",
        "DE-LU",
        "--from",
        "2024-01-01",
        "--to",
        "2024-06-30",
        "--condition",
        "calendar",
        "--epochs",
        "3",
        "--out",
        str(run),
    ]
    assert main(argv) == 0
    summary = json.loads((run / "run.json").read_text())
    assert summary["conditioning"]["condition"] == "calendar"
    assert summary["conditioning"]["features"][:3] == ["workday", "saturday", "sunday/holiday"]
    assert 'condition = "calendar"' in (run / "config.toml").read_text()
    samples = np.load(run / "samples.npz")
    assert list(samples["groups"]) == ["winter workday", "summer Sunday"]
    assert set(samples["real_groups"].tolist()) == {0, 1}
    from PIL import Image

    frame = np.asarray(Image.open(run / "samples.png").convert("RGB")).reshape(-1, 3).astype(int)
    for rgb in ((255, 127, 14), (148, 103, 189)):  # tab:orange and tab:purple, the two groups
        assert (np.abs(frame - rgb).sum(axis=1) < 30).sum() > 50, rgb
    out = tmp_path / "eval"
    capsys.readouterr()
    assert (
        main(
            [
                "evaluate",
                str(run),
                data,
                "--from",
                "2024-07-01",
                "--to",
                "2024-08-31",
                "--n-per-day",
                "30",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    report = (out / "report.md").read_text()
    for text in (
        "analog days",
        "analog copula",
        "Diebold–Mariano",
        "Energy score by day type",
        "Energy score by season",
        "workday",
        "summer",
    ):
        assert text in report, text
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["n_test_days"] == 62 and set(metrics["scores"]) == {
        "model",
        "analog days",
        "analog copula",
    }
    assert (out / "fan_charts.png").stat().st_size > 10_000
    assert main(["animate", str(run), "--out", str(tmp_path / "again.gif")]) == 0
