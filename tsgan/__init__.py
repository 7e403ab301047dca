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
from tsgan.model import PriceGAN

try:
    __version__ = version("tsgan")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

__all__ = [
    "DataError",
    "PriceGAN",
    "__version__",
    "calendar_features",
    "daily_curves",
    "demo_prices",
    "fetch_prices",
    "hour_columns",
    "load_prices",
]
