"""Sampling: curves from noise (``generate``), scenarios for delivery days, delivery intervals.

``PriceGAN.generate`` turns noise (and conditions) into curves in EUR/MWh;
:func:`sample_scenarios` asks a trained model for ``n_per_day`` curves of each date (with a
level when the model is conditioned on it) and returns one row per scenario;
:func:`delivery_intervals` turns those rows into one row per delivery interval of the
market's time zone, 23 hours on the spring DST day and 25 in autumn.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Mapping

import keras
import numpy as np
import pandas as pd
from keras import ops

from tsgan.data.curves import hour_columns
from tsgan.model.transform import impose_level
from tsgan.resources import check_fits
from tsgan.settings import TIMEZONE


class Sampling:
    """``generate``, ``call`` and ``encode_conditions`` of :class:`~tsgan.PriceGAN`."""

    def generate(
        self,
        n: int,
        *,
        seed: int | None = None,
        conditions: np.ndarray | None = None,
        batch_size: int = 65536,
        as_frame: bool = True,
    ) -> pd.DataFrame | np.ndarray:
        """Generate ``n`` daily curves in EUR/MWh: a DataFrame of ``n`` rows (index
        ``scenario``) and columns ``h00..h23`` (``q00..q95`` for quarter-hours), float64.

        The same ``seed`` and weights give the same curves; the EMA weights are used when
        ``ema`` is on, and a level-conditioned model's days have their level as mean.
        Scenarios for delivery days (their dates, conditions and DST hours handled) come
        from :func:`tsgan.sample_scenarios`.

        Args:
            n: number of curves.
            seed: seed of the noise (None: the model's own seed generator moves on).
            conditions: ``(n, condition_dim)`` conditions when the model is conditional.
            batch_size: curves per compiled call (it bounds the memory, not the result).
            as_frame: False: the ``(n, n_steps)`` array instead (no copy, for speed).

        Example:
            >>> from tsgan import PriceGAN
            >>> gan = PriceGAN(latent_dim=4, generator_units=(8,), discriminator_units=(8,))
            >>> gan.adapt(np.random.default_rng(0).normal(80, 30, (100, 24)))
            >>> gan.generate(3, seed=1).columns[:3].tolist()
            ['h00', 'h01', 'h02']
            >>> bool((gan.generate(3, seed=1, as_frame=False) == gan.generate(3, seed=1).to_numpy()).all())
            True
        """
        if not self.transform.is_adapted:
            raise RuntimeError(
                "generate: the price transform is not fitted; call fit or adapt first"
            )
        dim, steps = self.settings.condition_dim, self.settings.n_steps
        # the curves (float64), their noise and a table of them: about 24 bytes a value
        check_fits(24.0 * n * (steps + self.settings.latent_dim + dim), f"{n:,} curves")
        if dim:
            if conditions is None:
                raise ValueError(f"generate: this model needs conditions of shape ({n}, {dim})")
            conditions = np.asarray(conditions, dtype="float32").reshape(n, dim)
        elif conditions is not None:
            raise ValueError("generate: this model is unconditional; conditions must be None")
        noise = self._draw_noise(n, seed)
        if conditions is not None:
            noise = ops.concatenate([noise, ops.convert_to_tensor(conditions)], axis=-1)
        if self._sample_fn is None:
            import tensorflow as tf

            # a partial, not the bound method: TensorFlow counts traces per function code, so
            # models made one after another (a backtest's windows) would each add to one count
            # and get "triggered tf.function retracing" warnings for their single trace each
            sample = functools.partial(type(self)._sample, self)
            self._sample_fn = tf.function(sample, reduce_retracing=True)
        if n <= batch_size:  # one call (no slicing: each eager op costs ~0.1 ms)
            out = np.asarray(self._sample_fn(noise), dtype="float64")
        else:
            out = np.empty((n, self.settings.n_steps))  # float64, filled chunk by chunk
            for start in range(0, n, batch_size):
                out[start : start + batch_size] = self._sample_fn(noise[start : start + batch_size])
        if self.conditions is not None and self.conditions.level is not None and n:
            level = ops.convert_to_numpy(self.conditions.levels(conditions)).astype("float64")
            out = impose_level(out, level, xp=np)  # exactly, in float64
        if not as_frame:
            return out
        index = pd.RangeIndex(n, name="scenario")
        return pd.DataFrame(
            out, index=index, columns=hour_columns(self.settings.n_steps), copy=False
        )

    def _draw_noise(self, n: int, seed: int | None):
        """``(n, latent_dim)`` standard normal noise. An int seed is a stateless draw, the
        same every time: the last small one is kept, so asking again (the animation asks
        for the same days every frame) costs only the generator. None: the model's own
        seed generator moves on."""
        latent = self.settings.latent_dim
        if seed is None:
            return keras.random.normal((n, latent), seed=self.seed_generator)
        key = (n, int(seed))
        if self._noise is not None and self._noise[0] == key:
            return self._noise[1]
        noise = keras.random.normal((n, latent), seed=int(seed))
        if n * latent <= 1 << 20:  # at most 4 MB kept
            self._noise = (key, noise)
        return noise

    def _sample(self, noise):
        """Noise (+ conditions) → curves in EUR/MWh (float32), one compiled call per chunk."""
        net = self.ema_generator if self.ema_generator is not None else self.generator
        return self.transform.inverse(net(noise, training=False))

    def call(self, inputs, training: bool = False):
        """Noise (with conditions concatenated) → curves in EUR/MWh, as ``generate`` makes them.

        So ``gan(noise)`` and ``gan.predict(noise)`` give prices (float32), from the EMA
        weights when ``ema`` is on (outside training) and, with the level condition, with
        each day's mean equal to its level.

        Example:
            >>> from tsgan import PriceGAN
            >>> gan = PriceGAN(latent_dim=4, generator_units=(8,), discriminator_units=(8,))
            >>> gan.adapt(np.random.default_rng(0).normal(80, 30, (100, 24)))
            >>> noise = keras.random.normal((3, 4), seed=1)
            >>> bool(np.allclose(gan.predict(noise, verbose=0), gan.generate(3, seed=1), rtol=1e-4))
            True
        """
        net = self.generator if training or self.ema_generator is None else self.ema_generator
        eur = self.transform.inverse(net(inputs, training=training))  # (B, n) EUR/MWh
        if self.conditions is not None and self.conditions.level is not None:
            level = self.conditions.levels(inputs[:, self.settings.latent_dim :])
            eur = impose_level(eur, level)
        return eur

    def encode_conditions(self, dates, levels=None, data=None) -> np.ndarray:
        """The condition vectors of delivery days, ``(len(dates), condition_dim)``: see
        :class:`tsgan.model.conditions.Conditions`.

        Example:
            >>> from tsgan import PriceGAN
            >>> gan = PriceGAN(latent_dim=4, generator_units=(8,), discriminator_units=(8,),
            ...                condition="calendar")
            >>> gan.encode_conditions(["2025-04-13", "2025-04-14"])[:, :3].tolist()
            [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]
        """
        if self.conditions is None:
            raise ValueError(
                "this model was trained without conditions: it takes no dates or levels"
            )
        return self.conditions.encode(dates, levels, data)


def parse_dates(spec: str) -> pd.DatetimeIndex:
    """Delivery days from ``"FIRST..LAST"`` (inclusive) or a comma list of ISO dates.

    Example:
        >>> list(parse_dates("2026-04-01..2026-04-03").strftime("%m-%d"))
        ['04-01', '04-02', '04-03']
        >>> len(parse_dates("2026-04-12,2026-12-24"))
        2
    """
    text = spec.strip()
    try:
        if ".." in text:
            first, last = (part.strip() for part in text.split("..", 1))
            dates = pd.date_range(pd.Timestamp(first), pd.Timestamp(last), freq="D")
            if dates.empty:
                raise ValueError(f"{last} is before {first}")
        else:
            dates = pd.DatetimeIndex(
                [pd.Timestamp(p.strip()) for p in text.split(",") if p.strip()]
            )
    except (ValueError, TypeError) as err:
        raise ValueError(
            f"dates {spec!r}: {err} (expected FIRST..LAST or a comma list of YYYY-MM-DD)"
        ) from None
    if dates.empty:
        raise ValueError(f"dates {spec!r}: no date given")
    return pd.DatetimeIndex(dates.normalize(), name="date")


def _levels_for(dates: pd.DatetimeIndex, levels) -> np.ndarray | None:
    """One level per date from a number, a sequence, or a Series/mapping keyed by date
    (tz-aware dates count by their local date); each a finite number the model's float32
    can hold."""
    if levels is None:
        return None
    if np.isscalar(levels):
        values = np.full(len(dates), float(levels))
    else:
        if isinstance(levels, Mapping) and not isinstance(levels, pd.Series):
            levels = pd.Series(levels)
        if isinstance(levels, pd.Series):
            index = pd.to_datetime(levels.index)
            if index.tz is not None:  # 2024-03-01T00:00+01:00 is the delivery day 2024-03-01
                index = index.tz_localize(None)
            by_date = pd.Series(levels.to_numpy(dtype="float64"), index=index.normalize())
            missing = dates.difference(by_date.index)
            if len(missing):
                raise ValueError(
                    f"no level for {len(missing)} date(s), first {missing[0]:%Y-%m-%d}"
                )
            values = by_date.loc[dates].to_numpy()
        else:
            values = np.asarray(levels, dtype="float64").reshape(-1)
            if len(values) != len(dates):
                raise ValueError(f"got {len(values)} levels for {len(dates)} dates")
    bad = ~np.isfinite(values) | (np.abs(values) > np.finfo("float32").max)
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(
            f"level {values[i]:g} of {dates[i]:%Y-%m-%d} is beyond what the model's float32 "
            "numbers can hold"
        )
    return values


def sample_scenarios(
    model,
    dates: Iterable | pd.DatetimeIndex | None = None,
    *,
    n_per_day: int,
    levels=None,
    seed: int | None = None,
    data: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """``n_per_day`` price scenarios (EUR/MWh) for each delivery day.

    For a conditional model each date is encoded with the model's own calendar (day type,
    season; its holiday country) and, for ``condition="calendar+level"``, the day's level:
    every scenario's daily mean is then that level. An unconditional model takes no dates
    and gives ``n_per_day`` scenarios of "some day".

    Args:
        model: a trained :class:`tsgan.PriceGAN`.
        dates: delivery days (strings, dates, a ``DatetimeIndex``); None for an
            unconditional model.
        n_per_day: scenarios per date.
        levels: the daily mean price (EUR/MWh): one number for every date, one per date, or
            a Series / mapping keyed by date.
        seed: the same seed, model and dates give the same scenarios.
        data: for a forecast model, a daily panel (:func:`tsgan.daily_panel`) with each
            date's inputs and the prices of the days before it; prices of a date or later
            are never read for it.

    Returns:
        Columns ``date``, ``scenario`` (1..n_per_day), ``h00..h23``; without dates, no
        ``date`` column.

    Example:
        >>> gan = tsgan.load_model("runs/de-lu-cal/model.keras")  # doctest: +SKIP
        >>> sample_scenarios(gan, ["2026-04-12"], n_per_day=500, seed=1).shape  # doctest: +SKIP
        (500, 26)
    """
    if n_per_day < 1:
        raise ValueError(f"n_per_day must be at least 1, got {n_per_day}")
    columns = hour_columns(model.settings.n_steps)
    if model.settings.condition_dim and model.conditions is None:
        raise ValueError(
            "this model takes raw condition vectors: use model.generate(conditions=...)"
        )
    if dates is None:
        if model.conditions is not None:
            raise ValueError(
                f"this model is conditioned on {model.conditions.name!r}: give the delivery dates"
            )
        if levels is not None:
            raise ValueError("this model was trained without conditions: it takes no price level")
        frame = pd.DataFrame(model.generate(n_per_day, seed=seed, as_frame=False), columns=columns)
        frame.insert(0, "scenario", np.arange(1, n_per_day + 1))
        return frame
    if model.conditions is None:
        raise ValueError(
            "this model was trained without conditions: it cannot generate for given dates "
            "(train with --condition calendar)"
        )
    index = _normalized(dates)
    curves = scenario_array(model, index, n_per_day=n_per_day, levels=levels, seed=seed, data=data)
    frame = pd.DataFrame(curves.reshape(-1, model.settings.n_steps), columns=columns)
    frame.insert(0, "scenario", np.tile(np.arange(1, n_per_day + 1), len(index)))
    frame.insert(0, "date", np.repeat(index.to_numpy(), n_per_day))
    return frame


CHUNK_VALUES = 2**22  # prices a chunk of scenarios holds (32 MB as float64)


def scenario_chunks(
    model,
    dates: Iterable | pd.DatetimeIndex | None = None,
    *,
    n_per_day: int,
    levels=None,
    seed: int | None = None,
    data: pd.DataFrame | None = None,
    max_values: int | None = None,
) -> Iterator[pd.DataFrame]:
    """The frames of :func:`sample_scenarios`, a chunk of at most about ``max_values``
    prices at a time (default ``CHUNK_VALUES``), so that any number of scenarios fits in bounded memory.

    A request that fits in one chunk gives exactly :func:`sample_scenarios`' frame; a
    larger one is split by scenarios (no dates) or by dates, chunk ``k`` drawn with a seed
    derived from ``(seed, k)`` (chunk 0 with ``seed`` itself); the ``scenario`` numbers
    run on across chunks.

    Example:
        >>> frames = scenario_chunks(gan, n_per_day=10**8, seed=0)  # doctest: +SKIP
        >>> next(frames).shape  # doctest: +SKIP
        (174762, 25)
    """
    steps = model.settings.n_steps
    max_values = CHUNK_VALUES if max_values is None else max_values

    def chunk_seed(k: int) -> int | None:
        if seed is None or k == 0:
            return seed
        return int(np.random.SeedSequence([seed, k]).generate_state(1)[0])

    if dates is None:
        per = max(1, max_values // steps)
        for k, start in enumerate(range(0, n_per_day, per)):
            size = min(per, n_per_day - start)
            part = sample_scenarios(model, None, n_per_day=size, levels=levels, seed=chunk_seed(k))
            part["scenario"] += start
            yield part
        return
    index = _normalized(dates)
    per = max(1, max_values // (n_per_day * steps))
    if levels is not None and not isinstance(levels, pd.Series) and not np.isscalar(levels):
        levels = pd.Series(_levels_for(index, levels), index=index)  # sliced with the dates
    for k, start in enumerate(range(0, len(index), per)):
        part = index[start : start + per]
        yield sample_scenarios(
            model, part, n_per_day=n_per_day, levels=levels, seed=chunk_seed(k), data=data
        )


def _normalized(dates) -> pd.DatetimeIndex:
    index = pd.DatetimeIndex(pd.to_datetime(dates if isinstance(dates, pd.Index) else list(dates)))
    return (index.tz_localize(None) if index.tz is not None else index).normalize()


def scenario_array(
    model, dates, *, n_per_day: int, levels=None, seed: int | None = None, data=None
) -> np.ndarray:
    """The scenarios of :func:`sample_scenarios` as an array ``(len(dates), n_per_day, n_steps)``.

    Example:
        >>> scenario_array(gan, ["2026-04-12"], n_per_day=10, seed=0).shape  # doctest: +SKIP
        (1, 10, 24)
    """
    index = _normalized(dates)
    conditions = model.encode_conditions(index, _levels_for(index, levels), data)  # (D, c)
    repeated = np.repeat(conditions, n_per_day, axis=0)  # (D·n, c)
    curves = model.generate(len(repeated), seed=seed, conditions=repeated, as_frame=False)
    curves = curves.reshape(len(index), n_per_day, model.settings.n_steps)
    broken = ~np.isfinite(curves).all(axis=(1, 2))
    if broken.any():  # never a NaN price written without a word
        day = index[int(np.argmax(broken))]
        raise ValueError(
            f"the model made non-finite prices for {day:%Y-%m-%d}: its level or inputs lie "
            "far outside what it was trained on"
        )
    return curves


def day_generator(model):
    """A model as the day generator :func:`tsgan.evaluation.evaluate_conditional` takes.

    ``generate(dates, levels, n, seed) -> (len(dates), n, n_steps)``; an unconditional
    model gives the same ``n`` scenarios for every date (a reference to compare with).

    Example:
        >>> generate = day_generator(gan)  # doctest: +SKIP
        >>> generate(pd.DatetimeIndex(["2025-04-13"]), None, 100, 0).shape  # doctest: +SKIP
        (1, 100, 24)
    """

    def generate(dates, levels, n, seed):
        if model.conditions is None:
            return np.broadcast_to(
                model.generate(n, seed=seed, as_frame=False),
                (len(dates), n, model.settings.n_steps),
            )
        return scenario_array(model, dates, n_per_day=n, levels=levels, seed=seed)

    return generate


def delivery_intervals(scenarios: pd.DataFrame, *, timezone: str = TIMEZONE) -> pd.DataFrame:
    """One row per delivery interval: ``time`` (tz-aware interval start), ``scenario``, ``price``.

    A model's day has 24 (or 96) wall-clock slots; a real delivery day has the intervals
    between its two local midnights. Each interval gets the value of its wall-clock slot:
    on the spring DST day the skipped 02:00 slot (filled in training) is dropped, 23 rows;
    on the autumn DST day both 02:00 intervals (+02:00, then +01:00) get the generated 02:00
    value, 25 rows, as the training data averaged the two.

    Args:
        scenarios: the output of :func:`sample_scenarios` with a ``date`` column.
        timezone: the market's time zone (a model's ``timezone``).

    Example:
        >>> wide = pd.DataFrame([[pd.Timestamp("2025-03-30"), 1, *range(24)]],
        ...                     columns=["date", "scenario", *hour_columns()])
        >>> long = delivery_intervals(wide)
        >>> len(long), long["price"].tolist()[:3]
        (23, [0.0, 1.0, 3.0])
    """
    if "date" not in scenarios.columns:
        raise ValueError("delivery intervals need dated scenarios (a 'date' column)")
    columns = [c for c in scenarios.columns if c not in ("date", "scenario")]
    n_steps = len(columns)
    step = pd.Timedelta(minutes=24 * 60 // n_steps)
    values = scenarios[columns].to_numpy(dtype="float64")
    dates = pd.DatetimeIndex(scenarios["date"])
    parts = []
    for day in dates.unique():
        rows = np.flatnonzero(dates == day)
        # a day begins at its first local midnight, or at the first time after one that
        # the clock skips (America/Santiago's spring change is at midnight)
        local = {"nonexistent": "shift_forward", "ambiguous": True}
        start = pd.Timestamp(day).tz_localize(timezone, **local)
        end = (pd.Timestamp(day) + pd.Timedelta(days=1)).tz_localize(timezone, **local)
        times = pd.date_range(start, end, freq=step, inclusive="left")  # 23, 24 or 25 hours
        slots = ((times.hour * 60 + times.minute) // (step.seconds // 60)).to_numpy()
        parts.append(
            pd.DataFrame(
                {
                    "time": np.tile(times, len(rows)),
                    "scenario": np.repeat(scenarios["scenario"].to_numpy()[rows], len(times)),
                    "price": values[rows][:, slots].reshape(-1),
                }
            )
        )
    frame = pd.concat(parts, ignore_index=True)
    frame["time"] = pd.DatetimeIndex(frame["time"]).tz_convert(timezone)
    return frame
