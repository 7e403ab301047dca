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
DEFAULT_SIZE = (720, 288)  # pixels of a training animation's frame


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


def frame_geometry(size: tuple[int, int]) -> tuple[tuple[float, float], float]:
    """Figure size (inches) and dpi that give ``size`` pixels with text that grows with them.

    The default 720 × 288 pixels is 10 × 4 inches at 72 dpi; a bigger frame gets a higher dpi
    (the same text, sharper) and, if its shape differs, more room in the longer direction.

    Example:
        >>> frame_geometry((1440, 576))
        ((10.0, 4.0), 144.0)
    """
    width, height = size
    dpi = 72.0 * min(width / DEFAULT_SIZE[0], height / DEFAULT_SIZE[1])
    return (width / dpi, height / dpi), dpi


def daily_stats(curves: np.ndarray) -> np.ndarray:
    """The daily mean and the daily spread (max − min) of each curve, shape ``(2, n)``.

    Example:
        >>> daily_stats(np.array([[10.0, 30.0]])).tolist()
        [[20.0], [20.0]]
    """
    curves = np.asarray(curves, dtype="float64")
    return np.stack([curves.mean(axis=1), curves.max(axis=1) - curves.min(axis=1)])


def stat_bins(real: np.ndarray, n_bins: int = 28) -> np.ndarray:
    """Fixed histogram bins ``(2, n_bins + 1)`` of the daily mean and spread of real days.

    Example:
        >>> stat_bins(np.random.default_rng(0).normal(50, 10, (100, 24)), 4).shape
        (2, 5)
    """
    bins = []
    for values in daily_stats(real):
        lo, hi = np.quantile(values, [0.005, 0.995])
        pad = 0.15 * max(hi - lo, 1.0)
        bins.append(np.linspace(lo - pad, hi + pad, n_bins + 1))
    return np.asarray(bins)


def stat_shares(curves: np.ndarray, bins: np.ndarray) -> np.ndarray:
    """The share of curves in each bin of the daily mean and spread, shape ``(2, n_bins)``.

    Shares are of all curves: days outside the bins are missing from the histogram.

    Example:
        >>> stat_shares(np.array([[10.0, 30.0]]), np.array([[0, 15, 30], [0, 15, 30]])).tolist()
        [[0.0, 1.0], [0.0, 1.0]]
    """
    stats = daily_stats(curves)
    return np.asarray(
        [np.histogram(v, bins=b)[0] / max(len(v), 1) for v, b in zip(stats, bins, strict=True)]
    )


def overlap(p: np.ndarray, q: np.ndarray) -> float:
    """Histogram overlap Σ min(p, q) of two share histograms: 1 when they match, 0 when apart.

    Example:
        >>> overlap(np.array([0.5, 0.5]), np.array([0.0, 1.0]))
        0.5
    """
    return float(np.minimum(p, q).sum())


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
    size: tuple[int, int] = DEFAULT_SIZE
    rc: dict = field(default_factory=dict)  # the theme, in force whenever the figure draws
    loss_limits: tuple[float, float] = (0.0, 1.0)
    loss_region: object = None  # the loss panel's part of the background (a Bbox in pixels)
    background: object = None
    animated: list = field(default_factory=list)
    dist_real: np.ndarray | None = None  # (groups, 2, bins) shares of the real days
    dist_generated: list = field(default_factory=list)  # [stat][group] stairs
    dist_notes: list = field(default_factory=list)  # one overlap text per stat
    counter: object = None  # the epoch counter's text, drawn only to make stamps
    counter_slots: list = field(default_factory=list)  # pixel centres of its characters
    stamps: dict = field(default_factory=dict)  # rendered text: key → (y, x, rgb, alpha)


