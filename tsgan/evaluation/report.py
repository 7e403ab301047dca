"""The evaluation protocol: model against baselines and the noise floor on held-out days."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import norm

from tsgan.atomic import write_atomic
from tsgan.evaluation.baselines import BASELINES
from tsgan.evaluation.metrics import (
    METRICS,
    NEIGHBOURS,
    energy_terms,
    rbf_bandwidths,
    resampling_excess,
    score,
    stylized_facts,
    variogram_scores,
)

Generate = Callable[[int, int], np.ndarray]


class Evaluation(dict):
    """An evaluation's results: a dict of JSON types only (``json.dumps`` takes it as it
    is), the generated curves beside it as ``samples`` (name → array; not in the dict), and
    its score tables as DataFrames (``to_frame``).

    Example:
        >>> r = Evaluation({"scores": {"model": {"es": 1.0}, "naive": {"es": 2.0}}},
        ...                samples={}, table="scores")
        >>> r.to_frame()["es"].tolist(), json.dumps(r)
        ([1.0, 2.0], '{"scores": {"model": {"es": 1.0}, "naive": {"es": 2.0}}}')
    """

    def __init__(self, results: dict, *, samples: dict[str, np.ndarray], table: str) -> None:
        super().__init__(results)
        self.samples = samples
        self.table = table

    def to_frame(self, view: str | None = None) -> pd.DataFrame:
        """A score table: a row per generator (index ``generator``), a column per score.

        Args:
            view: which table (default: the main one: ``"matched"`` for
                :func:`evaluate_generator`, ``"scores"`` for a conditional evaluation;
                ``"full"`` is the generator evaluation's other view). A score given as a
                mean ± sd over splits is two columns, ``NAME`` and ``NAME_sd``.
        """
        rows = {}
        for name, scores in self[view or self.table].items():
            row = {}
            for key, value in scores.items():
                if isinstance(value, dict) and "mean" in value:
                    row[key], row[f"{key}_sd"] = value["mean"], value.get("sd")
                else:
                    row[key] = value
            rows[name] = row
        return pd.DataFrame.from_dict(rows, orient="index").rename_axis("generator")


def stratified_halves(
    dates: pd.DatetimeIndex, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Split days into two halves with the same mix of weekdays and months.

    Example:
        >>> a, b = stratified_halves(pd.date_range("2024-01-01", periods=28), np.random.default_rng(0))
        >>> len(a), len(b)
        (14, 14)
    """
    dates = pd.DatetimeIndex(dates)
    first, second = [], []
    groups = pd.Series(np.arange(len(dates))).groupby([dates.day_of_week, dates.month])
    flip = 0
    for _, members in groups:
        idx = rng.permutation(members.to_numpy())
        for j, i in enumerate(idx):
            (first if (j + flip) % 2 == 0 else second).append(i)
        flip += len(idx) % 2  # odd groups alternate which half gets the extra day
    return np.sort(first), np.sort(second)


def diebold_mariano(loss_a: np.ndarray, loss_b: np.ndarray) -> tuple[float, float]:
    """Diebold–Mariano test of equal mean loss, with a Newey–West (HAC) variance.

    Returns the statistic (negative: ``a`` has the lower loss) and the two-sided p-value.
    The lag is ⌊n^(1/3)⌋ with Bartlett weights.

    Example:
        >>> rng = np.random.default_rng(0)
        >>> stat, p = diebold_mariano(rng.normal(0, 1, 300), rng.normal(1, 1, 300))
        >>> stat < 0 and p < 0.01
        True
    """
    d = np.asarray(loss_a, dtype="float64") - np.asarray(loss_b, dtype="float64")
    n = len(d)
    u = d - d.mean()
    lag = int(np.floor(n ** (1 / 3)))
    var = u @ u / n
    for k in range(1, lag + 1):
        var += 2 * (1 - k / (lag + 1)) * (u[k:] @ u[:-k]) / n
    if var <= 0:
        return 0.0, 1.0
    stat = d.mean() / np.sqrt(var / n)
    return float(stat), float(2 * norm.sf(abs(stat)))


def dm_tests(
    per_day: dict[str, dict[str, np.ndarray]],
    others: Iterable[str],
    scores: Iterable[str],
    *,
    model: str = "model",
) -> dict:
    """Diebold–Mariano tests of ``model``'s per-day scores against each other generator.

    ``per_day[name][score]`` holds one score per test day; the result is
    ``{other: {score: {"statistic", "p_value"}}}`` (negative statistic: ``model`` is better).

    Example:
        >>> rng = np.random.default_rng(0)
        >>> days = {"model": {"es": rng.normal(0, 1, 200)}, "b": {"es": rng.normal(1, 1, 200)}}
        >>> dm_tests(days, ["b"], ["es"])["b"]["es"]["statistic"] < 0
        True
    """
    return {
        other: {
            key: dict(
                zip(
                    ("statistic", "p_value"),
                    diebold_mariano(per_day[model][key], per_day[other][key]),
                    strict=True,
                )
            )
            for key in scores
        }
        for other in others
    }


def run_header(test: pd.DataFrame, train: pd.DataFrame, **settings) -> dict:
    """What every evaluation result starts with: its settings, the test and training days.

    Example:
        >>> days = pd.DataFrame(index=pd.date_range("2025-01-01", periods=3))
        >>> run_header(days, days, seed=0)["test_range"]
        ['2025-01-01', '2025-01-03']
    """
    return {
        **settings,
        "n_test_days": len(test),
        "n_train_days": len(train),
        "test_range": [f"{test.index[0]:%Y-%m-%d}", f"{test.index[-1]:%Y-%m-%d}"],
        "train_range": [f"{train.index[0]:%Y-%m-%d}", f"{train.index[-1]:%Y-%m-%d}"],
    }


def evaluate_generator(
    generate: Generate,
    test: pd.DataFrame,
    train: pd.DataFrame,
    *,
    n: int = 2000,
    splits: int = 20,
    seed: int = 0,
) -> dict:
    """Score a generator against held-out days, the baselines and the noise floor.

    Two views:

    - ``full``: ``n`` generated curves (and ``n`` from each baseline) against all test days,
      with the per-day energy scores compared by Diebold–Mariano tests.
    - ``matched``: the noise floor protocol. The test days are split ``splits`` times into
      two halves with the same mix of weekdays and months; one half plays the generator
      (the floor: what real data scores against real data), the model and every baseline
      generate as many curves as that half holds, and all are scored against the other
      half. Mean ± sd over the splits, so every column is scored at the same sample sizes.

    Args:
        generate: ``generate(m, seed) -> (m, d)`` curves in EUR/MWh.
        test: held-out daily curves (index: dates).
        train: the curves the generator and the baselines were fitted on.
        n: generated curves in the full view.
        splits: random halvings for the matched view.
        seed: the seed of everything random here.

    Returns:
        An :class:`Evaluation`: a JSON-ready dict (``to_frame()``: the matched view as a
        DataFrame; ``samples["model"]``: the generated curves): ``full``, ``matched``, ``diebold_mariano`` (the model against
        each baseline), ``diebold_mariano_bootstrap`` (the bootstrap of training days against
        the other baselines: what resampling real days reaches), ``diebold_mariano_ideal``
        (the same for an ideal generator of the training days' distribution: the bootstrap's
        scores less ``resampling_excess``: mean scores no model trained on these days can
        expect to beat, with the bootstrap's day-to-day noise), ``resampling_excess``,
        ``per_day`` (each column's energy and variogram score on every test day, in test-day
        order: for tests of one's own, such as the model's scores averaged over several
        seeds), ``stylized_facts``.
    """
    least = 2 * (NEIGHBOURS + 1)  # each half of the test days needs k + 1 curves
    if len(test) < least:
        raise ValueError(
            f"{len(test)} test days: an evaluation needs at least {least} (its matched view "
            f"compares halves of them, each with {NEIGHBOURS} nearest neighbours)"
        )
    Y, T = test.to_numpy(dtype="float64"), train.to_numpy(dtype="float64")
    rng = np.random.default_rng(seed)
    bandwidths = rbf_bandwidths(T, seed=seed)
    samplers = {name: make(T) for name, make in BASELINES.items()}

    full, per_day = {}, {}
    X = np.asarray(generate(n, seed), dtype=float)  # an array, or a DataFrame of curves
    candidates = {"model": X} | {name: s(n, rng) for name, s in samplers.items()}
    for name, sample in candidates.items():
        full[name] = score(sample, Y, T, bandwidths=bandwidths, seed=seed)
        per_day[name] = {"es": energy_terms(sample, Y)[0], "vs": variogram_scores(sample, Y)}
    dm = dm_tests(per_day, samplers, ("es", "vs"))
    # what copying training days reaches in the same tests: how separable the baselines are
    # on these test days at all
    others = [s for s in samplers if s != "bootstrap"]
    dm_bootstrap = dm_tests(per_day, others, ("es", "vs"), model="bootstrap")
    # an ideal generator of the training days' distribution: the bootstrap's per-day scores
    # less their expected excess (a constant shift, so the same Newey–West variance)
    excess = resampling_excess(T)
    ideal = {key: per_day["bootstrap"][key] - excess[key] for key in ("es", "vs")}
    dm_ideal = dm_tests(per_day | {"ideal": ideal}, others, ("es", "vs"), model="ideal")

    rows: dict[str, list[dict]] = {name: [] for name in ("model", *samplers, "floor")}
    for k in range(splits):
        a, b = stratified_halves(test.index, rng)
        A, B = Y[a], Y[b]
        rows["floor"].append(score(A, B, T, bandwidths=bandwidths, seed=seed + k))
        rows["model"].append(
            score(
                np.asarray(generate(len(A), seed + 1 + k), dtype=float),
                B,
                T,
                bandwidths=bandwidths,
                seed=seed + k,
            )
        )
        for name, s in samplers.items():
            rows[name].append(score(s(len(A), rng), B, T, bandwidths=bandwidths, seed=seed + k))
    matched = {
        name: {
            m: {"mean": float(np.mean([r[m] for r in rs])), "sd": float(np.std([r[m] for r in rs]))}
            for m in METRICS
        }
        for name, rs in rows.items()
    }
    facts = {"real (test)": stylized_facts(Y), "model": stylized_facts(X)} | {
        name: stylized_facts(candidates[name]) for name in samplers
    }
    results = {
        **run_header(test, train, n_generated=n, splits=splits, seed=seed),
        "full": full,
        "matched": matched,
        "diebold_mariano": dm,
        "diebold_mariano_bootstrap": dm_bootstrap,
        "diebold_mariano_ideal": dm_ideal,
        "resampling_excess": excess,
        "per_day": {
            name: {key: values.tolist() for key, values in scores.items()}
            for name, scores in per_day.items()
        },
        "stylized_facts": facts,
    }
    return Evaluation(results, samples={"model": X}, table="matched")


def report_markdown(
    results: dict, *, title: str = "tsgan evaluation", credit: str | None = None
) -> str:
    """One table (model, baselines, floor side by side) and the Diebold–Mariano tests."""
    names = list(results["matched"])
    lines = [
        f"# {title}",
        "",
        *([f"Data: {credit}.", ""] if credit else []),
        f"Test days: {results['n_test_days']} ({results['test_range'][0]}..{results['test_range'][1]}); "
        f"training days: {results['n_train_days']} ({results['train_range'][0]}..{results['train_range'][1]}).",
        "",
        f"## Matched sample sizes: mean ± sd over {results['splits']} stratified halvings of the test days",
        "",
        "Each column generates as many curves as half the test days and is scored against the other half; "
        "`floor` is real half against real half, the best any generator can expect. `bootstrap` copies "
        "training days: a reference, not a legitimate generator.",
        "",
        "| metric | better | " + " | ".join(names) + " |",
        "|---|---|" + "---|" * len(names),
    ]
    for key, (label, better, _) in METRICS.items():
        cells = [
            f"{results['matched'][n][key]['mean']:.3g} ± {results['matched'][n][key]['sd']:.2g}"
            for n in names
        ]
        lines.append(f"| {label} | {better} | " + " | ".join(cells) + " |")
    lines += [
        "",
        f"## All test days, {results['n_generated']} generated curves each",
        "",
        "| metric | " + " | ".join(results["full"]) + " |",
        "|---|" + "---|" * len(results["full"]),
    ]
    for key, (label, _, _) in METRICS.items():
        lines.append(
            f"| {label} | "
            + " | ".join(f"{results['full'][n][key]:.3g}" for n in results["full"])
            + " |"
        )
    lines += [
        "",
        "## Diebold–Mariano tests on per-day scores (model vs baseline)",
        "",
        "Negative statistic: the model's score is lower (better). Newey–West variance.",
        "",
        "| baseline | energy score: statistic | p-value | variogram score: statistic | p-value |",
        "|---|---|---|---|---|",
    ]
    lines += _dm_rows(results["diebold_mariano"])
    reference = results.get("diebold_mariano_bootstrap", {})
    if reference:
        lines += [
            "",
            "For reference, the bootstrap of training days (real days resampled) in the same "
            "tests: how far these test days can separate the baselines at all.",
            "",
            "| bootstrap vs | energy score: statistic | p-value | variogram score: statistic | p-value |",
            "|---|---|---|---|---|",
            *_dm_rows(reference),
        ]
    ideal = results.get("diebold_mariano_ideal", {})
    if ideal:
        lines += [
            "",
            "And an ideal generator of the training days' distribution (the bootstrap's scores less "
            "what resampling a finite sample costs in expectation): its mean scores are the best a "
            "model trained on these days can expect. Its tests carry the day-to-day noise of "
            "resampled days, so they guide, not bound, a model's: a model whose scores vary less "
            "from day to day can pass a test the ideal generator misses.",
            "",
            "| ideal vs | energy score: statistic | p-value | variogram score: statistic | p-value |",
            "|---|---|---|---|---|",
            *_dm_rows(ideal),
        ]
    return "\n".join(lines) + "\n"


def _dm_rows(tests: dict) -> list[str]:
    """One markdown row per baseline of ``dm_tests``' result: ES and VS statistic and p."""
    return [
        f"| {name} | "
        + " | ".join(f"{row[k]['statistic']:.2f} | {row[k]['p_value']:.3g}" for k in ("es", "vs"))
        + " |"
        for name, row in tests.items()
    ]


def write_results(results: dict, out: str | Path, markdown: str) -> Path:
    """Create the report folder ``out`` and write ``metrics.json`` (every result but the
    samples) and ``report.md`` into it, each atomically."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    write_atomic(out / "metrics.json", json.dumps(results, indent=2) + "\n")
    write_atomic(out / "report.md", markdown)
    return out


def write_report(
    results: dict,
    test: pd.DataFrame,
    out: str | Path,
    *,
    title: str = "tsgan evaluation",
    credit: str | None = None,
) -> Path:
    """Write ``metrics.json``, ``report.md`` and the figures into ``out``."""
    from tsgan.plotting import evaluation_figures, save_figure

    out = write_results(results, out, report_markdown(results, title=title, credit=credit))
    for name, fig in evaluation_figures(test.to_numpy(), results.samples["model"]).items():
        save_figure(fig, out / f"{name}.png")
    return out
