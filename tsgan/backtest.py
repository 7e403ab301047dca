"""``tsgan backtest``: tomorrow's scenarios, rolled over a test period as the field does it.

At each recalibration date a forecast model (``--condition forecast``, default settings) is
trained on the window before it and gives scenarios for each day up to the next
recalibration; baselines give theirs on the same days. Each window's scenarios are saved as
soon as they exist (``DIR/windows/``), so ``resume`` continues an interrupted backtest
without redoing finished windows and ends with what an uninterrupted one ends with.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import keras
import numpy as np
import pandas as pd

from tsgan.atomic import atomic_path, write_atomic
from tsgan.data.curves import PRICE, hour_columns
from tsgan.evaluation.backtest import (
    Window,
    day_scores,
    error_scenarios,
    naive_forecasts,
    rolling_windows,
)
from tsgan.evaluation.report import dm_tests
from tsgan.model import PriceGAN, scenario_array
from tsgan.settings import PRICE_LAGS, ModelSettings, default_epochs

BASELINES = ("naive", "lear")


def train_window(
    panel: pd.DataFrame,
    window: Window,
    *,
    seed: int,
    epochs: int | None = None,
    settings: dict | None = None,
):
    """The forecast model of one window: default settings, trained on its days (the week
    before them kept as history), seeded by ``seed`` alone, so a window gives the same model
    whatever ran before it."""
    inputs = tuple(n for n in dict.fromkeys(panel.columns.get_level_values(0)) if n != PRICE)
    history = window.train_from - pd.Timedelta(days=max(PRICE_LAGS))
    days = panel.loc[history : window.train_to]
    given = {"condition": "forecast", **(settings or {}), "seed": seed}
    settings = ModelSettings(**given).for_data(panel[PRICE].shape[1], inputs)
    keras.utils.set_random_seed(seed)
    gan = PriceGAN(settings)
    gan.compile()
    n_days = int(days[PRICE].notna().all(axis=1).sum())
    gan.fit(days, epochs=epochs or default_epochs(n_days, 32), batch_size=32, verbose=0)
    return gan


def window_scenarios(
    panel: pd.DataFrame,
    window: Window,
    *,
    n: int,
    seed: int,
    epochs: int | None = None,
    settings: dict | None = None,
) -> tuple[pd.DatetimeIndex, np.ndarray]:
    """The days of ``window`` with realized prices and the model's scenarios for them,
    ``(days, n, steps)``."""
    realized = panel[PRICE].reindex(window.days)
    days = realized.index[realized.notna().all(axis=1).to_numpy()]
    gan = train_window(panel, window, seed=seed, epochs=epochs, settings=settings)
    return days, scenario_array(gan, days, n_per_day=n, seed=seed, data=panel)


def _window_file(out: Path, window: Window) -> Path:
    return out / "windows" / f"{window.name}.npz"


def run_windows(
    panel: pd.DataFrame,
    windows: list[Window],
    out: Path,
    *,
    n: int,
    seed: int,
    training: dict | None = None,
    resume: bool = False,
    ray: dict | None = None,
    progress: Callable[[str], None] | None = print,
) -> tuple[pd.DatetimeIndex, np.ndarray]:
    """Every window's scenarios, each saved when done; with ``resume`` the saved ones are
    read instead of trained again. ``training`` holds :func:`train_window`'s ``epochs``
    and ``settings``. With ``ray`` (``{"workers": N}`` on this machine, ``{"address": A}``
    on a cluster) the windows are Ray tasks, one CPU share each; without, they run one after
    another here. Window ``k`` is seeded by ``seed + k`` either way: the same scenarios."""
    (out / "windows").mkdir(parents=True, exist_ok=True)
    todo = [
        (k, w) for k, w in enumerate(windows) if not (resume and _window_file(out, w).is_file())
    ]
    args = {"n": n, **(training or {})}
    finished = 0

    def save(k: int, window: Window, days, scenarios) -> None:
        nonlocal finished
        with atomic_path(_window_file(out, window)) as tmp, open(tmp, "wb") as f:
            np.savez(f, days=days.to_numpy(), scenarios=scenarios)
        finished += 1
        if progress is not None:
            progress(
                f"window {finished}/{len(todo)} ({window.name}, {len(days)} days) done"
                + (f"; {len(windows) - len(todo)} resumed" if len(todo) < len(windows) else "")
            )

    if not ray:
        for k, window in todo:
            save(k, window, *window_scenarios(panel, window, seed=seed + k, **args))
    else:
        from tsgan.parallel import ray_map

        jobs = [(k, (), {"window": w, "seed": seed + k, **args}) for k, w in todo]
        ray_map(
            window_scenarios,
            jobs,
            lambda k, r: save(k, windows[k], *r),
            shared={"panel": panel},
            **ray,
        )
    parts = []
    for window in windows:
        with np.load(_window_file(out, window)) as saved:
            parts.append((pd.DatetimeIndex(saved["days"]), saved["scenarios"]))
    days = pd.DatetimeIndex(np.concatenate([d for d, _ in parts]))
    return days, np.concatenate([s for _, s in parts])


def baseline_scenarios(
    name: str, panel: pd.DataFrame, days: pd.DatetimeIndex, *, n: int, seed: int, point=None
) -> np.ndarray:
    """A baseline's scenarios: its point forecasts plus their last 90 days' errors."""
    realized = panel[PRICE]
    if point is None:
        if name != "naive":
            raise ValueError(f"unknown baseline {name!r} (known: {', '.join(BASELINES)})")
        lookback = pd.date_range(days[0] - pd.Timedelta(days=90), days[-1])
        point = naive_forecasts(panel, lookback)
    return error_scenarios(point, realized, days, n=n, seed=seed)


def run_backtest(
    panel: pd.DataFrame,
    *,
    start: str,
    end: str,
    out: str | Path,
    recalibrate: int = 28,
    window: int | None = None,
    n: int = 100,
    seed: int = 0,
    baselines: dict[str, pd.DataFrame | None] | None = None,
    epochs: int | None = None,
    settings: dict | None = None,
    resume: bool = False,
    workers: int | None = None,
    address: str | None = None,
    progress: Callable[[str], None] | None = print,
) -> pd.DataFrame:
    """The rolling backtest of ``panel`` (a daily panel of prices and inputs) from ``start``
    to ``end``; writes ``scenarios.parquet``, ``scores.csv`` and ``report.md`` into ``out``.

    Args:
        baselines: name → point forecasts (date × hours), or None for a built-in one
            (``"naive"``: D-7); each becomes scenarios with its last 90 days' errors.
        settings: ``ModelSettings`` fields of the model other than the defaults (for
            experiments on validation days).
        workers, address: run the windows as Ray tasks on this many local workers, or on
            the Ray cluster at ``address`` (see :func:`run_windows`).

    Returns:
        The per-day scores of every generator (``date, generator, es, vs, crps, mae,
        cover50, cover90``).
    """
    out = Path(out)
    windows = rolling_windows(
        start, end, recalibrate=recalibrate, window=window, data_start=panel.index[0]
    )
    on_ray = {"workers": workers, "address": address} if workers or address else None
    run = {"training": {"epochs": epochs, "settings": settings}, "ray": on_ray}
    days, model = run_windows(
        panel, windows, out, n=n, seed=seed, resume=resume, **run, progress=progress
    )
    generators = {"tsgan": model}
    for name, point in (baselines if baselines is not None else {"naive": None}).items():
        generators[name] = baseline_scenarios(name, panel, days, n=n, seed=seed, point=point)
    realized = panel[PRICE].loc[days].to_numpy(dtype="float64")
    scores = pd.concat(
        [
            day_scores(s, realized).assign(date=days, generator=name)
            for name, s in generators.items()
        ],
        ignore_index=True,
    )[["date", "generator", "es", "vs", "crps", "mae", "cover50", "cover90"]]
    _write_outputs(out, days, model, scores)
    _write_figures(out, days, generators, realized, scores)
    return scores


def _write_figures(out: Path, days, generators: dict, realized: np.ndarray, scores) -> None:
    """``pit.png`` (every generator), ``fan_charts.png`` (tsgan's best, median and worst
    days by energy score), ``rolling_es.png``."""
    from tsgan.plotting import fan_chart_figure, pit_figure, rolling_score_figure, save_figure

    pits = {name: (s <= realized[:, None]).mean(axis=1).ravel() for name, s in generators.items()}
    save_figure(pit_figure(pits), out / "pit.png")
    es = scores.loc[scores["generator"] == "tsgan", "es"].to_numpy()
    order = np.argsort(es)
    picks = (("best", order[0]), ("median", order[len(order) // 2]), ("worst", order[-1]))
    panels = [
        (f"{label}: {days[i]:%a %Y-%m-%d} (ES {es[i]:.1f})", generators["tsgan"][i], realized[i])
        for label, i in picks
    ]
    save_figure(fan_chart_figure(panels, ncols=3), out / "fan_charts.png")
    by_name = {n: g["es"].to_numpy() for n, g in scores.groupby("generator", sort=False)}
    save_figure(rolling_score_figure(by_name, days), out / "rolling_es.png")


def _write_outputs(out: Path, days, model: np.ndarray, scores: pd.DataFrame) -> None:
    n = model.shape[1]
    frame = pd.DataFrame(model.reshape(-1, model.shape[2]), columns=hour_columns(model.shape[2]))
    frame.insert(0, "scenario", np.tile(np.arange(1, n + 1), len(days)))
    frame.insert(0, "date", np.repeat(days.to_numpy(), n))
    with atomic_path(out / "scenarios.parquet") as tmp:
        frame.to_parquet(tmp, index=False)
    with atomic_path(out / "scores.csv") as tmp:
        scores.to_csv(tmp, index=False, date_format="%Y-%m-%d", float_format="%.6g")
    write_atomic(out / "report.md", backtest_markdown(scores))
    summary = scores.groupby("generator", sort=False)[["es", "vs", "crps", "mae"]].mean()
    write_atomic(out / "summary.json", json.dumps(summary.round(4).to_dict("index"), indent=2))


def backtest_markdown(scores: pd.DataFrame) -> str:
    """The backtest's report: mean scores and coverage per generator, Diebold–Mariano tests
    of tsgan's per-day energy and variogram scores against each baseline.

    Example:
        >>> rows = [{"date": d, "generator": g, "es": e, "vs": e, "crps": e, "mae": e,
        ...          "cover50": 0.5, "cover90": 0.9} for d in range(30) for g, e in
        ...         (("tsgan", 1.0 + d % 3), ("naive", 2.0 + d % 2))]
        >>> backtest_markdown(pd.DataFrame(rows)).splitlines()[0]
        '# Backtest of scenarios for tomorrow'
    """
    names = list(dict.fromkeys(scores["generator"]))
    means = scores.groupby("generator", sort=False).mean(numeric_only=True)
    days = scores["date"].nunique()
    lines = [
        "# Backtest of scenarios for tomorrow",
        "",
        f"{days} days; lower is better for the scores; the intervals should cover 50% and 90%.",
        "",
        "| generator | energy score | variogram score | CRPS | MAE of the median | 50% cover | 90% cover |",
        "|---|---|---|---|---|---|---|",
    ]
    for name in names:
        m = means.loc[name]
        lines.append(
            f"| {name} | {m['es']:.3f} | {m['vs']:.1f} | {m['crps']:.3f} | {m['mae']:.3f} "
            f"| {m['cover50']:.1%} | {m['cover90']:.1%} |"
        )
    per_day = {
        name: {k: scores.loc[scores["generator"] == name, k].to_numpy() for k in ("es", "vs")}
        for name in names
    }
    tests = dm_tests(per_day, [n for n in names if n != "tsgan"], ("es", "vs"), model="tsgan")
    lines += [
        "",
        "Diebold–Mariano tests of tsgan's per-day scores (statistic < 0: tsgan better):",
        "",
        "| against | ES statistic | ES p | VS statistic | VS p |",
        "|---|---|---|---|---|",
    ]
    for name, row in tests.items():
        lines.append(
            f"| {name} | {row['es']['statistic']:+.2f} | {row['es']['p_value']:.3g} "
            f"| {row['vs']['statistic']:+.2f} | {row['vs']['p_value']:.3g} |"
        )
    return "\n".join(lines) + "\n"