def training_figure(
    real: np.ndarray | None,
    *,
    n_generated: int,
    epochs: int,
    ylim: tuple[float, float],
    n_steps: int = 24,
    size: tuple[int, int] = DEFAULT_SIZE,
    theme: str = "light",
    title: str = "",
    subtitle: str = "",
    groups: Sequence[str] = (),
    real_groups: np.ndarray | None = None,
    dist: Mapping[str, np.ndarray] | None = None,
) -> TrainingFigure:
    """Build the training figure: curves, the distribution of days, and the losses.

    Left, real curves drawn once in thin grey and the generated curves over them. Middle
    (with ``dist``), the distribution learning: histograms of the daily mean and the daily
    spread (max − min) of many generated days over those of the real days, on fixed bins,
    with their overlap (1 = the same histogram). Right, the losses. The generated curves,
    the histograms, the losses, the epoch marker and the title are the only artists that
    change from frame to frame. For a conditional run, ``groups`` names the fixed conditions
    (e.g. "winter workday", "summer Sunday"): generated curves come in equal blocks, one per
    group, and each group's generated and real curves (``real_groups``: the group of each
    real curve) share a colour.

    Args:
        real: real curves (EUR/MWh) drawn in grey, or None.
        n_generated: generated curves per frame.
        epochs: planned epochs (the loss axis).
        ylim: price axis limits.
        n_steps: values per day.
        size: ``(width, height)`` of the frame in pixels.
        theme: ``"light"`` or ``"dark"``.
        title: shown before the epoch counter.
        subtitle: a small caption in the top-left corner.
        groups: names of the fixed conditions of a conditional run.
        real_groups: the group of each real curve.
        dist: ``{"bins": (2, n_bins + 1), "real": (groups, 2, n_bins)}``: the bins of the
            daily mean and spread and the real days' shares (see :func:`stat_shares`).

    Example:
        >>> tfig = training_figure(np.zeros((3, 24)), n_generated=2, epochs=10, ylim=(-1, 1))
        >>> render_frame(tfig, epoch=1, generated=np.zeros((2, 24)), d_loss=[1.4], g_loss=[0.7]).shape
        (288, 720, 3)
    """
    import matplotlib

    rc = theme_rc(theme)
    with matplotlib.rc_context(rc):
        tfig = _build_figure(
            real,
            n_generated,
            epochs,
            ylim,
            n_steps,
            size,
            rc,
            title,
            subtitle,
            groups,
            real_groups,
            dist,
        )
        # room for tick labels as wide as "−1.5": the layout is frozen, and a wider label
        # runs into the panel on the left (then the whole figure is redrawn)
        tfig.ax_loss.set_ylim(-1.75, 1.75)
        tfig.fig.get_layout_engine().execute(tfig.fig)  # lay the figure out, without drawing
        tfig.fig.set_layout_engine("none")  # freeze it: later redraws must not move panels
        _place_counter(tfig)
        _set_loss_limits(tfig, (0.0, 1.0))  # the static background
    return tfig


