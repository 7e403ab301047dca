"""Evaluation by condition: every test day against scenarios for its own date (and level).

A conditional generator is asked, for each held-out day, for scenarios of that day's
conditions: its date (day type and season) and, when it is conditioned on the level, the
day's realized mean price. It is compared with what a trader would do without a GAN,
fitted on the same training days: *analog days* (the training days of the same day type
within ±30 days of the season, with the level: their demeaned shapes shifted to the
level) and a Gaussian copula of those analogs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from tsgan.data.calendar import DAY_TYPES, SEASONS, day_types, seasons
from tsgan.evaluation.baselines import gaussian_copula
from tsgan.evaluation.metrics import crps_per_hour, energy_terms, variogram_scores
from tsgan.evaluation.report import (
    Evaluation,
    dm_tests,
    run_header,
    stratified_halves,
    write_results,
)

# generate(dates, levels or None, n_per_day, seed) -> (len(dates), n_per_day, n_steps) EUR/MWh
DayGenerate = Callable[[pd.DatetimeIndex, np.ndarray | None, int, int], np.ndarray]

SCORES = {
    "es": "energy score (EUR/MWh)",
    "vs": "variogram score p=0.5",
    "crps": "CRPS, mean over hours (EUR/MWh)",
}


def _season_distance(a: pd.DatetimeIndex, b: pd.Timestamp) -> np.ndarray:
    d = np.abs(a.day_of_year.to_numpy() - b.day_of_year)
    return np.minimum(d, 365 - d)


def analog_days(
    train_dates: pd.DatetimeIndex,
    day: pd.Timestamp,
    *,
    country: str = "DE",
    window: int = 30,
    min_days: int = 10,
    train_types: np.ndarray | None = None,
) -> np.ndarray:
    """Positions of the training days of ``day``'s type within ±``window`` days of its season.

    The season is the day of the year, in any training year. Where fewer than ``min_days``
    training days qualify, the window widens by 15 days at a time until enough do (or it
    spans the whole year).

    Example:
        >>> train = pd.date_range("2024-01-01", "2024-12-31")
        >>> idx = analog_days(train, pd.Timestamp("2025-04-13"))  # a Sunday
        >>> len(idx), set(day_types(train[idx]).tolist())  # Sundays and holidays, ±30 days
        (13, {2})
    """
    types = day_types(train_dates, country=country) if train_types is None else train_types
    same = types == day_types([day], country=country)[0]
    distance = _season_distance(train_dates, pd.Timestamp(day))
    while True:
        idx = np.flatnonzero(same & (distance <= window))
        if len(idx) >= min(min_days, same.sum()) or window >= 183:
            return idx
        window += 15


def analog_baselines(
    train: pd.DataFrame, *, level: bool, country: str = "DE", window: int = 30
) -> dict[str, DayGenerate]:
    """The two conditional baselines, as day generators like the model's.

    ``analog days`` resamples the analogs of each day (with ``level``: their demeaned shapes
    shifted to the day's level); ``analog copula`` draws from a Gaussian copula with
    empirical marginals fitted to those analogs (with ``level``: to their shapes, then
    shifted to the level).

    Example:
        >>> train = pd.DataFrame(np.random.default_rng(0).normal(80, 20, (366, 24)),
        ...                      index=pd.date_range("2024-01-01", periods=366))
        >>> gen = analog_baselines(train, level=True)["analog days"]
        >>> out = gen(pd.DatetimeIndex(["2025-04-13"]), np.array([50.0]), 10, 0)
        >>> out.shape, bool(np.allclose(out.mean(axis=2), 50.0))
        ((1, 10, 24), True)
    """
    dates = pd.DatetimeIndex(train.index)
    values = train.to_numpy(dtype="float64")
    types = day_types(dates, country=country)
    shapes = values - values.mean(axis=1, keepdims=True)

    def make(kind: str) -> DayGenerate:
        def generate(days, levels, n, seed):
            rng = np.random.default_rng(seed)
            out = np.empty((len(days), n, values.shape[1]))
            for i, day in enumerate(pd.DatetimeIndex(days)):
                idx = analog_days(dates, day, country=country, window=window, train_types=types)
                pool = shapes[idx] if level else values[idx]
                if kind == "days":
                    sample = pool[rng.integers(0, len(pool), n)]
                else:
                    sample = gaussian_copula(pool)(n, rng)
                if level:
                    sample = sample - sample.mean(axis=1, keepdims=True) + levels[i]
                out[i] = sample
            return out

        return generate

    return {"analog days": make("days"), "analog copula": make("copula")}


def per_day_scores(scenarios: np.ndarray, test: np.ndarray) -> dict[str, np.ndarray]:
    """Energy score, variogram score and mean CRPS of each day's own scenarios.

    Args:
        scenarios: ``(days, n, d)`` scenarios, one set per test day.
        test: ``(days, d)`` the realized curves.

    Example:
        >>> s = per_day_scores(np.zeros((2, 3, 24)), np.ones((2, 24)))
        >>> s["es"].round(3).tolist(), s["crps"].tolist()
        ([4.899, 4.899], [1.0, 1.0])
    """
    out = {key: np.empty(len(test)) for key in SCORES}
    for t, (X, y) in enumerate(zip(scenarios, test, strict=True)):
        out["es"][t] = energy_terms(X, y[None])[0][0]
        out["vs"][t] = variogram_scores(X, y[None])[0]
        out["crps"][t] = crps_per_hour(X, y[None], as_frame=False).mean()
    return out


def _profile_gap(generated: np.ndarray, real: np.ndarray, types_gen, types_real) -> float:
    """RMSE between the (workday − Sunday/holiday) mean profiles of two sets of curves."""

    def diff(c, t):
        return c[t == 0].mean(axis=0) - c[t == 2].mean(axis=0)

    return float(np.sqrt(np.mean((diff(generated, types_gen) - diff(real, types_real)) ** 2)))


def evaluate_conditional(
    generate: DayGenerate,
    test: pd.DataFrame,
    train: pd.DataFrame,
    *,
    level: bool,
    country: str = "DE",
    n_per_day: int = 500,
    seed: int = 0,
    splits: int = 20,
    others: Mapping[str, DayGenerate] | None = None,
) -> dict:
    """Score a conditional generator day by day against the analog-day baselines.

    Every test day gets ``n_per_day`` scenarios of its own conditions from the model (its
    date; with ``level``, its realized mean) and from each baseline. Reported: the mean
    per-day energy score, variogram score and CRPS; Diebold–Mariano tests of the model
    against each other column on each score; the same means by day type and by season; the
    level error; the variety of the generated shapes; and whether the model reproduces the
    real difference between workday and Sunday/holiday mean profiles within the noise
    floor (``splits`` stratified halvings of the test days: the floor is how far two real
    halves disagree, the model is scored on the same halvings, generating for one half's
    conditions against the other half).

    Args:
        generate: the model's day generator (see ``DayGenerate``).
        test: held-out daily curves indexed by date.
        train: the curves the model and the baselines were fitted on.
        level: whether the model is conditioned on the daily mean price.
        country: holiday calendar of the day types.
        n_per_day: scenarios per test day.
        seed: the seed of everything random here.
        splits: halvings for the profile-difference floor.
        others: more day generators to compare (e.g. an unconditional model).

    Returns:
        An :class:`~tsgan.evaluation.report.Evaluation`: a JSON-ready dict (``scores``,
        ``diebold_mariano``, ``by_day_type``, ``by_season``, ``profile_difference``,
        ``level_error``, ``shape_sd``, ``per_day``; ``to_frame()``: the scores as a
        DataFrame), and the scenarios of every column as ``samples``.

    Example:
        >>> days = pd.date_range("2024-01-01", "2024-12-31")
        >>> curves = pd.DataFrame(np.random.default_rng(0).normal(80, 20, (366, 24)), index=days)
        >>> copula = analog_baselines(curves[:300], level=True)["analog copula"]
        >>> r = evaluate_conditional(copula, curves[300:], curves[:300], level=True,
        ...                          n_per_day=20, splits=2)
        >>> sorted(r["scores"]), r["level_error"]["median_relative"] < 1e-9
        (['analog copula', 'analog days', 'model'], True)
    """
    dates = pd.DatetimeIndex(test.index)
    Y = test.to_numpy(dtype="float64")
    levels = Y.mean(axis=1) if level else None
    candidates: dict[str, DayGenerate] = {"model": generate}
    candidates |= analog_baselines(train, level=level, country=country)
    candidates |= dict(others or {})
    per_day, samples = {}, {}
    for k, (name, gen) in enumerate(candidates.items()):
        X = np.asarray(gen(dates, levels, n_per_day, seed + 101 * k), dtype="float64")
        samples[name] = X
        per_day[name] = per_day_scores(X, Y)
    names = list(candidates)
    scores = {n: {s: float(per_day[n][s].mean()) for s in SCORES} for n in names}
    dm = dm_tests(per_day, names[1:], SCORES)
    types, season = day_types(dates, country=country), seasons(dates)
    by_type = _group_means(per_day, names, types, DAY_TYPES)
    by_season = _group_means(per_day, names, season, SEASONS)
    profile = _profile_difference(samples["model"], Y, dates, types, seed=seed, splits=splits)
    X = samples["model"]
    result = {
        **run_header(
            test, train, n_per_day=n_per_day, level=level, country=country, seed=seed, splits=splits
        ),
        "scores": scores,
        "diebold_mariano": dm,
        "by_day_type": by_type,
        "by_season": by_season,
        "profile_difference": profile,
        "shape_sd": {
            n: float((s - s.mean(axis=2, keepdims=True)).std(axis=1).mean())
            for n, s in samples.items()
        },
        "per_day": {n: {s: v.round(4).tolist() for s, v in d.items()} for n, d in per_day.items()},
    }
    if level:
        rel = np.abs(X.mean(axis=2) - levels[:, None]) / np.maximum(np.abs(levels[:, None]), 1.0)
        result["level_error"] = {
            "median_relative": float(np.median(rel)),
            "max_relative": float(rel.max()),
        }
    return Evaluation(result, samples=samples, table="scores")


def _group_means(per_day: dict, names: list[str], groups: np.ndarray, labels) -> dict:
    """Each column's mean per-day energy score within each group (day type, season)."""
    return {
        labels[g]: {"days": int((groups == g).sum())}
        | {n: float(per_day[n]["es"][groups == g].mean()) for n in names}
        for g in range(len(labels))
        if (groups == g).any()
    }


def _profile_difference(X, Y, dates, types, *, seed: int, splits: int) -> dict:
    """Workday − Sunday/holiday mean profile: the model against the real days, next to
    real half against real half (the noise floor), over stratified halvings."""
    rng = np.random.default_rng(seed)
    floor, model_gap = [], []
    for _ in range(splits):
        a, b = stratified_halves(dates, rng)
        floor.append(_profile_gap(Y[a], Y[b], types[a], types[b]))
        gen = X[a].reshape(-1, Y.shape[1])
        model_gap.append(_profile_gap(gen, Y[b], np.repeat(types[a], X.shape[1]), types[b]))
    profile = {
        "floor_mean": float(np.mean(floor)),
        "floor_sd": float(np.std(floor)),
        "model_mean": float(np.mean(model_gap)),
        "model_sd": float(np.std(model_gap)),
        "full_model_rmse": _profile_gap(
            X.reshape(-1, Y.shape[1]), Y, np.repeat(types, X.shape[1]), types
        ),
    }
    profile["within_floor"] = bool(
        profile["model_mean"] <= profile["floor_mean"] + 2 * profile["floor_sd"]
    )
    return profile


def _test_and_group_lines(results: dict, names: list[str]) -> list[str]:
    """The report's Diebold–Mariano table and its tables by day type and by season."""
    lines: list[str] = []
    lines += [
        "",
        "## Diebold–Mariano tests, model against each column",
        "",
        "Statistic < 0: the model's per-day score is lower (better); Newey–West variance.",
        "",
        "| against | " + " | ".join(f"{k} stat | {k} p" for k in SCORES) + " |",
        "|---|" + "---|---|" * len(SCORES),
    ]
    for other, row in results["diebold_mariano"].items():
        cells = [f"{row[k]['statistic']:.2f} | {row[k]['p_value']:.3g}" for k in SCORES]
        lines.append(f"| {other} | " + " | ".join(cells) + " |")
    for key, heading in (("by_day_type", "day type"), ("by_season", "season")):
        lines += [
            "",
            f"## Energy score by {heading}",
            "",
            f"| {heading} | days | " + " | ".join(names) + " |",
            "|---|---|" + "---|" * len(names),
        ]
        for group, row in results[key].items():
            lines.append(
                f"| {group} | {row['days']} | " + " | ".join(f"{row[n]:.3f}" for n in names) + " |"
            )
    return lines


def conditional_report_markdown(
    results: dict, *, title: str = "tsgan evaluation by condition", credit: str | None = None
) -> str:
    """The conditional evaluation as Markdown: scores, DM tests, by day type and season.

    Example:
        >>> rng = np.random.default_rng(1)
        >>> year = pd.DataFrame(rng.gamma(9, 9, (365, 24)), index=pd.date_range("2023-01-01", periods=365))
        >>> analogs = analog_baselines(year[:300], level=False)["analog days"]
        >>> results = evaluate_conditional(analogs, year[300:], year[:300], level=False, n_per_day=9, splits=2)
        >>> conditional_report_markdown(results).splitlines()[0]
        '# tsgan evaluation by condition'
    """
    names = list(results["scores"])
    lvl = "date and realized daily mean" if results["level"] else "date"
    lines = [
        f"# {title}",
        "",
        *([f"Data: {credit}.", ""] if credit else []),
        f"Every test day ({results['n_test_days']} days, {results['test_range'][0]}..{results['test_range'][1]}) "
        f"is scored against {results['n_per_day']} scenarios generated for its own {lvl}. Baselines are "
        f"fitted on the same {results['n_train_days']} training days ({results['train_range'][0]}.."
        f"{results['train_range'][1]}): `analog days` resamples the training days of the same day type "
        "within ±30 days of the season"
        + (" (demeaned and shifted to the day's level)" if results["level"] else "")
        + ", `analog copula` is a Gaussian copula of those analogs. Lower is better.",
        "",
        "| score (mean per day) | " + " | ".join(names) + " |",
        "|---|" + "---|" * len(names),
    ]
    for key, label in SCORES.items():
        best = min(results["scores"][n][key] for n in names)
        cells = [
            (
                f"**{results['scores'][n][key]:.3f}**"
                if results["scores"][n][key] == best
                else f"{results['scores'][n][key]:.3f}"
            )
            for n in names
        ]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines += _test_and_group_lines(results, names)
    p = results["profile_difference"]
    lines += [
        "",
        "## Workday − Sunday/holiday mean profile",
        "",
        f"RMSE against the real difference over {results['splits']} stratified "
        f"halvings of the test days: model {p['model_mean']:.2f} ± {p['model_sd']:.2f} EUR/MWh, "
        f"noise floor (real half against real half) {p['floor_mean']:.2f} ± {p['floor_sd']:.2f}: "
        + (
            "**within the floor** (≤ floor + 2 sd)."
            if p["within_floor"]
            else "**outside the floor** (> floor + 2 sd)."
        )
        + f" On all test days at once the model's RMSE is {p['full_model_rmse']:.2f}.",
        "",
        "## Variety and level",
        "",
        "Mean per-day standard deviation of the scenarios' demeaned shapes (EUR/MWh), per hour: "
        + ", ".join(f"{n} {v:.2f}" for n, v in results["shape_sd"].items())
        + ".",
    ]
    if "level_error" in results:
        e = results["level_error"]
        lines.append(
            f"Level: median relative error of the generated daily means {e['median_relative']:.2e}, "
            f"largest {e['max_relative']:.2e}."
        )
    return "\n".join(lines) + "\n"


def write_conditional_report(results: dict, test: pd.DataFrame, out: str | Path, **text) -> Path:
    """Write ``metrics.json``, ``report.md`` and ``fan_charts.png`` (four test days) into
    ``out``; ``text`` is the report's ``title`` and ``credit``
    (:func:`conditional_report_markdown`).

    Example:
        >>> write_conditional_report(results, test, "runs/eval")  # doctest: +SKIP
    """
    from tsgan.plotting import fan_chart_figure, save_figure

    out = write_results(results, out, conditional_report_markdown(results, **text))
    dates = pd.DatetimeIndex(test.index)
    types, season = day_types(dates, country=results["country"]), seasons(dates)
    panels = []
    for t, s in ((0, 0), (2, 0), (0, 2), (2, 2)):  # winter/summer workday and Sunday
        where = np.flatnonzero((types == t) & (season == s))
        if len(where):
            i = where[len(where) // 2]
            label = f"{dates[i]:%a %Y-%m-%d} ({DAY_TYPES[t]}, {SEASONS[s]})"
            panels.append((label, results.samples["model"][i], test.to_numpy()[i]))
    if panels:
        save_figure(fan_chart_figure(panels), out / "fan_charts.png")
    return out
