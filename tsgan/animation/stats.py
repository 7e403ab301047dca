"""What the animation's middle panel compares: the daily mean and spread of real and
generated days, as shares on fixed bins, and how much two histograms overlap."""

from __future__ import annotations

import numpy as np


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
