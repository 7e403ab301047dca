"""The data layer on the real files in ../shared/data, a corpus of bad files, and properties."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tsgan
from tsgan import DataError, daily_curves, load_prices

from .conftest import BAD

SMARD_HOURLY = "smard/Gro_handelspreise_202401010000_202501010000_Stunde.csv"
SMARD_QUARTER = "smard/Gro_handelspreise_202401010000_202501010000_Stunde_Viertelstunde.csv"


@pytest.fixture(scope="module")
def energy_charts(shared_data):
    return load_prices(shared_data / "energy_charts_de_lu")


@pytest.fixture(scope="module")
def ec_curves(energy_charts):
    return daily_curves(energy_charts)


# --------------------------------------------------------------------------- real files


@pytest.mark.parametrize(
    ("name", "fmt", "zone", "first", "last", "n_days"),
    [
        ("energy_charts_de_lu", "Energy-Charts JSON", None, "2020-01-01", "2025-12-31", 2192),
        (SMARD_HOURLY, "SMARD CSV", "DE-LU", "2024-01-01", "2024-12-31", 366),
        (SMARD_QUARTER, "SMARD CSV", "DE-LU", "2024-01-01", "2024-12-31", 366),
        ("smard_derived", "SMARD-style CSV", "DE-LU", "2018-10-01", "2025-05-13", 2417),
        ("epftoolbox/DE.csv", "epftoolbox CSV", None, "2012-01-09", "2017-12-31", 2184),
        (
            "entsoe/da_prices_2025.csv",
            "ENTSO-E CSV (new platform)",
            "DE-LU",
            "2025-01-01",
            "2025-03-20",
            79,
        ),
        (
            "entsoe/Day_ahead_Prices_2019_france.csv",
            "ENTSO-E CSV (legacy)",
            "FR",
            "2019-01-01",
            "2019-12-31",
            365,
        ),
    ],
)
def test_every_shared_file_loads(shared_data, name, fmt, zone, first, last, n_days):
    prices = load_prices(shared_data / name)
    assert prices.name == "price" and prices.dtype == np.float64
    assert str(prices.index.tz) == "Europe/Berlin"
    assert prices.index.is_monotonic_increasing and prices.index.is_unique
    assert not prices.isna().any()
    assert prices.attrs["format"] == fmt and prices.attrs["zone"] == zone
    curves = daily_curves(prices)
    assert list(curves.columns) == [f"h{h:02d}" for h in range(24)]
    assert curves.index[0] == pd.Timestamp(first) and curves.index[-1] == pd.Timestamp(last)
    assert len(curves) == n_days
    assert np.isfinite(curves.to_numpy()).all()


def test_energy_charts_folder(energy_charts):
    assert len(energy_charts) == 59235  # UTC stamps: no value is lost or merged
    assert (
        energy_charts.attrs["resolution"]
        == "60min 2020-01-01..2025-09-30, 15min 2025-10-01..2025-12-31"
    )
    assert energy_charts.min() == -500.0 and energy_charts.max() == 936.28
    assert energy_charts[pd.Timestamp("2020-01-01 01:00", tz="Europe/Berlin")] == 38.6


def test_three_publishers_agree_on_de_lu(shared_data, ec_curves):
    """Energy-Charts JSON, SMARD CSV and ENTSO-E Sequence 1 give identical DE-LU prices."""
    ec = load_prices(shared_data / "energy_charts_de_lu")
    smard = load_prices(shared_data / SMARD_HOURLY)
    common = smard.index.intersection(ec.index)
    assert len(common) == 8784
    # identical to the cent (the Energy-Charts payload itself has a few values like 0.5700000000000001)
    np.testing.assert_array_equal(smard[common].to_numpy(), ec[common].round(2).to_numpy())
    for other in (SMARD_QUARTER, "smard_derived", "entsoe/da_prices_2025.csv"):
        curves = daily_curves(load_prices(shared_data / other))
        days = curves.index.intersection(ec_curves.index)
        assert len(days) >= 79
        np.testing.assert_allclose(curves.loc[days], ec_curves.loc[days], rtol=0, atol=1e-9)


def test_entsoe_sequence_choice(shared_data):
    seq1 = load_prices(shared_data / "entsoe/da_prices_2025.csv")
    seq2 = load_prices(shared_data / "entsoe/da_prices_2025.csv", sequence=2)
    assert seq1.attrs["resolution"] == "15min"
    assert seq2.index[-1] == pd.Timestamp("2025-03-21 23:45", tz="Europe/Berlin")  # only Sequence 2
    assert not np.allclose(seq1.iloc[:96].to_numpy(), seq2.iloc[:96].to_numpy())


def test_smard_zones(shared_data, caplog):
    with caplog.at_level(logging.INFO, logger="tsgan"):
        de = load_prices(shared_data / SMARD_HOURLY)
    assert "using DE-LU" in caplog.text
    assert len(de.attrs["zones"]) == 17
    at = load_prices(shared_data / SMARD_HOURLY, zone="Österreich")
    assert at.attrs["zone"] == "AT" and not np.allclose(at.to_numpy(), de.to_numpy())
    assert load_prices(shared_data / SMARD_HOURLY, zone="at").equals(at)
    with pytest.raises(
        DataError, match=r"zone 'XX' is not in the file; zones present: DE-LU, .*AT"
    ):
        load_prices(shared_data / SMARD_HOURLY, zone="XX")


def test_dst_days(shared_data, energy_charts):
    """Every DST day becomes 24 hourly values under interpolate and disappears under drop."""
    spring = ["2020-03-29", "2021-03-28", "2022-03-27", "2023-03-26", "2024-03-31", "2025-03-30"]
    autumn = ["2020-10-25", "2021-10-31", "2022-10-30", "2023-10-29", "2024-10-27", "2025-10-26"]
    interp = daily_curves(energy_charts)
    dropped = daily_curves(energy_charts, dst="drop")
    assert sorted(interp.attrs["dst_days"]) == sorted(spring + autumn)
    for day in spring + autumn:
        assert interp.loc[day].notna().all()
        assert pd.Timestamp(day) not in dropped.index
        assert "DST day" in dropped.attrs["dropped"][day]
    assert len(dropped) == len(interp) - 12
    # spring: 02:00 is the mean of 01:00 and 03:00; autumn: the two 02:00 hours are averaged
    day = interp.loc["2024-03-31"]
    assert day["h02"] == pytest.approx((day["h01"] + day["h03"]) / 2)
    raw = energy_charts["2024-10-27"]
    assert interp.loc["2024-10-27", "h02"] == pytest.approx((82.23 + 80.43) / 2)
    assert len(raw) == 25
    # the first 15-minute autumn day: 100 quarter-hours → 24 hours
    oct26 = energy_charts["2025-10-26"]
    assert len(oct26) == 100
    assert interp.loc["2025-10-26", "h02"] == pytest.approx(oct26.iloc[8:16].mean())
    # SMARD local-time files: row order tells the two 02:00 hours apart
    smard = load_prices(shared_data / SMARD_HOURLY)
    oct27 = smard["2024-10-27"]
    two = oct27[oct27.index.hour == 2]
    assert two.tolist() == [82.23, 80.43]
    assert [t.utcoffset().seconds // 3600 for t in two.index] == [2, 1]
    assert len(smard["2024-03-31"]) == 23
    for name in (SMARD_HOURLY, "smard_derived", "entsoe/Day_ahead_Prices_2019_france.csv"):
        curves = daily_curves(load_prices(shared_data / name))
        assert curves.attrs["dst_days"], name
        assert (
            not daily_curves(load_prices(shared_data / name), dst="drop")
            .index.isin(pd.to_datetime(curves.attrs["dst_days"]))
            .any()
        )


def test_quarter_hour_curves(energy_charts):
    q = daily_curves(energy_charts, freq="15min")
    assert list(q.columns[:2]) == ["q00", "q01"] and q.shape[1] == 96
    assert q.index[0] == pd.Timestamp("2025-10-01") and len(q) == 92
    h = daily_curves(energy_charts["2025-10-01":])
    np.testing.assert_allclose(q.to_numpy().reshape(-1, 24, 4).mean(axis=2), h.to_numpy())
    with pytest.raises(DataError, match="15-minute curves asked of hourly prices"):
        daily_curves(energy_charts[:"2024-12-31"], freq="15min")


def test_epftoolbox_keeps_every_dst_normalised_day(shared_data):
    """24 rows every local day (the autumn 02:00 hours collapsed): every day is kept, and
    the DST days' curves are the file's own 24 values."""
    curves = daily_curves(load_prices(shared_data / "epftoolbox/DE.csv"))
    assert len(curves) == 2184 and curves.attrs["dropped"] == {}
    raw = pd.read_csv(shared_data / "epftoolbox/DE.csv", index_col=0, parse_dates=True)["Price"]
    for day in ("2012-10-28", "2016-10-30"):  # autumn: the collapsed row, exactly
        np.testing.assert_allclose(curves.loc[day].to_numpy(), raw.loc[day].to_numpy(), atol=1e-9)
    for day in ("2012-03-25", "2017-03-26"):  # spring: 02:00 interpolated again, as the file
        # did, which rounded it to the cent
        np.testing.assert_allclose(
            curves.loc[day].to_numpy(), raw.loc[day].to_numpy(), atol=0.005 + 1e-9
        )


def test_loading_a_list_and_overlaps(shared_data):
    both = load_prices(
        [shared_data / SMARD_HOURLY, shared_data / "energy_charts_de_lu/2024-06-01.json"]
    )
    assert len(both) == 8784  # the day overlaps with identical prices


# --------------------------------------------------------------------------- bad input

BAD_FILES = {
    "empty.csv": r"empty\.csv: the file is empty",
    "header_only.csv": r"header_only\.csv: header only, no data rows",
    "unrecognized.csv": r"unrecognized\.csv: no time column .* not a recognised format \(tried: SMARD CSV; ENTSO-E",
    "no_price_column.csv": r"no_price_column\.csv: no price column among \['time', 'volume_mwh'\]",
    "bad_timestamp.csv": r"bad_timestamp\.csv: line 3: time stamp '2024-13-45 99:00'",
    "non_numeric_price.csv": r"non_numeric_price\.csv: line 3: price 'abc' in column 'Deutschland/Luxemburg",
    "conflicting_duplicate.csv": r"conflicting_duplicate\.csv: line \d: time 2024-01-01T01:00:00\+01:00 appears twice with different prices \(40\.1 and 43\)",
    "mixed_resolution.csv": r"mixed_resolution\.csv: mixed resolutions on 2024-01-01: stamp 02:15",
    "all_missing.csv": r"all_missing\.csv: no prices, only missing values",
    "truncated.json": r"truncated\.json: not valid JSON .* the file may be truncated",
    "wrong_delimiter.csv": r"wrong_delimiter\.csv: line 1: cannot split the header 'time\|price'",
    "unknown_json.json": r"unknown_json\.json: JSON without 'unix_seconds'\+'price'",
}


@pytest.mark.parametrize(("name", "pattern"), sorted(BAD_FILES.items()))
def test_bad_files_raise_one_line(name, pattern):
    with pytest.raises(DataError, match=pattern) as info:
        load_prices(BAD / name)
    assert "\n" not in str(info.value)
    assert isinstance(info.value, ValueError)


def test_corpus_is_complete():
    on_disk = {p.name for p in BAD.iterdir()} - {"no_complete_day.csv"}
    assert on_disk == set(BAD_FILES)


def test_no_complete_day():
    prices = load_prices(BAD / "no_complete_day.csv")
    with pytest.raises(
        DataError, match=r"no_complete_day\.csv: no complete day in 2024-01-01\.\.2024-01-01"
    ):
        daily_curves(prices)


def test_missing_file():
    with pytest.raises(DataError, match=r"nowhere\.csv: no such file or directory"):
        load_prices(BAD / "nowhere.csv")


def test_gaps_are_dropped_not_filled():
    idx = pd.date_range("2024-05-01", "2024-05-04", freq="h", tz="Europe/Berlin", inclusive="left")
    prices = pd.Series(np.arange(len(idx), dtype=float), index=idx).drop(idx[30])
    curves = daily_curves(prices)
    assert list(curves.index.strftime("%Y-%m-%d")) == ["2024-05-01", "2024-05-03"]
    assert curves.attrs["dropped"] == {"2024-05-02": "incomplete: 23 of 24 60-minute prices"}


def test_generic_table_and_parquet(tmp_path):
    idx = pd.date_range("2024-01-01", periods=48, freq="h", tz="Europe/Berlin")
    frame = pd.DataFrame(
        {"timestamp": idx, "price_eur_mwh": np.linspace(10, 50, 48), "volume": 1.0}
    )
    frame.to_parquet(tmp_path / "p.parquet")
    frame.assign(timestamp=idx.strftime("%Y-%m-%dT%H:%M:%S%z")).to_csv(
        tmp_path / "p.csv", index=False
    )
    a = load_prices(tmp_path / "p.parquet")
    b = load_prices(tmp_path / "p.csv")
    assert a.attrs["format"] == "Parquet table" and b.attrs["format"] == "CSV table"
    pd.testing.assert_series_equal(a, b, check_freq=False)
    two = frame.assign(other_price=1.0)
    two.to_csv(tmp_path / "two.csv", index=False)
    with pytest.raises(DataError, match="several price-like columns"):
        load_prices(tmp_path / "two.csv")
    assert load_prices(tmp_path / "two.csv", price_col="other_price").eq(1.0).all()


def test_smard_english_variant(tmp_path):
    text = (
        "Market data;;\n\n"
        "Start date;End date;Germany/Luxembourg [€/MWh] Original resolutions;Austria [€/MWh] Original resolutions\n"
        + "".join(
            f"Jan 1, 2024 {h % 12 or 12}:00 {'AM' if h < 12 else 'PM'};x;{1000 + h:,.2f};{h}.50\n"
            for h in range(24)
        )
    )
    (tmp_path / "en.csv").write_text(text, encoding="utf-8-sig")
    prices = load_prices(tmp_path / "en.csv")
    assert prices.attrs["format"] == "SMARD CSV (English)" and prices.attrs["zone"] == "DE-LU"
    assert prices.iloc[13] == 1013.0 and prices.index[13].hour == 13


def test_calendar_features():
    f = tsgan.calendar_features(pd.date_range("2024-12-23", "2024-12-29"))
    assert f["holiday"].tolist() == [0, 0, 1, 1, 0, 0, 0]
    assert f["weekend"].tolist() == [0, 0, 0, 0, 0, 1, 1]
    assert np.allclose(f["month_sin"] ** 2 + f["month_cos"] ** 2, 1)
    easter = tsgan.calendar_features(["2025-04-18", "2025-04-21", "2025-05-01", "2025-10-03"])
    assert easter["holiday"].tolist() == [1, 1, 1, 1]


def test_demo_prices():
    prices = tsgan.demo_prices("2023-01-01", "2024-12-31", seed=3)
    assert prices.equals(tsgan.demo_prices("2023-01-01", "2024-12-31", seed=3))
    assert not prices.equals(tsgan.demo_prices("2023-01-01", "2024-12-31", seed=4))
    assert "demo" in prices.attrs["format"]
    assert len(prices["2024-03-31"]) == 23 and len(prices["2024-10-27"]) == 25
    curves = daily_curves(prices)
    assert len(curves) == 731 and not curves.attrs["dropped"]
    neg = (curves < 0).groupby(curves.index.month).mean().mean(axis=1)
    assert neg[[4, 5, 6, 7, 8]].mean() > 0.03 > neg[[1, 2, 11, 12]].mean()
    cal = tsgan.calendar_features(curves.index)
    level = curves.mean(axis=1)
    assert level[cal.dow < 5].mean() > level[cal.dow == 5].mean() > level[cal.dow == 6].mean()
    assert 60 < curves.to_numpy().mean() < 120


# --------------------------------------------------------------------------- property


def reference_curves(prices: pd.Series, step_minutes: int) -> dict[pd.Timestamp, np.ndarray]:
    """A slow, obvious daily_curves(freq='1h'): one local day at a time."""
    local = prices.tz_convert("Europe/Berlin")
    out = {}
    for day, values in local.groupby(local.index.tz_localize(None).normalize()):
        start = pd.Timestamp(day).tz_localize("Europe/Berlin")
        end = (pd.Timestamp(day) + pd.Timedelta(days=1)).tz_localize("Europe/Berlin")
        expected = int((end - start) / pd.Timedelta(minutes=step_minutes))
        if len(values) != expected:
            continue
        hours = np.full(24, np.nan)
        for h in range(24):
            in_hour = values[values.index.hour == h]
            if len(in_hour):
                hours[h] = in_hour.mean()
        if np.isnan(hours[2]):
            hours[2] = (hours[1] + hours[3]) / 2
        out[pd.Timestamp(day)] = hours
    return out


@settings(max_examples=60, deadline=None)
@given(
    start=st.dates(
        min_value=pd.Timestamp("2019-01-01").date(), max_value=pd.Timestamp("2026-12-31").date()
    ),
    n_days=st.integers(1, 5),
    step=st.sampled_from([15, 60]),
    offset_days=st.sampled_from([0, 0, -2, -1]),
    drop=st.lists(st.integers(0, 500), max_size=4),
    seed=st.integers(0, 2**16),
    dst_day=st.booleans(),
)
def test_daily_curves_property(start, n_days, step, offset_days, drop, seed, dst_day):
    day0 = pd.Timestamp(start)
    if dst_day:  # make the range cross a DST change
        change = (
            pd.Timestamp(f"{day0.year}-03-31") if seed % 2 else pd.Timestamp(f"{day0.year}-10-31")
        )
        change -= pd.Timedelta(days=(change.day_of_week + 1) % 7)  # last Sunday of the month
        day0 = change + pd.Timedelta(days=offset_days)
    idx = pd.date_range(
        day0.tz_localize("Europe/Berlin"),
        (day0 + pd.Timedelta(days=n_days)).tz_localize("Europe/Berlin"),
        freq=f"{step}min",
        inclusive="left",
    )
    rng = np.random.default_rng(seed)
    prices = pd.Series(rng.normal(50, 30, len(idx)).round(2), index=idx, name="price")
    prices = prices.drop(idx[[d % len(idx) for d in drop]])
    expected = reference_curves(prices, step)
    if not expected:
        with pytest.raises(DataError, match="no complete day"):
            daily_curves(prices)
        return
    got = daily_curves(prices)
    assert list(got.index) == sorted(expected)
    np.testing.assert_allclose(got.to_numpy(), np.array([expected[d] for d in sorted(expected)]))
    assert len(got.attrs["dropped"]) == n_days - len(expected)


def test_zone_given_for_a_file_that_does_not_state_it(shared_data):
    prices = load_prices(shared_data / "energy_charts_de_lu" / "2024-01-01.json", zone="de_lu")
    assert prices.attrs["zone"] == "DE-LU"
    assert (
        load_prices(shared_data / "energy_charts_de_lu" / "2024-01-01.json").attrs["zone"] is None
    )


HOURS = [f"2024-03-0{1 + h // 24} {h % 24:02d}:00" for h in range(48)]


@pytest.mark.parametrize(
    ("sep", "values", "decimal", "expected"),
    [
        (";", ["60.63"] + ["70"] * 47, None, 60.63),  # ';' file, '.' decimals (was ×100)
        (",", ['"60,63"'] + ["70"] * 47, None, 60.63),  # quoted comma decimals (was ×100)
        (";", ["1.234,5"] + ["7,25"] * 47, None, 1234.5),
        (",", ['"1,234.5"'] + ["7.25"] * 47, None, 1234.5),
        (";", ["1.234"] + ["7,25"] * 47, None, 1234.0),  # settled by the other rows
        (";", ["1.234"] + ["70"] * 47, ",", 1234.0),  # settled by the option
        (";", ["1.234"] + ["70"] * 47, ".", 1.234),
        (";", ["60.63"] + ["7,25"] * 47, None, "mixes decimal marks: '60.63' (line 2)"),
        (";", ["1.234"] + ["70"] * 47, None, "give it with decimal= (--decimal)"),
        (";", ["60.63"] + ["70"] * 47, ",", "has '.' as its decimal mark"),
        (";", ["1,2345.5"] + ["7.25"] * 47, None, "thousands groups need 3 digits"),
    ],
)
def test_the_decimal_mark_comes_from_the_values(tmp_path, sep, values, decimal, expected):
    path = tmp_path / "prices.csv"
    rows = [f"time{sep}price"] + [f"{t}{sep}{v}" for t, v in zip(HOURS, values, strict=True)]
    path.write_text("\n".join(rows) + "\n")
    if isinstance(expected, str):
        with pytest.raises(
            DataError, match=expected.replace("(", r"\(").replace(")", r"\)")
        ) as err:
            load_prices(path, decimal=decimal)
        assert str(path) in str(err.value) and "\n" not in str(err.value)
    else:
        prices = load_prices(path, decimal=decimal)
        assert prices.iloc[0] == pytest.approx(expected) and (prices.iloc[1:] > 1).all()


@pytest.mark.parametrize(
    ("stamps", "dayfirst", "expected"),
    [
        (
            [f"{d:02d}/03/2024 {h:02d}:00" for d in (1, 2, 13) for h in range(24)],
            None,
            "2024-03-13",
        ),
        (
            [f"03/{d:02d}/2024 {h:02d}:00" for d in (1, 2, 13) for h in range(24)],
            None,
            "2024-03-13",
        ),
        ([f"{d:02d}/03/2024 {h:02d}:00" for d in (1, 2) for h in range(24)], True, "2024-03-02"),
        ([f"{d:02d}/03/2024 {h:02d}:00" for d in (1, 2) for h in range(24)], False, "2024-02-03"),
        ([f"{d:02d}/03/2024 {h:02d}:00" for d in (1, 2) for h in range(24)], None, "--dayfirst"),
        (
            [f"2024-03-01T{h:02d}:00+01:00" for h in range(24)]
            + [f"2024-03-02 {h:02d}:00" for h in range(24)],
            None,
            "mixes times with a UTC offset",
        ),
    ],
)
def test_day_month_order_and_offsets_are_never_guessed(tmp_path, stamps, dayfirst, expected):
    path = tmp_path / "prices.csv"
    path.write_text("time,price\n" + "".join(f"{t},{50 + i % 7}\n" for i, t in enumerate(stamps)))
    if expected.startswith("20"):
        curves = daily_curves(load_prices(path, dayfirst=dayfirst))
        assert f"{curves.index[-1]:%Y-%m-%d}" == expected
    else:
        with pytest.raises(DataError, match=expected) as err:
            load_prices(path, dayfirst=dayfirst)
        assert str(path) in str(err.value)


def test_naive_times_are_wall_clock_everywhere_and_tz_changes_it(tmp_path):
    """One rule for files, Series and the API: naive = wall clock in ``tz`` (Berlin by default)."""
    stamps = pd.date_range("2024-11-02", "2024-11-05", freq="h", inclusive="left")
    # PJM-like: US wall clock, the repeated 01:00 of 2024-11-03 written twice in row order
    rows = [t for t in stamps for _ in range(2 if t == pd.Timestamp("2024-11-03 01:00") else 1)]
    values = np.arange(len(rows), dtype=float)
    path = tmp_path / "pjm.csv"
    pd.DataFrame({"time": [f"{t:%Y-%m-%d %H:%M}" for t in rows], "price": values}).to_csv(
        path, index=False
    )
    prices = load_prices(path, tz="America/New_York")
    assert str(prices.index.tz) == "America/New_York" and len(prices) == 73
    curves = daily_curves(prices)  # the delivery days of the index's time zone
    assert list(curves.index.strftime("%Y-%m-%d")) == ["2024-11-02", "2024-11-03", "2024-11-04"]
    assert curves.loc["2024-11-03", "h01"] == (values[25] + values[26]) / 2  # the two 01:00 hours
    assert curves.attrs["dst_days"] == ["2024-11-03"]

    naive = pd.Series(np.arange(72.0), index=pd.date_range("2024-03-01", periods=72, freq="h"))
    berlin = naive.tz_localize("Europe/Berlin")
    pd.testing.assert_frame_equal(daily_curves(naive), daily_curves(berlin))
    with pytest.raises(DataError, match="tz 'Mars/Base' is not a time zone"):
        load_prices(path, tz="Mars/Base")


def test_a_dst_change_at_midnight_gives_whole_days(tmp_path):
    """America/Santiago moves its clocks at midnight: 2024-09-08 begins at 01:00 and
    2024-04-06 ends with 23:00 twice. Both are whole days (the skipped midnight filled
    from its neighbour), and their delivery intervals are 23 and 25 hours."""
    from tsgan.model.sampling import delivery_intervals

    tz = "America/Santiago"
    frames = []
    for first, last in (("2024-04-04", "2024-04-09"), ("2024-09-05", "2024-09-11")):
        times = pd.date_range(first, last, freq="h", tz=tz, inclusive="left")
        frames.append(pd.DataFrame({"time": times.strftime("%Y-%m-%dT%H:%M%z"), "price": 50.0}))
        frames[-1].loc[frames[-1].index % 24 == 5, "price"] = 80.0
    source = tmp_path / "santiago.csv"
    pd.concat(frames).to_csv(source, index=False)
    curves = tsgan.daily_curves(tsgan.load_prices(source, tz=tz))
    assert np.isfinite(curves.to_numpy()).all()
    assert curves.attrs["dst_days"] == ["2024-04-06", "2024-09-08"]
    spring = curves.loc["2024-09-08"]
    assert spring["h00"] == spring["h01"]  # the hour the clock skips, from its neighbour
    wide = curves.loc[["2024-04-06", "2024-09-08"]].reset_index()
    wide.insert(1, "scenario", 1)
    long = delivery_intervals(wide, timezone=tz)
    local = long["time"].dt.strftime("%Y-%m-%d")
    assert local.value_counts().to_dict() == {"2024-04-06": 25, "2024-09-08": 23}
    assert long["time"].iloc[25].strftime("%H:%M") == "01:00"


def test_a_link_out_of_a_data_folder_is_not_followed(tmp_path):
    """A folder's symbolic link to a file elsewhere is not one of its files: not read, and
    nothing of the target is quoted."""
    folder = tmp_path / "prices"
    folder.mkdir()
    hours = "".join(
        f"2024-03-{d:02d} {h:02d}:00,{40 + h}.5\n" for d in range(1, 4) for h in range(24)
    )
    (folder / "good.csv").write_text("time,price\n" + hours)
    secret = tmp_path / "secret.csv"
    secret.write_text("password=hunter2\n")
    (folder / "link.csv").symlink_to(secret)
    prices = load_prices(folder)
    assert prices.attrs["sources"] == [str(folder / "good.csv")] and len(prices) == 72
    (folder / "good.csv").unlink()
    with pytest.raises(DataError) as err:
        load_prices(folder)
    assert "hunter2" not in str(err.value) and "holds no" in str(err.value)


def test_a_dst_normalised_file_of_another_market_keeps_its_days(tmp_path):
    """24 rows every day (the skipped spring hour filled, the autumn hour once), with a plain
    header and New York time: every day kept, the layout said in the notes."""
    rows = []
    for day in pd.date_range("2023-03-10", "2023-11-10"):
        for hour in range(24):
            rows.append((f"{day:%Y-%m-%d} {hour:02d}:00", 30 + hour + day.day_of_year % 7))
    source = tmp_path / "us.csv"
    pd.DataFrame(rows, columns=["time", "price"]).to_csv(source, index=False)
    prices = load_prices(source, tz="America/New_York")
    curves = daily_curves(prices)
    assert len(curves) == len(pd.date_range("2023-03-10", "2023-11-10"))
    assert curves.attrs["dropped"] == {}
    assert curves.attrs["dst_days"] == ["2023-03-12", "2023-11-05"]
    assert any("DST-normalised" in note for note in prices.attrs["notes"])
    assert curves.loc["2023-11-05", "h01"] == 30 + 1 + pd.Timestamp("2023-11-05").day_of_year % 7


def test_utf16_and_legacy_code_page_files_are_read(tmp_path):
    """Excel's "Unicode text" (UTF-16 with its BOM) and a CP850 header are read, not called
    binary or undecodable."""
    hours = "".join(
        f"2024-03-{d:02d} {h:02d}:00,{40 + h}.5\n" for d in range(1, 3) for h in range(24)
    )
    utf16 = tmp_path / "utf16.csv"
    utf16.write_bytes(("time,price\n" + hours).encode("utf-16"))
    cp850 = tmp_path / "cp850.csv"
    cp850.write_bytes("zeit,preis \u00e4\u00fc\n".encode("cp850") + hours.encode())
    for source in (utf16, cp850):
        curves = daily_curves(load_prices(source))
        assert curves.shape == (2, 24) and curves.iloc[0, 5] == 45.5, source
