"""Pure drawing functions on ``matplotlib.figure.Figure`` (never pyplot's global state)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

REAL_COLOR = "0.55"
GENERATED_COLOR = "tab:orange"
GENERATED_MEAN_COLOR = "tab:red"
D_COLOR = "tab:blue"
G_COLOR = "tab:green"
GROUP_COLORS = ("tab:orange", "tab:purple")  # conditional runs: one colour per fixed condition


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


def _hour_axis(ax, n_steps: int) -> np.ndarray:
    hours = np.arange(n_steps) * 24.0 / n_steps
    ax.set_xlim(0, 24 - 24.0 / n_steps)
    ax.set_xticks(range(0, 24, 3))
    ax.set_xlabel("hour of day")
    ax.set_ylabel("price (EUR/MWh)")
    ax.grid(alpha=0.3)
    return hours


def _legend_above(ax, *, ncol: int) -> None:
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


@dataclass
class TrainingFigure:
    """A figure whose generated curves and losses are redrawn cheaply, frame after frame."""

    fig: Figure
    canvas: FigureCanvasAgg
    ax_curves: object
    ax_loss: object
    generated: list  # one LineCollection per group
    generated_mean: list  # one mean line per group
    d_line: object
    g_line: object
    marker: object
    title: object
    epochs: int
    loss_limits: tuple[float, float] = (0.0, 1.0)
    background: object = None
    animated: list = field(default_factory=list)


def training_figure(
    real: np.ndarray | None,
    *,
    n_generated: int,
    epochs: int,
    ylim: tuple[float, float],
    n_steps: int = 24,
    dpi: int = 80,
    figsize: tuple[float, float] = (10.0, 4.0),
    subtitle: str = "",
    groups: Sequence[str] = (),
    real_groups: np.ndarray | None = None,
) -> TrainingFigure:
    """Build the two-panel training figure: curves (left) and losses (right).

    Real curves are drawn once in thin grey; the generated curves, the losses, the epoch
    marker and the title are the only artists that change from frame to frame. For a
    conditional run, ``groups`` names the fixed conditions (e.g. "winter workday", "summer
    Sunday"): the generated curves come in equal blocks, one per group, and each group's
    generated and real curves (``real_groups``: the group of each real curve) share a colour.

    Example:
        >>> tfig = training_figure(np.zeros((3, 24)), n_generated=2, epochs=10, ylim=(-1, 1))
        >>> render_frame(tfig, epoch=1, generated=np.zeros((2, 24)), d_loss=[1.4], g_loss=[0.7]).shape
        (320, 800, 3)
    """
    fig = Figure(figsize=figsize, dpi=dpi, layout="constrained")
    canvas = FigureCanvasAgg(fig)
    ax_c, ax_l = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.35, 1]})
    hours = _hour_axis(ax_c, n_steps)
    ax_c.set_ylim(*ylim)
    labels = list(groups) or [""]
    if real is not None and len(real):
        real = np.asarray(real)
        which = np.zeros(len(real), int) if real_groups is None else np.asarray(real_groups)
        for g, name in enumerate(labels):
            mine = real[which == g]
            if not len(mine):
                continue
            color = REAL_COLOR if not groups else GROUP_COLORS[g]
            segments = [np.column_stack([hours, curve]) for curve in mine]
            ax_c.add_collection(
                LineCollection(
                    segments,
                    colors=color,
                    linewidths=0.6,
                    alpha=0.35 if not groups else 0.22,
                    label=f"real {name} ({len(mine)})" if name else f"real days ({len(mine)})",
                )
            )
            ax_c.plot(
                hours,
                mine.mean(axis=0),
                color="black" if not groups else color,
                lw=2.0 if not groups else 1.4,
                ls="--",
                label="real mean" if not groups else None,
            )
    # One collection per group: one draw call per frame instead of one per curve.
    generated, gen_means = [], []
    for g, name in enumerate(labels):
        color = GENERATED_COLOR if not groups else GROUP_COLORS[g]
        collection = LineCollection(
            [],
            colors=color,
            linewidths=0.8,
            antialiaseds=False,  # crisp single-colour pixels: far smaller GIF frames
            animated=True,
            label=f"generated ({n_generated})" if not groups else f"generated {name}",
        )
        ax_c.add_collection(collection)
        (mean_line,) = ax_c.plot(
            hours,
            np.full(n_steps, np.nan),
            color=GENERATED_MEAN_COLOR if not groups else color,
            lw=2.2,
            animated=True,
            label="generated mean" if not groups else None,
        )
        generated.append(collection)
        gen_means.append(mean_line)
    _legend_above(ax_c, ncol=4 if not groups else 2)
    if groups:
        ax_c.text(
            0.99,
            0.02,
            "dashed: real means",
            transform=ax_c.transAxes,
            ha="right",
            fontsize=7,
            color="0.35",
        )

    ax_l.set_xlim(1, max(epochs, 2))
    ax_l.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax_l.set_xlabel("epoch")
    ax_l.set_ylabel("loss")
    ax_l.grid(alpha=0.3)
    (d_line,) = ax_l.plot(
        [], [], color=D_COLOR, lw=1.6, label="discriminator (d_loss)", animated=True
    )
    (g_line,) = ax_l.plot([], [], color=G_COLOR, lw=1.6, label="generator (g_loss)", animated=True)
    marker = ax_l.axvline(1, color="0.3", ls=":", lw=1.0, animated=True)
    _legend_above(ax_l, ncol=2)
    title = fig.suptitle("epoch 0", fontsize=12, fontweight="bold", animated=True)
    if subtitle:
        fig.text(0.005, 0.995, subtitle, ha="left", va="top", fontsize=7, color="0.4")
    tfig = TrainingFigure(
        fig, canvas, ax_c, ax_l, generated, gen_means, d_line, g_line, marker, title, epochs
    )
    tfig.animated = [*generated, *gen_means, d_line, g_line, marker, title]
    _set_loss_limits(tfig, (0.0, 1.0))
    fig.set_layout_engine("none")  # freeze the layout: later redraws must not move the panels
    return tfig


PLOT_COLORS = (REAL_COLOR, GENERATED_COLOR, GENERATED_MEAN_COLOR, D_COLOR, G_COLOR, *GROUP_COLORS)


def plot_palette() -> np.ndarray:
    """The RGB colours of the training figure, each blended with white, plus a grey ramp.

    A GIF palette built from these keeps every line its own colour in every frame.

    Example:
        >>> plot_palette().shape[1]
        3
    """
    from matplotlib.colors import to_rgb

    alphas = np.linspace(0.1, 1.0, 10)
    blends = [(1 - a) + a * np.asarray(to_rgb(c)) for c in PLOT_COLORS for a in alphas]
    greys = [np.full(3, v) for v in np.linspace(0.0, 1.0, 24)]
    return (np.asarray(blends + greys) * 255).round().astype(np.uint8)


def _set_loss_limits(tfig: TrainingFigure, limits: tuple[float, float]) -> None:
    """Set the loss axis range and redraw the static background (only when it grows)."""
    tfig.loss_limits = limits
    tfig.ax_loss.set_ylim(*limits)
    tfig.canvas.draw()
    tfig.background = tfig.canvas.copy_from_bbox(tfig.fig.bbox)


def render_frame(
    tfig: TrainingFigure,
    *,
    epoch: int,
    generated: np.ndarray,
    d_loss: Sequence[float],
    g_loss: Sequence[float],
) -> np.ndarray:
    """Draw one frame and return it as an ``(H, W, 3)`` uint8 RGB array.

    ``d_loss``/``g_loss`` hold one value per epoch from the first up to ``epoch``.
    """
    losses = np.asarray([*d_loss, *g_loss], dtype="float64")
    finite = losses[np.isfinite(losses)]
    if finite.size:
        lo, hi = tfig.loss_limits
        if finite.min() < lo or finite.max() > hi:  # grow the axis, never shrink it
            _set_loss_limits(tfig, (min(lo, 1.25 * finite.min()), max(hi, 1.25 * finite.max())))
    hours = tfig.generated_mean[0].get_xdata()
    blocks = np.array_split(np.asarray(generated), len(tfig.generated))  # one block per group
    for collection, mean_line, block in zip(
        tfig.generated, tfig.generated_mean, blocks, strict=True
    ):
        collection.set_segments([np.column_stack([hours, curve]) for curve in block])
        mean_line.set_ydata(block.mean(axis=0))
    x = np.arange(1, len(d_loss) + 1)
    tfig.d_line.set_data(x, d_loss)
    tfig.g_line.set_data(x, g_loss)
    tfig.marker.set_xdata([epoch, epoch])
    tfig.title.set_text(f"epoch {epoch}/{tfig.epochs}")
    tfig.canvas.restore_region(tfig.background)
    for artist in tfig.animated:
        tfig.fig.draw_artist(artist)
    tfig.canvas.blit(tfig.fig.bbox)
    return np.asarray(tfig.canvas.buffer_rgba())[..., :3].copy()


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
    from scipy.stats import spearmanr

    real, generated = np.asarray(real, dtype="float64"), np.asarray(generated, dtype="float64")
    hours = np.arange(real.shape[1]) * 24.0 / real.shape[1]
    figures: dict[str, Figure] = {}

    def new(figsize=(8, 4.5), ncols=1):
        fig = Figure(figsize=figsize, dpi=dpi, layout="constrained")
        FigureCanvasAgg(fig)
        return fig, fig.subplots(1, ncols)

    fig, ax = new()
    for data, color, label in (
        (real, "black", "real (test days)"),
        (generated, GENERATED_MEAN_COLOR, "generated"),
    ):
        lo, hi = np.percentile(data, [5, 95], axis=0)
        ax.fill_between(hours, lo, hi, color=color, alpha=0.15, label=f"{label} 5–95%")
        ax.plot(hours, data.mean(axis=0), color=color, lw=2, label=f"{label} mean")
    _hour_axis(ax, real.shape[1])
    ax.legend(fontsize=8)
    ax.set_title("mean daily profile with 5–95% bands")
    figures["profile_bands"] = fig

    fig, ax = new()
    for q, style in zip((5, 25, 50, 75, 95), (":", "--", "-", "--", ":"), strict=True):
        ax.plot(
            hours,
            np.percentile(real, q, axis=0),
            color="black",
            ls=style,
            lw=1.2,
            label=f"real q{q}",
        )
        ax.plot(
            hours,
            np.percentile(generated, q, axis=0),
            color=GENERATED_MEAN_COLOR,
            ls=style,
            lw=1.2,
            label=f"generated q{q}",
        )
    _hour_axis(ax, real.shape[1])
    ax.legend(fontsize=7, ncol=2)
    ax.set_title("per-hour quantiles")
    figures["hourly_quantiles"] = fig

    fig, axes = new((10, 4.5), 2)
    for ax, data, title in ((axes[0], real, "real (test days)"), (axes[1], generated, "generated")):
        image = ax.imshow(spearmanr(data).statistic, vmin=-1, vmax=1, cmap="RdBu_r", origin="lower")
        ax.set(title=f"Spearman correlation of hours: {title}", xlabel="hour", ylabel="hour")
    fig.colorbar(image, ax=axes, shrink=0.8)
    figures["correlations"] = fig

    fig, ax = new((6.5, 5.5))
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
    figures["pca_scatter"] = fig

    fig, axes = new((10, 4), 2)
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
    figures["daily_histograms"] = fig
    return figures


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
        hours = _hour_axis(ax, scenarios.shape[1])
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
