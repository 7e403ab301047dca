"""The training animation's frame: curves over real ones, the distribution of days, the
losses; built once, then redrawn cheaply frame after frame (only what changes is drawn)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from tsgan.animation.panels import (
    distribution_panels,
    draw_real,
    generated_artists,
    loss_panel,
    titles,
)
from tsgan.animation.stats import overlap
from tsgan.plotting import (
    PLOT_COLORS,
    THEMES,
    hour_axis,
    legend_above,
    theme_rc,
)
from tsgan.settings import FRAME_SIZE, THEME


def frame_geometry(size: tuple[int, int]) -> tuple[tuple[float, float], float]:
    """Figure size (inches) and dpi that give ``size`` pixels with text that grows with them.

    The default 720 × 288 pixels is 10 × 4 inches at 72 dpi; a bigger frame gets a higher dpi
    (the same text, sharper) and, if its shape differs, more room in the longer direction.

    Example:
        >>> frame_geometry((1440, 576))
        ((10.0, 4.0), 144.0)
    """
    width, height = size
    dpi = 72.0 * min(width / FRAME_SIZE[0], height / FRAME_SIZE[1])
    return (width / dpi, height / dpi), dpi


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
    size: tuple[int, int] = FRAME_SIZE
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
    size: tuple[int, int] = FRAME_SIZE,
    theme: str = THEME,
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
    muted = rc["axes.edgecolor"]
    if dist is not None:
        grid = fig.add_gridspec(1, 3, width_ratios=[1.3, 0.72, 0.9])
        ax_c, ax_l = fig.add_subplot(grid[0]), fig.add_subplot(grid[2])
        ax_dist = grid[1].subgridspec(2, 1, hspace=0.0).subplots()
    else:
        ax_c, ax_l = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.35, 1]})
        ax_dist = ()
    hours = hour_axis(ax_c, n_steps)
    ax_c.set_ylim(*ylim)
    draw_real(ax_c, hours, real, real_groups, groups, rc["text.color"])
    generated, gen_means = generated_artists(ax_c, hours, n_generated, groups)
    legend_above(ax_c, ncol=4 if not groups else 2)
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
        dist_generated, dist_notes = distribution_panels(ax_dist, dist, groups, muted)
    d_line, g_line, marker = loss_panel(ax_l, epochs, muted)
    title_artist, counter = titles(fig, title, subtitle, muted)
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


def plot_palette(theme: str = THEME) -> np.ndarray:
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