def _build_figure(
    real, n_generated, epochs, ylim, n_steps, size, rc, title, subtitle, groups, real_groups, dist
) -> TrainingFigure:
    figsize, dpi = frame_geometry(size)
    fig = Figure(figsize=figsize, dpi=dpi, layout="constrained")
    fig.get_layout_engine().set(w_pad=2 / 72, h_pad=2 / 72, wspace=0.03)
    canvas = FigureCanvasAgg(fig)
    foreground, muted = rc["text.color"], rc["axes.edgecolor"]
    if dist is not None:
        grid = fig.add_gridspec(1, 3, width_ratios=[1.3, 0.72, 0.9])
        ax_c, ax_l = fig.add_subplot(grid[0]), fig.add_subplot(grid[2])
        ax_dist = grid[1].subgridspec(2, 1, hspace=0.0).subplots()
    else:
        ax_c, ax_l = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.35, 1]})
        ax_dist = ()
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
                    label=f"real {name} ({len(mine)})" if name else f"real ({len(mine)})",
                )
            )
            ax_c.plot(
                hours,
                mine.mean(axis=0),
                color=foreground if not groups else color,
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
            antialiased=False,
            animated=True,
            label="gen. mean" if not groups else None,
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
            color=muted,
        )

    dist_generated, dist_notes = [], []
    if dist is not None:
        bins, shares = np.asarray(dist["bins"]), np.asarray(dist["real"])
        top = 1.6 * shares.max(axis=(0, 2))  # fixed heights: room above the real histograms
        names = ("daily mean", "daily spread")
        for s, ax in enumerate(ax_dist):
            stairs = []
            for g in range(shares.shape[0]):
                color = GENERATED_COLOR if not groups else GROUP_COLORS[g]
                ax.stairs(
                    shares[g, s],
                    bins[s],
                    fill=True,
                    color=REAL_COLOR if not groups else color,
                    alpha=0.45 if not groups else 0.25,
                    lw=0,
                )
                stairs.append(
                    ax.stairs(
                        np.zeros(bins.shape[1] - 1), bins[s], color=color, lw=1.6, animated=True
                    )
                )
            ax.set_xlim(bins[s, 0], bins[s, -1])
            ax.set_ylim(0, top[s])
            ax.set_yticks([])
            ax.xaxis.set_major_locator(MaxNLocator(4))
            ax.tick_params(axis="x", labelsize=7, pad=1)
            ax.text(0.03, 0.95, names[s], transform=ax.transAxes, va="top", fontsize=7.5)
            dist_notes.append(
                ax.text(
                    0.97,
                    0.95,
                    "",
                    transform=ax.transAxes,
                    va="top",
                    ha="right",
                    fontsize=7.5,
                    color=muted,
                    animated=True,
                )
            )
            dist_generated.append(stairs)
        what = "real (grey) vs generated days" if not groups else "real vs generated days"
        ax_dist[0].set_title(what, fontsize=8, pad=14, loc="left")
        ax_dist[1].set_xlabel("EUR/MWh (spread: max − min)", fontsize=8)

    ax_l.set_xlim(1, max(epochs, 2))
    ax_l.xaxis.set_major_locator(MaxNLocator(4, integer=True))
    # steps of 1, 2 or 5: tick labels like "−0.5" or "−20", never as wide as "−0.25"
    ax_l.yaxis.set_major_locator(MaxNLocator("auto", steps=[1, 2, 5, 10]))
    ax_l.set_xlabel("epoch")
    ax_l.grid(alpha=0.3)
    (d_line,) = ax_l.plot([], [], color=D_COLOR, lw=1.6, label="D loss", animated=True)
    (g_line,) = ax_l.plot([], [], color=G_COLOR, lw=1.6, label="G loss", animated=True)
    marker = ax_l.axvline(1, color=muted, ls=":", lw=1.0, animated=True)
    _legend_above(ax_l, ncol=2)
    heading = f"{title}  ·  " if title else ""
    title_artist = fig.suptitle(f"{heading}epoch", fontsize=12, fontweight="bold")
    counter = fig.text(
        0,
        0,
        "",
        fontsize=12,
        fontweight="bold",
        family="DejaVu Sans Mono",
        ha="center",
        va="baseline",
        animated=True,
    )
    if subtitle:
        fig.text(0.005, 0.995, subtitle, ha="left", va="top", fontsize=7, color=muted)
    tfig = TrainingFigure(
        fig,
        canvas,
        ax_c,
        ax_l,
        generated,
        gen_means,
        d_line,
        g_line,
        marker,
        title_artist,
        epochs,
        size=tuple(size),
        rc=rc,
        dist_real=None if dist is None else np.asarray(dist["real"]),
        dist_generated=dist_generated,
        dist_notes=dist_notes,
        counter=counter,
    )
    tfig.animated = [
        *generated,
        *gen_means,
        *(a for row in dist_generated for a in row),
        d_line,
        g_line,
        marker,
    ]  # the texts that change (counter, overlaps) are stamped: see _stamp
    return tfig


def _place_counter(tfig: TrainingFigure) -> None:
    """Centre "heading epoch" and the counter's character slots together under the top edge."""
    from matplotlib.transforms import IdentityTransform

    renderer = tfig.canvas.get_renderer()
    width = tfig.fig.bbox.width
    static = tfig.title.get_window_extent(renderer)
    size = tfig.counter.get_fontsize() * tfig.fig.dpi / 72
    advance = 0.602 * size  # DejaVu Sans Mono: every character is 0.602 em wide
    n = 2 * len(str(tfig.epochs)) + 1  # "1234/1500"
    left = (width - static.width - 0.6 * advance - n * advance) / 2
    tfig.title.set_horizontalalignment("left")
    tfig.title.set_x(left / width)
    start = left + static.width + 0.6 * advance
    tfig.counter_slots = [round(start + (i + 0.5) * advance) for i in range(n)]
    tfig.counter.set_y(static.y0 + 0.2 * size)  # near the static part's baseline
    tfig.counter.set_transform(IdentityTransform())  # positions in pixels from bottom left


