"""Metrics against independent computations and against behaviour; baselines; the report."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import scoringrules as sr
from scipy.stats import norm

from tsgan import evaluation as ev
from tsgan.cli import main


@pytest.fixture
def rng():
    return np.random.default_rng(7)


def test_energy_variogram_crps_match_scoringrules(rng):
    X, Y = rng.normal(size=(60, 5)), rng.normal(0.3, 1.2, size=(9, 5))
    ens = np.broadcast_to(X, (9, 60, 5))
    np.testing.assert_allclose(ev.energy_terms(X, Y)[0], sr.es_ensemble(Y, ens))
    np.testing.assert_allclose(ev.variogram_scores(X, Y), sr.vs_ensemble(Y, ens, p=0.5))
    crps = np.asarray(sr.crps_ensemble(Y, np.broadcast_to(X.T[None], (9, 5, 60)))).mean(axis=0)
    np.testing.assert_allclose(ev.crps_per_hour(X, Y), crps)


def test_delta_es_closed_form_for_gaussians(rng):
    """1-D N(0,1) against N(mu,1): ΔES = E|X−Y| − E|X−X'| (half the energy distance)."""
    mu = 1.0
    s = np.sqrt(2.0)  # sd of X − Y
    e_xy = s * np.sqrt(2 / np.pi) * np.exp(-(mu**2) / (2 * s**2)) + mu * (1 - 2 * norm.cdf(-mu / s))
    expected = e_xy - 2 / np.sqrt(np.pi)
    grid = norm.ppf((np.arange(3000) + 0.5) / 3000)[:, None]  # an even sample of N(0, 1)
    got = ev.delta_energy_score(grid, grid + mu)
    assert got == pytest.approx(expected, abs=2e-3)


def test_mmd_density_coverage_nn_copy_against_brute_force(rng):
    X, Y, T = rng.normal(size=(12, 3)), rng.normal(0.5, 1, size=(10, 3)), rng.normal(size=(15, 3))
    bw = [0.7, 1.5]
    k = lambda a, b: sum(np.exp(-np.sum((a - b) ** 2) / (2 * s**2)) for s in bw)  # noqa: E731
    xx = sum(k(X[i], X[j]) for i in range(12) for j in range(12) if i != j) / (12 * 11)
    yy = sum(k(Y[i], Y[j]) for i in range(10) for j in range(10) if i != j) / (10 * 9)
    xy = sum(k(a, b) for a in X for b in Y) / 120
    assert ev.mmd2(X, Y, bw) == pytest.approx(xx + yy - 2 * xy)

    dist = lambda a, b: np.sqrt(np.sum((a - b) ** 2))  # noqa: E731
    radii = [sorted(dist(y, z) for z in Y)[5] for y in Y]
    density = sum(dist(x, y) <= r for x in X for y, r in zip(Y, radii, strict=True)) / (5 * 12)
    coverage = np.mean([any(dist(x, y) <= r for x in X) for y, r in zip(Y, radii, strict=True)])
    assert ev.density_coverage(X, Y) == pytest.approx((density, coverage))

    Z, labels = np.vstack([X[:10], Y]), [0] * 10 + [1] * 10
    hits = 0
    for i in range(20):
        j = min((dist(Z[i], Z[j]), j) for j in range(20) if j != i)[1]
        hits += labels[i] == labels[j]
    assert ev.one_nn_accuracy(X[:10], Y) == pytest.approx(hits / 20)

    gen = np.median([min(dist(x, t) for t in T) for x in X])
    test = np.median([min(dist(y, t) for t in T) for y in Y])
    assert ev.copy_ratio(X, Y, T) == pytest.approx(gen / test)


