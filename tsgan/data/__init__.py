"""The data layer: real price files → clean daily curves, calendar features, demo prices."""

from tsgan.data.calendar import calendar_features
from tsgan.data.curves import daily_curves, daily_panel, hour_columns
from tsgan.data.demo import demo_prices
from tsgan.data.errors import DataError, NetworkError
from tsgan.data.fetch import fetch_prices
from tsgan.data.prices import data_credit, load_inputs, load_prices

__all__ = [
    "DataError",
    "NetworkError",
    "calendar_features",
    "daily_curves",
    "daily_panel",
    "data_credit",
    "demo_prices",
    "fetch_prices",
    "hour_columns",
    "load_inputs",
    "load_prices",
]