def _stamp(tfig: TrainingFigure, key, artist, text: str, at: tuple[float, float] | None = None):
    """The pixels of ``artist`` showing ``text`` (drawn once on a transparent canvas, then
    kept): ``(top, left, rgb, alpha)``. Agg takes 1–2 ms for each text it draws, more than
    all the lines of a frame; pasting kept pixels takes microseconds."""
    if key in tfig.stamps:
        return tfig.stamps[key]
    renderer = tfig.canvas.get_renderer()
    artist.set_text(text)
    if at is not None:
        artist.set_position(at)
    renderer.clear()  # transparent: the text's own alpha is kept
    tfig.fig.draw_artist(artist)
    box = artist.get_window_extent(renderer)
    height = renderer.height
    x0, x1 = max(0, int(np.floor(box.x0)) - 1), int(np.ceil(box.x1)) + 1
    y0, y1 = max(0, int(height - np.ceil(box.y1)) - 1), int(height - np.floor(box.y0)) + 1
    rgba = np.asarray(renderer.buffer_rgba())[y0:y1, x0:x1].astype("float32") / 255
    tfig.stamps[key] = (y0, x0, rgba[..., :3], rgba[..., 3:])
    return tfig.stamps[key]


def _paste(frame: np.ndarray, stamp, dx: int = 0) -> None:
    """Blend a stamp into an RGB frame (``dx`` pixels to the right of where it was drawn)."""
    top, left, rgb, alpha = stamp
    left += dx
    h, w = alpha.shape[:2]
    h, w = min(h, frame.shape[0] - top), min(w, frame.shape[1] - left)
    if h <= 0 or w <= 0 or left < 0:
        return
    region = frame[top : top + h, left : left + w].astype("float32")
    a = alpha[:h, :w]
    frame[top : top + h, left : left + w] = (rgb[:h, :w] * 255 * a + region * (1 - a)).astype(
        np.uint8
    )


PLOT_COLORS = (REAL_COLOR, GENERATED_COLOR, GENERATED_MEAN_COLOR, D_COLOR, G_COLOR, *GROUP_COLORS)


def plot_palette(theme: str = "light") -> np.ndarray:
    """The RGB colours of the training figure, each blended with the theme's background,
    plus a ramp from the background to the text colour.

    A GIF palette built from these keeps every line its own colour in every frame.

    Example:
        >>> plot_palette().shape[1]
        3
    """
    from matplotlib.colors import to_rgb

    c = THEMES[theme]
    background, foreground = (
        np.asarray(to_rgb(c["background"])),
        np.asarray(to_rgb(c["foreground"])),
    )
    alphas = np.linspace(0.1, 1.0, 10)
    blends = [(1 - a) * background + a * np.asarray(to_rgb(k)) for k in PLOT_COLORS for a in alphas]
    ramp = [(1 - a) * background + a * foreground for a in np.linspace(0.0, 1.0, 24)]
    greys = [np.full(3, v) for v in np.linspace(0.0, 1.0, 12)]
    return (np.asarray(blends + ramp + greys) * 255).round().astype(np.uint8)


