"""tsgan: GANs for daily day-ahead electricity price curves."""

from importlib.metadata import PackageNotFoundError, version

from tsgan.data import (
    DataError,
    calendar_features,
    daily_curves,
    demo_prices,
    fetch_prices,
    hour_columns,
    load_prices,
)
from tsgan.scenarios import delivery_intervals, sample_scenarios

_LAZY = {
    "PriceGAN": "tsgan.model",
    "load_model": "tsgan.model",
    "TrainingAnimation": "tsgan.callbacks",
    "render_animation": "tsgan.callbacks",
}


def __getattr__(name: str):
    """Import the Keras parts on first use, so that the data layer loads without TensorFlow."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'tsgan' has no attribute {name!r}")


try:
    __version__ = version("tsgan")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

__all__ = [
    "DataError",
    "PriceGAN",
    "TrainingAnimation",
    "__version__",
    "calendar_features",
    "daily_curves",
    "delivery_intervals",
    "demo_prices",
    "fetch_prices",
    "hour_columns",
    "load_model",
    "load_prices",
    "render_animation",
    "sample_scenarios",
]
