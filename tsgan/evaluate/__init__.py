"""Evaluation: metrics, statistical baselines, the noise floor and the report."""

from tsgan.evaluate.baselines import BASELINES, bootstrap, gaussian, gaussian_copula, pca_kde
from tsgan.evaluate.metrics import (
    METRICS,
    copy_ratio,
    crps_per_hour,
    delta_energy_score,
    density_coverage,
    energy_terms,
    max_ks,
    mmd2,
    one_nn_accuracy,
    rbf_bandwidths,
    score,
    spearman_gap,
    stylized_facts,
    variogram_scores,
)
from tsgan.evaluate.report import (
    diebold_mariano,
    evaluate,
    report_markdown,
    stratified_halves,
    write_report,
)

__all__ = [
    "BASELINES",
    "METRICS",
    "bootstrap",
    "copy_ratio",
    "crps_per_hour",
    "delta_energy_score",
    "density_coverage",
    "diebold_mariano",
    "energy_terms",
    "evaluate",
    "gaussian",
    "gaussian_copula",
    "max_ks",
    "mmd2",
    "one_nn_accuracy",
    "pca_kde",
    "rbf_bandwidths",
    "report_markdown",
    "score",
    "spearman_gap",
    "stratified_halves",
    "stylized_facts",
    "variogram_scores",
    "write_report",
]