def _set_loss_limits(tfig: TrainingFigure, limits: tuple[float, float]) -> None:
    """Set the loss axis range and redraw the static background (only when it grows).

    Only the loss panel is drawn again (its ticks, labels and grid; about a fifth of the
    cost of drawing the whole figure): its region of the background, from the panel on its
    left to the figure's edge, is painted over with the figure's colour first. The whole
    figure is drawn the first time, and when tick labels would leave that region.
    """
    import matplotlib
    from matplotlib.patches import Rectangle
    from matplotlib.transforms import Bbox, IdentityTransform

    with matplotlib.rc_context(tfig.rc):
        tfig.loss_limits = limits
        ax, renderer = tfig.ax_loss, tfig.canvas.get_renderer()
        ax.set_ylim(*limits)
        region = tfig.loss_region
        if region is not None:
            labels = ax.yaxis.get_tightbbox(renderer)
            if labels is not None and not (
                labels.x0 - 1 >= region.x0 and region.y0 <= labels.y0 <= labels.y1 <= region.y1
            ):
                region = None
        if region is None:
            tfig.canvas.draw()
            tfig.background = tfig.canvas.copy_from_bbox(tfig.fig.bbox)
            # the panel's region: not over the panel on its left (a spine's width away)
            tight = ax.get_tightbbox(renderer).padded(2)
            left = max(a.bbox.x1 + 2 for a in tfig.fig.axes if a.bbox.x1 <= ax.bbox.x0)
            tfig.loss_region = Bbox([[left, tight.y0], [tight.x1, tight.y1]])
            return
        tfig.canvas.restore_region(tfig.background)
        Rectangle(
            (region.x0, region.y0),
            region.width,
            region.height,
            transform=IdentityTransform(),
            facecolor=tfig.fig.get_facecolor(),
            edgecolor="none",
            figure=tfig.fig,
        ).draw(renderer)
        ax.draw(renderer)
        tfig.background = tfig.canvas.copy_from_bbox(tfig.fig.bbox)


def render_frame(
    tfig: TrainingFigure,
    *,
    epoch: int,
    generated: np.ndarray,
    d_loss: Sequence[float],
    g_loss: Sequence[float],
    dist: np.ndarray | None = None,
) -> np.ndarray:
    """Draw one frame and return it as an ``(H, W, 3)`` uint8 RGB array.

    ``d_loss``/``g_loss`` hold one value per epoch from the first up to ``epoch``; ``dist``
    the ``(groups, 2, n_bins)`` shares of many generated days (see :func:`stat_shares`).
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
    notes = []
    if tfig.dist_generated:
        shares = np.zeros_like(tfig.dist_real) if dist is None else np.asarray(dist)
        for s, (stairs, note) in enumerate(zip(tfig.dist_generated, tfig.dist_notes, strict=True)):
            for g, artist in enumerate(stairs):
                artist.set_data(shares[g, s])
            match = np.mean(
                [overlap(tfig.dist_real[g, s], shares[g, s]) for g in range(len(stairs))]
            )
            if dist is not None:
                notes.append((note, f"overlap {match:.0%}"))
    x = np.arange(1, len(d_loss) + 1)
    tfig.d_line.set_data(x, d_loss)
    tfig.g_line.set_data(x, g_loss)
    tfig.marker.set_xdata([epoch, epoch])
    tfig.canvas.restore_region(tfig.background)
    for artist in tfig.animated:
        tfig.fig.draw_artist(artist)
    tfig.canvas.blit(tfig.fig.bbox)
    rgba = np.asarray(tfig.canvas.buffer_rgba())
    width, height = tfig.size
    if rgba.shape[:2] != (height, width):  # never off by a rounding pixel
        raise RuntimeError(f"frame is {rgba.shape[1]}x{rgba.shape[0]}, not {width}x{height}")
    # RGBA → RGB by Pillow: a third of the time of numpy's strided copy
    from PIL import Image

    rgb = Image.frombuffer("RGBA", (width, height), rgba, "raw", "RGBA", 0, 1).convert("RGB")
    frame = np.frombuffer(bytearray(rgb.tobytes()), np.uint8).reshape(height, width, 3)
    # the texts that change: kept pixels, pasted (drawing them would clear the canvas: after
    # the frame is taken, as the next frame starts from the background anyway)
    for i, (note, text) in enumerate(notes):
        _paste(frame, _stamp(tfig, ("note", i, text), note, text))
    count = f"{epoch:>{len(str(tfig.epochs))}}/{tfig.epochs}"
    first = tfig.counter_slots[0]
    for slot, char in zip(tfig.counter_slots, count, strict=False):
        if char != " ":
            stamp = _stamp(
                tfig,
                ("counter", char),
                tfig.counter,
                char,
                at=(first, tfig.counter.get_position()[1]),
            )
            _paste(frame, stamp, dx=slot - first)
    return frame


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