def test_one_nn_accuracy_uses_every_scenario_in_disjoint_parts(rng):
    X, Y = rng.normal(size=(35, 3)), rng.normal(0.5, 1, size=(10, 3))
    order = np.random.default_rng(4).permutation(35)[:30].reshape(3, 10)
    per_part = [ev.one_nn_accuracy(X[part], Y) for part in order]
    assert ev.one_nn_accuracy(X, Y, seed=4) == pytest.approx(np.mean(per_part))
    assert ev.one_nn_accuracy(Y, X, seed=4) == pytest.approx(np.mean(per_part))  # symmetric
    # the mean over the parts moves less with the draw than one subsample did
    X, Y = rng.normal(size=(2000, 24)), rng.normal(size=(200, 24))
    one_part = [ev.one_nn_accuracy(X[rng.choice(2000, 200, replace=False)], Y) for _ in range(20)]
    all_parts = [ev.one_nn_accuracy(X, Y, seed=s) for s in range(20)]
    assert np.std(all_parts) < 0.5 * np.std(one_part)


def curves_like(rng, n, *, shift=0.0, scale=1.0):
    hours = np.arange(24)
    base = 80 + 30 * np.sin((hours - 6) / 24 * 2 * np.pi)
    return base + shift + scale * (rng.normal(0, 15, (n, 1)) + rng.normal(0, 8, (n, 24)))


def test_behaviour_of_the_scores(rng):
    T, Y = curves_like(rng, 600), curves_like(rng, 300)
    same = ev.score(curves_like(rng, 600), Y, T)
    shifted = ev.score(curves_like(rng, 600, shift=25), Y, T)
    shrunk = ev.score(curves_like(rng, 600, scale=0.3), Y, T)
    for key in ("delta_es", "crps_mean", "mmd2", "max_ks"):
        assert same[key] < shifted[key] and same[key] < shrunk[key], key
    assert abs(same["delta_es"]) < 1.0 and 0.4 < same["one_nn_accuracy"] < 0.6
    assert same["coverage"] > 0.9 and 0.8 < same["copy_ratio"] < 1.2
    collapsed = ev.score(np.tile(Y.mean(axis=0), (600, 1)) + rng.normal(0, 0.5, (600, 24)), Y, T)
    assert collapsed["coverage"] < 0.3 and collapsed["one_nn_accuracy"] > 0.9
    copying = ev.score(T[rng.integers(0, len(T), 600)], Y, T)
    assert copying["copy_ratio"] < 0.05
    identical = ev.score(Y, Y, T)
    assert identical["delta_es"] == pytest.approx(0, abs=1e-9) and identical["spearman_gap"] == 0


def test_resampling_excess_is_what_n_days_cost_against_their_distribution(rng):
    # N standard normal days (1-D for the energy score, 2-D for the variogram score, where
    # the true distribution's scores are known exactly): the empirical distribution's mean
    # score over many draws exceeds the truth's by resampling_excess of N days
    n, reps, y = 5, 4000, np.linspace(-2.5, 2.5, 11)
    es_excess = np.mean(
        [ev.energy_terms(rng.normal(size=(n, 1)), y[:, None])[0] for _ in range(reps)], axis=0
    ) - sr.crps_normal(y, 0.0, 1.0)
    m1 = np.sqrt(2 / np.pi) * 1.2254167024651776  # E|x1 − x2|^½ = √2 Γ(¾) / √π
    y2 = np.stack([y, -0.3 * y], axis=1)
    vs_truth = 2 * (np.abs(y2[:, 0] - y2[:, 1]) ** 0.5 - m1) ** 2
    vs_excess = (
        np.mean([ev.variogram_scores(rng.normal(size=(n, 2)), y2) for _ in range(reps)], axis=0)
        - vs_truth
    )
    big = rng.normal(size=(4000, 2))
    expected_es = ev.resampling_excess(big[:, :1])["es"] * len(big) / n  # 1/(√π n)
    expected_vs = ev.resampling_excess(big)["vs"] * len(big) / n  # 2 Var|x1−x2|^½ / n
    assert expected_es == pytest.approx(1 / (np.sqrt(np.pi) * n), rel=0.03)
    assert expected_vs == pytest.approx(2 * (2 / np.sqrt(np.pi) - m1**2) / n, rel=0.05)
    np.testing.assert_allclose(es_excess, expected_es, rtol=0.2)  # a factor 2 off fails
    assert vs_excess.mean() == pytest.approx(expected_vs, rel=0.2)
    with pytest.raises(ValueError, match="two training days"):
        ev.resampling_excess(np.zeros((1, 24)))


