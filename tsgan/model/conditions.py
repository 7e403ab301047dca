"""Conditions as encoders: what a conditional model is told about each delivery day.

An encoder turns delivery days into its part of the condition vector and, where training
moves it, moves it. :class:`Conditions` puts a model's encoders side by side; the model,
sampling, evaluation and the animation ask it instead of branching on the condition's name.
A new condition is one new encoder class and one entry in ``ENCODERS``.
"""

from __future__ import annotations

import itertools

import keras
import numpy as np
import pandas as pd
from keras import ops

from tsgan.data.calendar import CALENDAR_FEATURES, calendar_conditions
from tsgan.data.curves import PRICE
from tsgan.model.transform import PriceTransform
from tsgan.settings import CONDITIONS, INPUT_LAGS, PRICE_LAGS, ModelSettings


class CalendarEncoder:
    """The day type (workday / Saturday / Sunday or public holiday of ``settings.country``,
    one-hot) and the season (sin/cos of the day of the year). Training moves each day's
    season by a Gaussian of sd ``settings.season_jitter`` days, so that a date learns from
    the days around it, not from its one day a year.

    Example:
        >>> enc = CalendarEncoder(ModelSettings(condition="calendar"), None)
        >>> enc.encode(pd.DatetimeIndex(["2025-04-13"]), None, None)[:, :3].tolist()  # Sunday
        [[0.0, 0.0, 1.0]]
    """

    features = CALENDAR_FEATURES

    def __init__(self, settings: ModelSettings, transform: PriceTransform | None, owner=None):
        self.country, self.season_jitter = settings.country, settings.season_jitter

    def encode(self, dates: pd.DatetimeIndex, levels, data) -> np.ndarray:
        return calendar_conditions(dates, country=self.country)  # (n, 5) float32

    def jitter(self, part, seed_generator):
        """The part with each day's season moved (a tensor op inside ``train_step``)."""
        if not self.season_jitter:
            return part
        k = CALENDAR_FEATURES.index("day_of_year_sin")  # then its cos
        angle = keras.random.normal((ops.shape(part)[0], 1), seed=seed_generator) * (
            2 * np.pi * self.season_jitter / 365.25
        )
        sin, cos = part[:, k : k + 1], part[:, k + 1 : k + 2]
        moved = (
            sin * ops.cos(angle) + cos * ops.sin(angle),
            cos * ops.cos(angle) - sin * ops.sin(angle),
        )
        return ops.concatenate([part[:, :k], *moved, part[:, k + 2 :]], axis=-1)

    def describe(self) -> dict:
        return {
            "country": self.country,
            "holidays": "public holidays of the country (holidays package) count as Sundays",
        }


class LevelEncoder:
    """The day's mean price, scaled by the curves' own price transform. A model given the
    level imposes it: every generated day's mean is exactly its level.

    Example:
        >>> from tsgan import PriceGAN
        >>> gan = PriceGAN(condition="calendar+level", latent_dim=4, generator_units=(8,))
        >>> gan.adapt(np.random.default_rng(0).normal(80, 30, (100, 24)))
        >>> encoded = gan.conditions.encode(["2025-01-06"], [80.0])  # calendar (5), level
        >>> round(float(gan.conditions.levels(encoded)[0, 0]), 3)
        80.0
    """

    features = ("level",)
    imposes_level = True

    def __init__(self, settings: ModelSettings, transform: PriceTransform, owner=None) -> None:
        self.transform = transform

    def encode(self, dates: pd.DatetimeIndex, levels, data) -> np.ndarray:
        if levels is None:
            raise ValueError(
                "this model is conditioned on the daily price level: give a level for each date"
            )
        levels = np.asarray(levels, dtype="float64").reshape(-1)
        if levels.shape != (len(dates),):
            raise ValueError(f"got {levels.size} levels for {len(dates)} dates")
        if not np.isfinite(levels).all():
            raise ValueError("levels must be finite numbers (EUR/MWh)")
        if not self.transform.is_adapted:
            raise RuntimeError("the price transform is not fitted yet; call fit or adapt first")
        encoded = self.transform.encode_level(levels[:, None])  # float32, as in training
        return ops.convert_to_numpy(encoded).astype("float32")

    def decode(self, part):
        """The level part → daily mean prices in EUR/MWh, shape (B, 1)."""
        return self.transform.decode_level(part)

    def jitter(self, part, seed_generator):
        return part  # the level moves with its day: see Conditions.jitter

    def describe(self) -> dict:
        center, scale, bound = self.transform.values(np)
        return {
            "level": {
                "definition": "the mean of the day's prices (EUR/MWh)",
                "scaling": "asinh((level - center) / scale) / bound, the curves' price transform",
                "center": round(float(np.mean(center)), 6),
                "scale": round(float(scale), 6),
                "bound": round(float(bound), 6),
            }
        }


