"""Statistical generators a trader could use instead of a GAN, fitted on training curves only."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.stats import gaussian_kde, norm, rankdata

Sampler = Callable[[int, np.random.Generator], np.ndarray]


def bootstrap(train: np.ndarray) -> Sampler:
    """Resample training days. A reference that copies, not a legitimate generator.

    Example:
        >>> sample = bootstrap(np.arange(48.0).reshape(2, 24))
        >>> sample(3, np.random.default_rng(0)).shape
        (3, 24)
    """
    train = np.asarray(train, dtype="float64")
    return lambda n, rng: train[rng.integers(0, len(train), n)]


def gaussian(train: np.ndarray) -> Sampler:
    """A multivariate normal with the training mean and covariance.

    Example:
        >>> train = np.random.default_rng(0).normal(50, 10, (500, 24))
        >>> gaussian(train)(4, np.random.default_rng(1)).shape
        (4, 24)
    """
    train = np.asarray(train, dtype="float64")
    mean, cov = train.mean(axis=0), np.cov(train, rowvar=False)
    return lambda n, rng: rng.multivariate_normal(mean, cov, size=n, method="eigh")


def gaussian_copula(train: np.ndarray) -> Sampler:
    """A Gaussian copula of the hours with empirical marginals.

    Normal scores of each hour's ranks give the copula correlation; samples are mapped back
    through each hour's empirical quantile function (linear interpolation).

    Example:
        >>> train = np.random.default_rng(0).exponential(10, (500, 24))
        >>> bool((gaussian_copula(train)(100, np.random.default_rng(1)) >= train.min()).all())
        True
    """
    train = np.asarray(train, dtype="float64")
    n, d = train.shape
    scores = norm.ppf(rankdata(train, axis=0) / (n + 1))  # (n, d)
    corr = np.corrcoef(scores, rowvar=False)
    sorted_train = np.sort(train, axis=0)
    levels = (np.arange(1, n + 1) - 0.5) / n

    def sample(m: int, rng: np.random.Generator) -> np.ndarray:
        z = rng.multivariate_normal(np.zeros(d), corr, size=m, method="eigh")
        u = norm.cdf(z)
        return np.column_stack([np.interp(u[:, h], levels, sorted_train[:, h]) for h in range(d)])

    return sample


def pca_kde(train: np.ndarray, *, variance: float = 0.99, max_components: int = 10) -> Sampler:
    """Principal components of the curves, a Gaussian kernel density on the scores.

    Keeps enough components for ``variance`` of the variance (at most ``max_components``)
    and adds back Gaussian noise with the residual variance of each hour.

    Example:
        >>> train = np.random.default_rng(0).normal(50, 10, (300, 24))
        >>> pca_kde(train)(5, np.random.default_rng(1)).shape
        (5, 24)
    """
    train = np.asarray(train, dtype="float64")
    mean = train.mean(axis=0)
    centred = train - mean
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    explained = np.cumsum(s**2) / np.sum(s**2)
    k = int(min(max_components, np.searchsorted(explained, variance) + 1))
    components = vt[:k]  # (k, d)
    scores = centred @ components.T  # (n, k)
    residual_sd = (centred - scores @ components).std(axis=0)
    kde = gaussian_kde(scores.T)

    def sample(m: int, rng: np.random.Generator) -> np.ndarray:
        z = kde.resample(m, seed=rng).T  # (m, k)
        return mean + z @ components + rng.normal(0, 1, (m, len(mean))) * residual_sd

    return sample


BASELINES: dict[str, Callable[[np.ndarray], Sampler]] = {
    "bootstrap": bootstrap,
    "gaussian": gaussian,
    "gaussian_copula": gaussian_copula,
    "pca_kde": pca_kde,
}