def test_diebold_mariano_and_halves(rng):
    stat, p = ev.diebold_mariano(rng.normal(0, 1, 200), rng.normal(0, 1, 200))
    assert p > 0.01
    stat, p = ev.diebold_mariano(rng.normal(0, 1, 200), rng.normal(0.8, 1, 200))
    assert stat < 0 and p < 1e-4
    dates = pd.date_range("2024-01-01", "2024-12-31")
    a, b = ev.stratified_halves(dates, rng)
    assert len(a) + len(b) == 366 and not set(a) & set(b) and abs(len(a) - len(b)) <= 1
    dow_a = np.bincount(dates[a].day_of_week, minlength=7)
    dow_b = np.bincount(dates[b].day_of_week, minlength=7)
    assert np.abs(dow_a - dow_b).max() <= 6  # at most one per month-weekday group


def test_baselines_fit_the_training_curves(rng):
    T = curves_like(rng, 2000)
    for name, make in ev.BASELINES.items():
        sample = make(T)(3000, np.random.default_rng(0))
        assert sample.shape == (3000, 24), name
        np.testing.assert_allclose(sample.mean(axis=0), T.mean(axis=0), atol=3, err_msg=name)
    copula = ev.gaussian_copula(T)(4000, np.random.default_rng(1))
    np.testing.assert_allclose(
        np.quantile(copula, [0.1, 0.9], axis=0), np.quantile(T, [0.1, 0.9], axis=0), atol=3
    )
    np.testing.assert_allclose(
        np.cov(ev.gaussian(T)(20000, rng), rowvar=False), np.cov(T, rowvar=False), atol=15
    )


def test_floor_protocol_ranks_a_perfect_generator_with_the_floor(rng):
    dates = pd.date_range("2023-01-01", periods=400)
    test = pd.DataFrame(curves_like(rng, 400), index=dates)
    train = pd.DataFrame(curves_like(rng, 800), index=pd.date_range("2020-01-01", periods=800))
    perfect = lambda m, seed: curves_like(np.random.default_rng(seed), m)  # noqa: E731
    results = ev.evaluate_generator(perfect, test, train, n=500, splits=5, seed=0)
    floor, model = results["matched"]["floor"]["delta_es"], results["matched"]["model"]["delta_es"]
    assert abs(model["mean"] - floor["mean"]) < 3 * max(floor["sd"], 0.2)
    assert results["matched"]["gaussian"]["delta_es"]["mean"] >= 0
    assert set(results["diebold_mariano"]) == set(ev.BASELINES)
    assert set(results["diebold_mariano"]["gaussian"]) == {"es", "vs"}
    # the reference: the bootstrap of training days against the other baselines, the
    # statistic's sign that of the difference of the two mean energy scores
    reference = results["diebold_mariano_bootstrap"]
    assert set(reference) == set(ev.BASELINES) - {"bootstrap"}
    full = results["full"]
    for name, row in reference.items():
        gap = full["bootstrap"]["delta_es"] - full[name]["delta_es"]
        assert np.sign(row["es"]["statistic"]) == np.sign(gap), name
        # the ideal generator is the bootstrap less a positive excess: always ahead of it
        for key in ("es", "vs"):
            ideal = results["diebold_mariano_ideal"][name][key]["statistic"]
            assert ideal < row[key]["statistic"], (name, key)
    assert results["resampling_excess"]["es"] > 0 and results["resampling_excess"]["vs"] > 0
    # the per-day scores behind the tests: one per test day, the tests recomputed from them,
    # and their means apart by what the ΔES of the full view is apart
    per_day = results["per_day"]
    assert set(per_day) == {"model", *ev.BASELINES}
    assert all(len(per_day[name][key]) == len(test) for name in per_day for key in ("es", "vs"))
    for key in ("es", "vs"):
        stat, p = ev.diebold_mariano(np.array(per_day["model"][key]), per_day["gaussian"][key])
        assert (stat, p) == pytest.approx(
            tuple(results["diebold_mariano"]["gaussian"][key].values())
        )
    gap = np.mean(per_day["model"]["es"]) - np.mean(per_day["gaussian"]["es"])
    assert gap == pytest.approx(full["model"]["delta_es"] - full["gaussian"]["delta_es"])
    for fact in ("negative_share_gap", "spread_ks", "peak_hour_tv", "roughness_gap"):
        gap, band = results["matched"]["model"][fact], results["matched"]["floor"][fact]
        assert gap["mean"] <= band["mean"] + 3 * band["sd"] + 1e-9, fact
    text = ev.report_markdown(results)
    assert "| ΔES (EUR/MWh) |" in text and "floor" in text and "Diebold" in text
    assert "| bootstrap vs | energy score" in text and "| ideal vs | energy score" in text