class HistoryEncoder:
    """The prices of the days before the delivery day (``PRICE_LAGS``: D-1, D-2, D-3, D-7),
    in the price transform's space: what a trader knows of recent prices before the auction.
    Read from the ``"price"`` columns of a daily panel (:func:`tsgan.data.daily_panel`).
    """

    def __init__(self, settings: ModelSettings, transform: PriceTransform, owner=None) -> None:
        self.transform, self.n_steps = transform, settings.n_steps
        self.features = tuple(
            f"price D-{lag} {h}" for lag in PRICE_LAGS for h in range(self.n_steps)
        )

    def describe(self) -> dict:
        return {"prices": f"D-{', D-'.join(map(str, PRICE_LAGS))}, in the price transform"}

    def encode(self, dates: pd.DatetimeIndex, levels, data) -> np.ndarray:
        rows = [lagged(data, PRICE, dates, lag) for lag in PRICE_LAGS]  # each (n, n_steps)
        values = self.transform.forward(
            np.concatenate(rows, axis=1).reshape(-1, self.n_steps), xp=np
        )
        return values.reshape(len(dates), -1).astype("float32")  # NaN where a day is missing

    def jitter(self, part, seed_generator):
        return part


class InputsEncoder:
    """The inputs (day-ahead forecasts of load, wind and solar...) of D, D-1 and D-7
    (``INPUT_LAGS``), each standardised by its training median and robust spread, saved
    with the model."""

    def __init__(self, settings: ModelSettings, transform: PriceTransform, owner=None) -> None:
        self.names, n_steps = settings.inputs, settings.n_steps
        self.features = tuple(
            f"{name} D-{lag} {h}"
            for name in self.names
            for lag in INPUT_LAGS
            for h in range(n_steps)
        )
        self.scaling = owner.add_weight(
            shape=(max(len(self.names), 1), 2),
            initializer="ones",
            trainable=False,
            name="input_scaling",
        )  # (inputs, [center, scale])

    def describe(self) -> dict:
        scaling = ops.convert_to_numpy(self.scaling).astype("float64")
        return {
            "inputs": {
                name: {
                    "lags": [f"D-{lag}" for lag in INPUT_LAGS],
                    "center": round(c, 4),
                    "scale": round(s, 4),
                }
                for name, (c, s) in zip(self.names, scaling.tolist(), strict=False)
            }
        }

    def adapt(self, data: pd.DataFrame) -> None:
        """Fit each input's centre (median) and scale (IQR / 1.349) to the training panel."""
        rows = []
        for name in self.names:
            values = need_part(data, name).to_numpy(dtype="float64")
            values = values[np.isfinite(values)]
            q25, q50, q75 = np.percentile(values, [25, 50, 75])
            rows.append((q50, max((q75 - q25) / 1.349, 1e-6)))
        if rows:
            self.scaling.assign(np.asarray(rows, dtype="float32"))

    def encode(self, dates: pd.DatetimeIndex, levels, data) -> np.ndarray:
        scaling = ops.convert_to_numpy(self.scaling).astype("float64")
        parts = []
        for (center, scale), name in zip(scaling, self.names, strict=False):
            for lag in INPUT_LAGS:
                parts.append((lagged(data, name, dates, lag) - center) / scale)
        if not parts:
            return np.zeros((len(dates), 0), dtype="float32")
        return np.concatenate(parts, axis=1).astype("float32")  # NaN where a day is missing

    def jitter(self, part, seed_generator):
        return part


def need_part(data: pd.DataFrame | None, name: str) -> pd.DataFrame:
    """One part (``"price"`` or an input) of a daily panel, or a clear error."""
    if data is None:
        raise ValueError(
            "this model needs the days before each date: give data= a daily panel "
            "(tsgan.daily_panel(prices, inputs)) or --data FILE"
        )
    parts = data.columns.get_level_values(0) if isinstance(data.columns, pd.MultiIndex) else []
    if name not in set(parts):
        raise ValueError(f"the data has no {name!r} (it has {', '.join(dict.fromkeys(parts))})")
    return data[name]


def lagged(data: pd.DataFrame, name: str, dates: pd.DatetimeIndex, lag: int) -> np.ndarray:
    """``name``'s curves of the days ``lag`` days before ``dates``, NaN where there are none.

    Example:
        >>> panel = pd.concat({"price": pd.DataFrame([[1.0], [2.0]],
        ...                    index=pd.date_range("2024-01-01", periods=2))}, axis=1)
        >>> lagged(panel, "price", pd.DatetimeIndex(["2024-01-02", "2024-01-05"]), 1).tolist()
        [[1.0], [nan]]
    """
    part = need_part(data, name)
    return part.reindex(dates - pd.Timedelta(days=lag)).to_numpy(dtype="float64")


ENCODERS = {
    "calendar": (CalendarEncoder,),
    "calendar+level": (CalendarEncoder, LevelEncoder),
    "forecast": (CalendarEncoder, HistoryEncoder, InputsEncoder),
}
assert tuple(ENCODERS) == CONDITIONS  # the names settings accept


