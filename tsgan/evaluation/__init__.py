"""Evaluation: metrics, statistical baselines, the noise floor and the report."""

from tsgan.evaluation.baselines import BASELINES, bootstrap, gaussian, gaussian_copula, pca_kde
from tsgan.evaluation.conditional import (
    analog_baselines,
    analog_days,
    conditional_report_markdown,
    evaluate_conditional,
    per_day_scores,
    write_conditional_report,
)
from tsgan.evaluation.metrics import (
    METRICS,
    copy_ratio,
    crps_per_hour,
    delta_energy_score,
    density_coverage,
    energy_terms,
    fact_gaps,
    max_ks,
    mmd2,
    one_nn_accuracy,
    rbf_bandwidths,
    resampling_excess,
    roughness,
    score,
    spearman_gap,
    stylized_facts,
    variogram_scores,
)
from tsgan.evaluation.report import (
    Evaluation,
    diebold_mariano,
    evaluate_generator,
    report_markdown,
    stratified_halves,
    write_report,
)

__all__ = [
    "BASELINES",
    "METRICS",
    "Evaluation",
    "analog_baselines",
    "analog_days",
    "bootstrap",
    "conditional_report_markdown",
    "copy_ratio",
    "crps_per_hour",
    "delta_energy_score",
    "density_coverage",
    "diebold_mariano",
    "energy_terms",
    "evaluate",
    "evaluate_conditional",
    "evaluate_generator",
    "fact_gaps",
    "gaussian",
    "gaussian_copula",
    "max_ks",
    "mmd2",
    "one_nn_accuracy",
    "pca_kde",
    "per_day_scores",
    "rbf_bandwidths",
    "report_markdown",
    "resampling_excess",
    "roughness",
    "score",
    "spearman_gap",
    "stratified_halves",
    "stylized_facts",
    "variogram_scores",
    "write_conditional_report",
    "write_report",
]


def evaluate(*args, **kwargs):
    """Deprecated alias of :func:`evaluate_generator` (``tsgan.evaluate`` was also the name of
    a command and of Keras' ``Model.evaluate``); it goes in the next release."""
    import warnings

    warnings.warn(
        "tsgan.evaluate is renamed tsgan.evaluate_generator; the old name goes in the next release",
        DeprecationWarning,
        stacklevel=2,
    )
    return evaluate_generator(*args, **kwargs)