@pytest.mark.slow
def test_evaluate_command_on_real_days(shared_data, tmp_path, capsys):
    run, report = tmp_path / "run", tmp_path / "report"
    ec = str(shared_data / "energy_charts_de_lu")
    assert (
        main(
            [
                "train",
                ec,
                "--out",
                str(run),
                "--from",
                "2024-01-01",
                "--to",
                "2024-06-30",
                "--epochs",
                "2",
                "--no-gif",
            ]
        )
        == 0
    )
    code = main(
        [
            "evaluate",
            str(run),
            ec,
            "--from",
            "2025-01-01",
            "--to",
            "2025-03-31",
            "--n",
            "300",
            "--out",
            str(report),
        ]
    )
    assert code == 0
    names = {p.name for p in report.iterdir()}
    assert {
        "metrics.json",
        "report.md",
        "profile_bands.png",
        "hourly_quantiles.png",
        "correlations.png",
        "pca_scatter.png",
        "daily_histograms.png",
    } <= names
    metrics = json.loads((report / "metrics.json").read_text())
    assert metrics["n_test_days"] == 90 and metrics["n_train_days"] == 182
    assert set(metrics["matched"]) == {
        "model",
        "bootstrap",
        "gaussian",
        "gaussian_copula",
        "pca_kde",
        "floor",
    }
    assert "wrote" in capsys.readouterr().out


def test_fact_gaps_see_jagged_curves_and_a_missing_peak(rng):
    Y = curves_like(rng, 400)
    same = ev.fact_gaps(curves_like(rng, 400), Y)
    jagged = ev.fact_gaps(curves_like(rng, 400) + rng.normal(0, 15, (400, 24)), Y)
    no_noon_peak = curves_like(rng, 400)
    no_noon_peak[:, 9:16] -= 40
    assert jagged["roughness_gap"] > 5 * max(same["roughness_gap"], 0.5)
    assert ev.fact_gaps(no_noon_peak, Y)["peak_hour_tv"] > 2 * same["peak_hour_tv"]
    assert ev.fact_gaps(Y, Y) == dict.fromkeys(same, 0.0)


def test_tsgan_evaluate_is_a_deprecated_alias_of_evaluate_generator(rng):
    import tsgan

    days = pd.date_range("2024-01-01", periods=120)
    curves = pd.DataFrame(rng.normal(60, 10, (120, 24)), index=days)
    train, test = curves[:80], curves[80:]
    draw = lambda m, seed: np.random.default_rng(seed).normal(60, 10, (m, 24))  # noqa: E731
    with pytest.warns(DeprecationWarning, match="renamed tsgan.evaluate_generator"):
        old = tsgan.evaluate(draw, test, train, n=60, splits=2, seed=0)
    new = tsgan.evaluate_generator(draw, test, train, n=60, splits=2, seed=0)
    assert old["full"]["model"]["delta_es"] == new["full"]["model"]["delta_es"]