class Conditions:
    """A model's condition vector: its encoders' parts side by side, and the training jitters.

    Training moves every real day by a Gaussian shift (sd ``settings.level_jitter`` × the
    transform's scale, every hour alike; its level condition with it), so that a level learns
    its shapes from the days of neighbouring levels and a date its levels from a smoothed
    neighbourhood of its few days.

    Example:
        >>> c = Conditions(ModelSettings(condition="calendar"), None)
        >>> c.dim, c.level is None
        (5, True)
    """

    def __init__(
        self, settings: ModelSettings, transform: PriceTransform | None, owner=None
    ) -> None:
        self.name, self.timezone = settings.condition, settings.timezone
        self.encoders = [cls(settings, transform, owner) for cls in ENCODERS[settings.condition]]
        self.level_jitter, self.transform = settings.level_jitter, transform
        self.features = [f for enc in self.encoders for f in enc.features]
        self.dim = len(self.features)
        self.level = next((e for e in self.encoders if getattr(e, "imposes_level", False)), None)

    @property
    def needs_data(self) -> bool:
        """Whether encoding a day needs the days before it (a daily panel)."""
        return any(isinstance(e, (HistoryEncoder, InputsEncoder)) for e in self.encoders)

    def adapt(self, data: pd.DataFrame) -> None:
        """Fit what the encoders scale by (the inputs' centres and spreads) to training data."""
        for encoder in self.encoders:
            if hasattr(encoder, "adapt"):
                encoder.adapt(data)

    def encode(self, dates, levels=None, data=None, *, missing: str = "raise") -> np.ndarray:
        """The condition vectors of delivery days, shape ``(len(dates), dim)``, float32.

        Args:
            dates: delivery days (anything ``pandas.DatetimeIndex`` accepts).
            levels: one daily mean price per date, for a level-conditioned model.
            data: a daily panel (:func:`tsgan.data.daily_panel`) holding the days before
                each date, for a forecast model; only days before a date are read for its
                prices, and the date itself only for its inputs.
            missing: ``"raise"``: a date whose history or inputs are missing is an error
                naming the first such date and what is missing; ``"nan"``: its row is NaN.
        """
        if self.level is None and levels is not None:
            raise ValueError(
                f"this model is conditioned on {self.name!r} only: it takes no price level"
            )
        index = pd.DatetimeIndex(dates)
        parts = [enc.encode(index, levels, data) for enc in self.encoders]
        encoded = np.concatenate(parts, axis=1)
        if missing == "raise":
            bad = np.isnan(encoded).any(axis=1)
            if bad.any():
                raise ValueError(self._what_is_missing(index[int(np.argmax(bad))], data))
        return encoded

    def _what_is_missing(self, day: pd.Timestamp, data: pd.DataFrame) -> str:
        """'2016-01-05: no price of 2016-01-04 (D-1)': the first gap of one date's encoding."""
        names = [(PRICE, PRICE_LAGS)] + [
            (n, INPUT_LAGS) for e in self.encoders if isinstance(e, InputsEncoder) for n in e.names
        ]
        for name, lags in names:
            for lag in lags:
                row = lagged(data, name, pd.DatetimeIndex([day]), lag)
                if np.isnan(row).any():
                    what = "price" if name == PRICE else repr(name)
                    return f"{day:%Y-%m-%d}: no {what} of {day - pd.Timedelta(days=lag):%Y-%m-%d} (D-{lag}) in the data"
        return f"{day:%Y-%m-%d}: its conditions are not finite"

    def _split(self, conditions) -> list:
        starts = np.cumsum([0, *(len(e.features) for e in self.encoders)])
        return [conditions[:, a:b] for a, b in itertools.pairwise(starts)]

    def levels(self, conditions):
        """Each day's level in EUR/MWh from its encoded conditions, shape (B, 1)."""
        return self.level.decode(self._split(conditions)[self.encoders.index(self.level)])

    def jitter(self, real, conditions, seed_generator):
        """Real days (EUR/MWh) and their conditions as training shows them: each encoder's
        part moved by its jitter, then each day shifted by the level jitter."""
        parts = [
            e.jitter(p, seed_generator)
            for e, p in zip(self.encoders, self._split(conditions), strict=True)
        ]
        conditions = parts[0] if len(parts) == 1 else ops.concatenate(parts, axis=-1)
        if not self.level_jitter:
            return real, conditions
        shift = keras.random.normal((ops.shape(real)[0], 1), seed=seed_generator)
        shift = shift * (self.level_jitter * self.transform.scale)  # EUR/MWh
        real = ops.cast(real, "float32") + shift
        if self.level is None:
            return real, conditions
        i = self.encoders.index(self.level)
        parts = self._split(conditions)
        parts[i] = self.transform.encode_level(self.level.decode(parts[i]) + shift)
        return real, ops.concatenate(parts, axis=-1)

    def describe(self) -> dict:
        """How the conditions are encoded, for ``run.json``."""
        listed = [e for e in self.encoders if not isinstance(e, (HistoryEncoder, InputsEncoder))]
        features = [f for e in listed for f in e.features]
        info = {"condition": self.name, "features": features, "timezone": self.timezone}
        for enc in self.encoders:
            info.update(enc.describe())
        return info
