"""Pure drawing functions on ``matplotlib.figure.Figure`` (never pyplot's global state)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

REAL_COLOR = "0.55"
GENERATED_COLOR = "tab:orange"
GENERATED_MEAN_COLOR = "tab:red"
D_COLOR = "tab:blue"
G_COLOR = "tab:green"
GROUP_COLORS = ("tab:orange", "tab:purple")  # conditional runs: one colour per fixed condition
# every colour a frame uses: the GIF palette is built from them (tsgan.animation.frame)
PLOT_COLORS = (REAL_COLOR, GENERATED_COLOR, GENERATED_MEAN_COLOR, D_COLOR, G_COLOR, *GROUP_COLORS)


def curve_ylim(
    curves: np.ndarray, *, quantiles: tuple[float, float] = (0.005, 0.995), pad: float = 0.1
) -> tuple[float, float]:
    """Y-limits (EUR/MWh) from the real data's quantiles, with some room.

    Example:
        >>> curve_ylim(np.array([[0.0, 100.0]]), quantiles=(0, 1), pad=0.1)
        (-10.0, 110.0)
    """
    lo, hi = np.quantile(np.asarray(curves, dtype="float64"), quantiles)
    span = max(hi - lo, 1.0)
    return float(lo - pad * span), float(hi + pad * span)


def hour_axis(ax, n_steps: int) -> np.ndarray:
    hours = np.arange(n_steps) * 24.0 / n_steps
    ax.set_xlim(0, 24 - 24.0 / n_steps)
    ax.set_xticks(range(0, 24, 3))
    ax.set_xlabel("hour of day")
    ax.set_ylabel("price (EUR/MWh)")
    ax.grid(alpha=0.3)
    return hours


def legend_above(ax, *, ncol: int) -> None:
    """A one-line legend above the axes, where curves can never hide it."""
    ax.legend(
        loc="lower left",
        bbox_to_anchor=(0.0, 1.0),
        ncol=ncol,
        fontsize=8,
        frameon=False,
        handlelength=1.5,
        columnspacing=1.0,
        borderaxespad=0.2,
    )


# The colours of each theme: the figure's background and text, and what recedes (grid, notes).
THEMES = {
    "light": {
        "background": "#ffffff",
        "foreground": "#000000",
        "grid": "#cccccc",
        "muted": "#666666",
    },
    "dark": {
        "background": "#16191f",
        "foreground": "#e8e8e8",
        "grid": "#444a55",
        "muted": "#a0a0a0",
    },
}


def theme_rc(theme: str) -> dict[str, str]:
    """Matplotlib settings (for ``matplotlib.rc_context``) that draw a figure in a theme.

    Example:
        >>> theme_rc("dark")["figure.facecolor"]
        '#16191f'
    """
    if theme not in THEMES:
        raise ValueError(f"theme must be one of {', '.join(THEMES)}, got {theme!r}")
    c = THEMES[theme]
    return {
        "figure.facecolor": c["background"],
        "axes.facecolor": c["background"],
        "savefig.facecolor": c["background"],
        "text.color": c["foreground"],
        "axes.labelcolor": c["foreground"],
        "axes.edgecolor": c["muted"],
        "xtick.color": c["foreground"],
        "ytick.color": c["foreground"],
        "grid.color": c["grid"],
        "legend.labelcolor": c["foreground"],
    }


def loss_figure(history: Mapping[str, Sequence[float]], *, dpi: int = 100) -> Figure:
    """The full training history: losses (top) and the discriminator's verdicts (bottom).

    Example:
        >>> fig = loss_figure({"d_loss": [1.4, 1.2], "g_loss": [0.7, 0.9],
        ...                    "d_real": [0.5, 0.6], "d_fake": [0.5, 0.4]})
        >>> len(fig.axes)
        2
    """
    fig = Figure(figsize=(8, 5.5), dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    ax_loss, ax_verdict = fig.subplots(2, 1, sharex=True)
    epochs = np.arange(1, len(history.get("d_loss", [])) + 1)
    ax_loss.plot(epochs, history.get("d_loss", []), color=D_COLOR, label="discriminator (d_loss)")
    ax_loss.plot(epochs, history.get("g_loss", []), color=G_COLOR, label="generator (g_loss)")
    ax_loss.set_ylabel("loss")
    ax_loss.legend(fontsize=8)
    ax_loss.grid(alpha=0.3)
    ax_loss.set_title("training history", fontsize=11)
    if "d_real" in history:
        ax_verdict.plot(epochs, history["d_real"], color="black", label="D on real days (d_real)")
        ax_verdict.plot(
            epochs, history["d_fake"], color=GENERATED_COLOR, label="D on generated days (d_fake)"
        )
        ax_verdict.legend(fontsize=8)
    ax_verdict.set_ylabel("discriminator output")
    ax_verdict.set_xlabel("epoch")
    ax_verdict.grid(alpha=0.3)
    return fig


def save_figure(fig: Figure, path) -> None:
    """Write a figure atomically (temporary name, then rename)."""
    from tsgan.atomic import atomic_path

    with atomic_path(path) as tmp:
        fig.savefig(tmp)


def evaluation_figures(
    real: np.ndarray, generated: np.ndarray, *, dpi: int = 100
) -> dict[str, Figure]:
    """The figures of an evaluation report, real (test) days against generated ones.

    Returns figures named ``profile_bands``, ``hourly_quantiles``, ``correlations``,
    ``pca_scatter`` and ``daily_histograms``.

    Example:
        >>> rng = np.random.default_rng(0)
        >>> sorted(evaluation_figures(rng.normal(size=(50, 24)), rng.normal(size=(80, 24))))[:2]
        ['correlations', 'daily_histograms']
    """
    real, generated = np.asarray(real, dtype="float64"), np.asarray(generated, dtype="float64")
    drawings = {
        "profile_bands": ((8, 4.5), 1, _profile_bands),
        "hourly_quantiles": ((8, 4.5), 1, _hourly_quantiles),
        "correlations": ((10, 4.5), 2, _correlations),
        "pca_scatter": ((6.5, 5.5), 1, _pca_scatter),
        "daily_histograms": ((10, 4), 2, _daily_histograms),
    }
    figures: dict[str, Figure] = {}
    for name, (figsize, ncols, draw) in drawings.items():
        fig = Figure(figsize=figsize, dpi=dpi, layout="constrained")
        FigureCanvasAgg(fig)
        draw(fig, fig.subplots(1, ncols), real, generated)
        figures[name] = fig
    return figures


def _profile_bands(fig, ax, real, generated) -> None:
    hours = np.arange(real.shape[1]) * 24.0 / real.shape[1]
    for data, color, label in (
        (real, "black", "real (test days)"),
        (generated, GENERATED_MEAN_COLOR, "generated"),
    ):
        lo, hi = np.percentile(data, [5, 95], axis=0)
        ax.fill_between(hours, lo, hi, color=color, alpha=0.15, label=f"{label} 5–95%")
        ax.plot(hours, data.mean(axis=0), color=color, lw=2, label=f"{label} mean")
    hour_axis(ax, real.shape[1])
    ax.legend(fontsize=8)
    ax.set_title("mean daily profile with 5–95% bands")


def _hourly_quantiles(fig, ax, real, generated) -> None:
    hours = np.arange(real.shape[1]) * 24.0 / real.shape[1]
    for q, style in zip((5, 25, 50, 75, 95), (":", "--", "-", "--", ":"), strict=True):
        for data, color, who in (
            (real, "black", "real"),
            (generated, GENERATED_MEAN_COLOR, "generated"),
        ):
            quantile = np.percentile(data, q, axis=0)
            ax.plot(hours, quantile, color=color, ls=style, lw=1.2, label=f"{who} q{q}")
    hour_axis(ax, real.shape[1])
    ax.legend(fontsize=7, ncol=2)
    ax.set_title("per-hour quantiles")


def _correlations(fig, axes, real, generated) -> None:
    from scipy.stats import spearmanr

    for ax, data, title in ((axes[0], real, "real (test days)"), (axes[1], generated, "generated")):
        image = ax.imshow(spearmanr(data).statistic, vmin=-1, vmax=1, cmap="RdBu_r", origin="lower")
        ax.set(title=f"Spearman correlation of hours: {title}", xlabel="hour", ylabel="hour")
    fig.colorbar(image, ax=axes, shrink=0.8)


def _pca_scatter(fig, ax, real, generated) -> None:
    mean = real.mean(axis=0)
    _, _, vt = np.linalg.svd(real - mean, full_matrices=False)
    for data, color, label, size in (
        (generated, GENERATED_COLOR, "generated", 6),
        (real, "black", "real (test days)", 10),
    ):
        z = (data - mean) @ vt[:2].T
        ax.scatter(z[:, 0], z[:, 1], s=size, alpha=0.5, color=color, label=label, linewidths=0)
    ax.set(
        xlabel="PC 1 of real days",
        ylabel="PC 2 of real days",
        title="curves in the plane of the first two real PCs",
    )
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)


def _daily_histograms(fig, axes, real, generated) -> None:
    for ax, fn, title in (
        (axes[0], lambda c: c.mean(axis=1), "daily mean (EUR/MWh)"),
        (axes[1], lambda c: c.max(axis=1) - c.min(axis=1), "daily max − min (EUR/MWh)"),
    ):
        both = np.concatenate([fn(real), fn(generated)])
        bins = np.linspace(*np.percentile(both, [0.5, 99.5]), 40)
        ax.hist(fn(real), bins=bins, density=True, color="0.4", alpha=0.6, label="real (test days)")
        ax.hist(
            fn(generated),
            bins=bins,
            density=True,
            color=GENERATED_COLOR,
            alpha=0.5,
            label="generated",
        )
        ax.set(xlabel=title, ylabel="density")
        ax.legend(fontsize=8)


def fan_chart_figure(
    panels: Sequence[tuple[str, np.ndarray, np.ndarray | None]],
    *,
    ncols: int = 2,
    dpi: int = 100,
) -> Figure:
    """Fan charts: per-hour 5–95% and 25–75% bands and the median of each day's scenarios.

    Args:
        panels: ``(title, scenarios (n, d), realized (d,) or None)`` per panel.
        ncols: panels per row.
        dpi: resolution.

    Example:
        >>> rng = np.random.default_rng(0)
        >>> fig = fan_chart_figure([("a day", rng.normal(80, 10, (200, 24)), None)])
        >>> len(fig.axes)
        1
    """
    rows = -(-len(panels) // ncols)
    cols = min(ncols, len(panels))
    fig = Figure(figsize=(5.0 * cols, 3.4 * rows), dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    axes = np.atleast_1d(fig.subplots(rows, cols, sharey=True)).reshape(-1)
    for ax, (title, scenarios, realized) in zip(axes, panels, strict=False):
        scenarios = np.asarray(scenarios, dtype="float64")
        hours = hour_axis(ax, scenarios.shape[1])
        q = np.percentile(scenarios, [5, 25, 50, 75, 95], axis=0)
        ax.fill_between(hours, q[0], q[4], color=GENERATED_COLOR, alpha=0.25, lw=0, label="5–95%")
        ax.fill_between(hours, q[1], q[3], color=GENERATED_COLOR, alpha=0.45, lw=0, label="25–75%")
        ax.plot(hours, q[2], color=GENERATED_MEAN_COLOR, lw=1.8, label="median")
        if realized is not None:
            ax.plot(hours, realized, color="black", lw=1.8, ls="--", label="realized")
        ax.set_title(title, fontsize=10)
    for ax in axes[len(panels) :]:
        ax.set_visible(False)
    axes[0].legend(fontsize=8, loc="upper left")
    return fig


def pit_figure(pits: Mapping[str, np.ndarray], *, bins: int = 20, dpi: int = 100) -> Figure:
    """PIT histograms: where each realized hour falls among its scenarios (the share of
    scenarios at or below it), one panel per generator; flat means calibrated, a U shape too
    narrow, a hump too wide.

    Example:
        >>> fig = pit_figure({"a": np.random.default_rng(0).random(500)})
        >>> len(fig.axes)
        1
    """
    fig = Figure(figsize=(3.2 * len(pits), 2.8), dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    axes = np.atleast_1d(fig.subplots(1, len(pits), sharey=True))
    for ax, (name, pit) in zip(axes, pits.items(), strict=True):
        ax.hist(pit, bins=bins, range=(0, 1), density=True, color=GENERATED_COLOR, alpha=0.8)
        ax.axhline(1.0, color="black", lw=1, ls="--")
        ax.set(title=name, xlabel="PIT of the realized hour")
    axes[0].set_ylabel("density")
    return fig


def rolling_score_figure(
    scores: Mapping[str, Sequence[float]], dates, *, window: int = 28, dpi: int = 100
) -> Figure:
    """Each generator's per-day score as a ``window``-day rolling mean over the dates.

    Example:
        >>> import pandas as pd
        >>> days = pd.date_range("2016-01-01", periods=60)
        >>> len(rolling_score_figure({"a": np.ones(60)}, days).axes)
        1
    """
    import pandas as pd

    fig = Figure(figsize=(8, 3.4), dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    for name, values in scores.items():
        series = pd.Series(np.asarray(values, dtype="float64"), index=pd.DatetimeIndex(dates))
        ax.plot(series.rolling(window, min_periods=1).mean(), lw=1.6, label=name)
    ax.set(ylabel=f"energy score, {window}-day mean", title="rolling energy score")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return fig
