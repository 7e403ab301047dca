"""The panels of the training animation's frame, each drawn by one function: the real
curves, the generated curves' artists, the distribution histograms, the losses, the titles."""

from __future__ import annotations

import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.ticker import MaxNLocator

from tsgan.plotting import (
    D_COLOR,
    G_COLOR,
    GENERATED_COLOR,
    GENERATED_MEAN_COLOR,
    GROUP_COLORS,
    REAL_COLOR,
    legend_above,
)


def draw_real(ax, hours, real, real_groups, groups, foreground) -> None:
    """The real curves, drawn once: thin lines and their dashed mean, per group."""
    if real is None or not len(real):
        return
    real = np.asarray(real)
    which = np.zeros(len(real), int) if real_groups is None else np.asarray(real_groups)
    for g, name in enumerate(list(groups) or [""]):
        mine = real[which == g]
        if not len(mine):
            continue
        color = REAL_COLOR if not groups else GROUP_COLORS[g]
        segments = [np.column_stack([hours, curve]) for curve in mine]
        ax.add_collection(
            LineCollection(
                segments,
                colors=color,
                linewidths=0.6,
                alpha=0.35 if not groups else 0.22,
                label=f"real {name} ({len(mine)})" if name else f"real ({len(mine)})",
            )
        )
        ax.plot(
            hours,
            mine.mean(axis=0),
            color=foreground if not groups else color,
            lw=2.0 if not groups else 1.4,
            ls="--",
            label="real mean" if not groups else None,
        )


def generated_artists(ax, hours, n_generated, groups) -> tuple[list, list]:
    """One line collection and one mean line per group, redrawn every frame (one draw call
    per group instead of one per curve)."""
    generated, gen_means = [], []
    for g, name in enumerate(list(groups) or [""]):
        color = GENERATED_COLOR if not groups else GROUP_COLORS[g]
        collection = LineCollection(
            [],
            colors=color,
            linewidths=0.8,
            antialiaseds=False,  # crisp single-colour pixels: far smaller GIF frames
            animated=True,
            label=f"generated ({n_generated})" if not groups else f"generated {name}",
        )
        ax.add_collection(collection)
        (mean_line,) = ax.plot(
            hours,
            np.full(len(hours), np.nan),
            color=GENERATED_MEAN_COLOR if not groups else color,
            lw=2.2,
            antialiased=False,
            animated=True,
            label="gen. mean" if not groups else None,
        )
        generated.append(collection)
        gen_means.append(mean_line)
    return generated, gen_means


def distribution_panels(ax_dist, dist, groups, muted) -> tuple[list, list]:
    """The daily mean and spread histograms: the real days' drawn once, the generated
    days' stairs and the overlap texts returned to be redrawn."""
    bins, shares = np.asarray(dist["bins"]), np.asarray(dist["real"])
    top = 1.6 * shares.max(axis=(0, 2))  # fixed heights: room above the real histograms
    names = ("daily mean", "daily spread")
    dist_generated, dist_notes = [], []
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
            empty = np.zeros(bins.shape[1] - 1)
            stairs.append(ax.stairs(empty, bins[s], color=color, lw=1.6, animated=True))
        ax.set_xlim(bins[s, 0], bins[s, -1])
        ax.set_ylim(0, top[s])
        ax.set_yticks([])
        ax.xaxis.set_major_locator(MaxNLocator(4))
        ax.tick_params(axis="x", labelsize=7, pad=1)
        ax.text(0.03, 0.95, names[s], transform=ax.transAxes, va="top", fontsize=7.5)
        note = ax.text(
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
        dist_notes.append(note)
        dist_generated.append(stairs)
    what = "real (grey) vs generated days" if not groups else "real vs generated days"
    ax_dist[0].set_title(what, fontsize=8, pad=14, loc="left")
    ax_dist[1].set_xlabel("EUR/MWh (spread: max − min)", fontsize=8)
    return dist_generated, dist_notes


def loss_panel(ax, epochs, muted) -> tuple:
    """The loss axes; returns the D and G loss lines and the epoch marker."""
    ax.set_xlim(1, max(epochs, 2))
    ax.xaxis.set_major_locator(MaxNLocator(4, integer=True))
    # steps of 1, 2 or 5: tick labels like "−0.5" or "−20", never as wide as "−0.25"
    ax.yaxis.set_major_locator(MaxNLocator("auto", steps=[1, 2, 5, 10]))
    ax.set_xlabel("epoch")
    ax.grid(alpha=0.3)
    (d_line,) = ax.plot([], [], color=D_COLOR, lw=1.6, label="D loss", animated=True)
    (g_line,) = ax.plot([], [], color=G_COLOR, lw=1.6, label="G loss", animated=True)
    marker = ax.axvline(1, color=muted, ls=":", lw=1.0, animated=True)
    legend_above(ax, ncol=2)
    return d_line, g_line, marker


def titles(fig, title, subtitle, muted) -> tuple:
    """The heading ("TITLE · epoch"), the epoch counter's text and the subtitle."""
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
    return title_artist, counter
