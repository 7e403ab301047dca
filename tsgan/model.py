"""PriceGAN: a Keras model whose ``train_step`` plays the adversarial game on daily price curves."""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np
from keras import layers, ops

from tsgan.config import (
    DEFAULT_LOSS,
    LEARNING_RATES,
    LEVEL_JITTER,
    LOSSES,
    SEASON_JITTER_DAYS,
)
from tsgan.data.calendar import CALENDAR_DIM, CALENDAR_FEATURES, CONDITIONS, calendar_conditions

LOGS = ("d_loss", "g_loss", "d_real", "d_fake")  # what fit logs, per epoch
OUTPUT_ACTIVATIONS = ("tanh", "linear")  # the generator's last activation (see PriceGAN)


def _require_tensorflow() -> None:
    if keras.backend.backend() != "tensorflow":
        raise RuntimeError(
            f"PriceGAN needs the TensorFlow backend, but Keras runs on {keras.backend.backend()!r}; "
            "set KERAS_BACKEND=tensorflow before importing keras"
        )


def _layer_seed(seed: int, layer: int) -> int:
    """A seed of its own for each layer, from the model's seed."""
    return int(np.random.SeedSequence([int(seed), layer]).generate_state(1)[0] // 2)


def _init(seed: int | None, layer: int):
    """Glorot-uniform initial weights (Keras' default), seeded per layer when ``seed`` is."""
    return (
        "glorot_uniform"
        if seed is None
        else keras.initializers.GlorotUniform(_layer_seed(seed, layer))
    )


def build_generator(
    n_steps: int,
    latent_dim: int,
    units: Sequence[int],
    *,
    condition_dim: int = 0,
    residual: bool = False,
    batch_norm: bool = False,
    output_activation: str = "tanh",
    name: str = "generator",
    seed: int | None = None,
) -> keras.Model:
    """Noise (and conditions) → ``Dense → ReLU`` blocks → ``Dense`` (→ ``tanh``).

    With ``residual=True`` each block's output is concatenated with its input; with
    ``batch_norm=True`` the blocks are ``Dense`` (no bias) ``→ BatchNorm → ReLU``.
    ``output_activation``: the last layer's, ``"tanh"`` or ``"linear"``. An int ``seed``
    fixes the initial weights (None: Keras' global random state).

    Example:
        >>> build_generator(24, 8, [16]).output_shape
        (None, 24)
    """
    inputs = keras.Input((latent_dim + condition_dim,), name="noise")
    h = inputs  # (B, latent + cond)
    for i, n in enumerate(units):
        x = layers.Dense(
            n, use_bias=not batch_norm, kernel_initializer=_init(seed, i), name=f"dense_{i}"
        )(h)
        if batch_norm:  # its bias would be cancelled by the normalisation
            x = layers.BatchNormalization(name=f"bn_{i}")(x)
        x = layers.ReLU(name=f"relu_{i}")(x)
        h = layers.Concatenate(name=f"skip_{i}")([h, x]) if residual else x
    outputs = layers.Dense(
        n_steps,
        activation=output_activation,
        kernel_initializer=_init(seed, len(units)),
        name="curve",
    )(h)  # (B, n_steps)
    return keras.Model(inputs, outputs, name=name)


def build_discriminator(
    n_steps: int,
    units: Sequence[int],
    *,
    condition_dim: int = 0,
    pac: int = 1,
    dropout: float = 0.2,
    name: str = "discriminator",
    seed: int | None = None,
) -> keras.Model:
    """``pac`` packed curves (and conditions) → ``Dense → LeakyReLU(0.2) → Dropout`` → one logit.

    An int ``seed`` fixes the initial weights and the dropout masks.

    Example:
        >>> build_discriminator(24, [16], pac=2).input_shape
        (None, 48)
    """
    inputs = keras.Input(((n_steps + condition_dim) * pac,), name="packed_curves")
    h = inputs  # (B/pac, pac * (n_steps + cond))
    for i, n in enumerate(units):
        h = layers.Dense(n, kernel_initializer=_init(seed, 100 + i), name=f"dense_{i}")(h)
        h = layers.LeakyReLU(0.2, name=f"leaky_{i}")(h)
        if dropout:
            drop_seed = None if seed is None else _layer_seed(seed, 200 + i)
            h = layers.Dropout(dropout, seed=drop_seed, name=f"dropout_{i}")(h)
    outputs = layers.Dense(1, kernel_initializer=_init(seed, 100 + len(units)), name="logit")(h)
    return keras.Model(inputs, outputs, name=name)


def discriminator_loss(loss: str, d_real, d_fake):
    """The discriminator's loss from its outputs on real and on generated days.

    ``"bce"``: cross-entropy, real days labelled 1 and generated ones 0 (the outputs are
    logits). ``"wgan-gp"``: the critic's estimate of the Wasserstein distance, negated
    (PriceGAN adds the gradient penalty).

    Example:
        >>> float(discriminator_loss("wgan-gp", np.array([[2.0]]), np.array([[0.5]])))
        -1.5
    """
    if loss == "bce":
        bce = keras.losses.binary_crossentropy
        return ops.mean(bce(ops.ones_like(d_real), d_real, from_logits=True)) + ops.mean(
            bce(ops.zeros_like(d_fake), d_fake, from_logits=True)
        )
    return ops.mean(d_fake) - ops.mean(d_real)


def generator_loss(loss: str, d_fake):
    """The generator's loss from the discriminator's outputs on generated days.

    ``"bce"``: the non-saturating loss, −log D(G(z)). ``"wgan-gp"``: −mean critic value.

    Example:
        >>> round(float(generator_loss("bce", np.array([[0.0]]))), 4)  # D says 50:50
        0.6931
    """
    if loss == "bce":
        return ops.mean(
            keras.losses.binary_crossentropy(ops.ones_like(d_fake), d_fake, from_logits=True)
        )
    return -ops.mean(d_fake)


def _apply_gradients(optimizer, tape, loss, net) -> None:
    """One optimizer step on ``net``'s trainable variables (means over the global batch
    under a distribution strategy)."""
    import tensorflow as tf

    variables = net.trainable_variables
    grads = tape.gradient(loss, variables)
    replicas = tf.distribute.get_strategy().num_replicas_in_sync
    if replicas > 1:
        grads = [g / replicas for g in grads]
    optimizer.apply(grads, variables)


def _jitter(name: str, value: float | None, default: float, condition: str | None) -> float:
    """A training jitter's sd: ``default`` with a condition and 0 without when ``value`` is
    None; never negative, and nothing to move without a condition."""
    if value is None:
        value = default if condition is not None else 0.0
    if value < 0 or (value and condition is None):
        raise ValueError(
            f"{name} needs a calendar condition and must be >= 0, "
            f"got {value} with condition={condition!r}"
        )
    return float(value)


@keras.saving.register_keras_serializable(package="tsgan")
class PriceGAN(keras.Model):
    """A GAN for daily price curves (``n_days × n_steps`` in EUR/MWh), scaling included.

    ``train_step`` plays the adversarial game on each batch: ``d_steps`` discriminator updates
    on the real batch against freshly generated curves (only discriminator weights change),
    then one generator update with the discriminator frozen (only generator weights change).
    ``fit`` tracks ``d_loss``, ``g_loss`` and the discriminator's mean verdict on real and
    generated curves, ``d_real`` and ``d_fake`` (probabilities for ``"bce"``, critic values
    for ``"wgan-gp"``).

    The price transform lives inside the model: curves are centred on the per-hour median,
    divided by one robust scale (the interquartile range / 1.349), passed through ``asinh``
    (linear for ordinary prices, logarithmic in the tails, so that −500 EUR/MWh or 900 EUR/MWh
    hours do not squash ordinary days as a min–max scaling would) and divided by a bound
    that leaves 10% headroom inside tanh's range (the most extreme training hour at 1/1.1).
    With ``output_activation="linear"`` the generator works on the asinh values themselves
    and ``generate`` keeps them within the same bound. ``adapt`` fits the transform, ``fit``
    calls ``adapt`` when needed, and it is saved with the model; ``generate`` returns EUR/MWh.

    ``fit`` on in-memory curves runs each epoch as one compiled call (the per-batch
    dispatch of the textbook loop is where small GANs spend their time; see
    ``scripts/bench_speed.py``) and computes what per-batch ``train_step`` calls would.

    The defaults (WGAN-GP, two critic updates per generator update, no packing, no dropout,
    EMA 0.99) came out best of the settings compared on DE-LU 2023-2025 (see
    ``scripts/tune_defaults.py``), the learning rates of :meth:`compile` on validation days
    of DE-LU and of the epftoolbox years (``scripts/results/quality_tried.md``).

    Args:
        n_steps: values per day (24 hours, or 96 quarter-hours).
        latent_dim: size of the noise vector.
        generator_units: width of each generator block.
        discriminator_units: width of each discriminator block.
        loss: ``"bce"`` (non-saturating) or ``"wgan-gp"``; None: the measured best,
            ``tsgan.config.DEFAULT_LOSS`` (WGAN-GP, with or without a condition).
        d_steps: discriminator updates per generator update.
        gp_weight: gradient-penalty weight for ``"wgan-gp"``.
        pac: curves packed into one discriminator input (PacGAN), against mode collapse.
        dropout: dropout rate in the discriminator.
        condition: ``None`` (unconditional), ``"calendar"`` (the delivery day's type,
            workday / Saturday / Sunday or holiday, and its season) or ``"calendar+level"``
            (also the day's mean price). The model then encodes dates and levels itself
            (:meth:`encode_conditions`), and with the level every generated day's mean is
            exactly the requested level: the generator shapes the day, the level is imposed
            (in training too, so the discriminator judges the shape given the level).
        country: the holiday calendar of ``condition`` (ISO code, ``holidays`` package).
        timezone: the market's time zone, for delivery-interval output of sampled days.
        condition_dim: size of a raw condition vector the caller encodes (0 = none); set
            by ``condition`` when that is given. Conditions are concatenated to the noise
            and to each curve the discriminator sees.
        residual: concatenate each generator block's input to its output.
        batch_norm: batch normalisation in the generator's blocks. Off by default: in
            training it normalises each batch by the batch's own statistics, when generating
            by moving averages, and on validation days the generator without it was better
            on DE-LU and no longer over-concentrated on the epftoolbox years
            (scripts/results/quality_tried.md, session 26).
        output_activation: the generator's last activation: ``"tanh"`` (curves in the
            transform's asinh space divided by the bound) or ``"linear"`` (in the asinh space
            itself, clipped at the bound when generating). On validation days ``"linear"``
            fixed the epftoolbox years' over-concentration but learned the rarer of two daily
            shapes far more slowly (scripts/results/quality_tried.md): not the default.
        ema: decay of an exponential moving average of the generator weights used by
            ``generate`` (None = off).
        season_jitter: with ``condition``, the sd in days of a Gaussian shift of the season
            each training day is shown with (real days and the fakes judged against them
            alike), so that a date learns from the days around it, not from its one day a
            year; None: ``tsgan.config.SEASON_JITTER_DAYS`` with a condition, 0 without.
        level_jitter: with ``condition``, the sd of a Gaussian shift of each training day
            (every hour alike, and with ``"calendar+level"`` its level condition too), so
            that a level learns its shapes from the days of neighbouring levels and a date
            its levels from a smoothed neighbourhood of its few days; in units of the price
            transform's scale (a robust sd of the training hours, close to the sd of their
            daily means: about 30 EUR/MWh for DE-LU 2023-2024, 9 for 2015), so that one
            value fits markets and eras of any price level; None:
            ``tsgan.config.LEVEL_JITTER`` with a condition, 0 without.
        seed: seed of everything random in the model: the initial weights, the dropout
            masks and the training noise, so that the same seed, data and settings give the
            same trained model (None: Keras' global random state).

    Example:
        >>> import tsgan
        >>> curves = tsgan.daily_curves(tsgan.demo_prices("2024-01-01", "2024-03-31"))
        >>> gan = PriceGAN(latent_dim=8, generator_units=(32,), discriminator_units=(32,))
        >>> gan.compile()
        >>> history = gan.fit(curves, epochs=2, batch_size=32, verbose=0)
        >>> gan.generate(5, seed=0).shape
        (5, 24)
    """

    def __init__(
        self,
        n_steps: int = 24,
        latent_dim: int = 32,
        generator_units: Sequence[int] = (128, 128),
        discriminator_units: Sequence[int] = (128, 128),
        loss: str | None = None,
        d_steps: int = 2,
        gp_weight: float = 10.0,
        pac: int = 1,
        dropout: float = 0.0,
        condition_dim: int = 0,
        residual: bool = True,
        batch_norm: bool = False,
        output_activation: str = "tanh",
        ema: float | None = 0.99,
        seed: int | None = 0,
        condition: str | None = None,
        country: str = "DE",
        timezone: str = "Europe/Berlin",
        season_jitter: float | None = None,
        level_jitter: float | None = None,
        **kwargs,
    ) -> None:
        _require_tensorflow()
        super().__init__(**kwargs)
        loss = DEFAULT_LOSS if loss is None else loss
        if loss not in LOSSES:
            raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}")
        if pac < 1 or d_steps < 1:
            raise ValueError(
                f"pac and d_steps must be at least 1, got pac={pac}, d_steps={d_steps}"
            )
        if ema is not None and not 0.0 < ema < 1.0:
            raise ValueError(f"ema must be between 0 and 1 (or None), got {ema}")
        if condition is not None:
            if condition not in CONDITIONS:
                raise ValueError(
                    f"condition must be one of {CONDITIONS} or None, got {condition!r}"
                )
            named_dim = CALENDAR_DIM + (condition == "calendar+level")
            if condition_dim not in (0, named_dim):
                raise ValueError(
                    f"condition {condition!r} has {named_dim} values; got condition_dim={condition_dim}"
                )
            condition_dim = named_dim
        self.season_jitter = _jitter("season_jitter", season_jitter, SEASON_JITTER_DAYS, condition)
        self.level_jitter = _jitter("level_jitter", level_jitter, LEVEL_JITTER, condition)
        self.condition = condition
        self.country = str(country)
        self.timezone = str(timezone)
        self.n_steps = int(n_steps)
        self.latent_dim = int(latent_dim)
        self.generator_units = tuple(int(u) for u in generator_units)
        self.discriminator_units = tuple(int(u) for u in discriminator_units)
        self.loss_name = loss
        self.d_steps = int(d_steps)
        self.gp_weight = float(gp_weight)
        self.pac = int(pac)
        self.dropout = float(dropout)
        self.condition_dim = int(condition_dim)
        self.residual = bool(residual)
        self.batch_norm = bool(batch_norm)
        if output_activation not in OUTPUT_ACTIVATIONS:
            raise ValueError(
                f"output_activation must be one of {OUTPUT_ACTIVATIONS}, got {output_activation!r}"
            )
        self.output_activation = output_activation
        self.ema = None if ema is None else float(ema)
        self.seed = seed

        g_args = (self.n_steps, self.latent_dim, self.generator_units)
        g_kw = {
            "condition_dim": self.condition_dim,
            "residual": self.residual,
            "batch_norm": self.batch_norm,
            "output_activation": self.output_activation,
            "seed": seed,
        }
        self.generator = build_generator(*g_args, **g_kw)
        self.discriminator = build_discriminator(
            self.n_steps,
            self.discriminator_units,
            condition_dim=self.condition_dim,
            pac=self.pac,
            dropout=self.dropout,
            seed=seed,
        )
        self.ema_generator = (
            build_generator(*g_args, **g_kw, name="ema_generator") if self.ema else None
        )
        if self.ema_generator is not None:
            self.ema_generator.set_weights(self.generator.get_weights())
            self.ema_generator.trainable = False
        self.seed_generator = keras.random.SeedGenerator(seed)
        self._shuffle_seed = int(np.random.SeedSequence(seed).generate_state(1)[0] // 2)

        # The price transform (see the class docstring), fitted by adapt().
        self.center = self.add_weight(
            shape=(self.n_steps,), initializer="zeros", trainable=False, name="center"
        )
        self.scale = self.add_weight(shape=(), initializer="ones", trainable=False, name="scale")
        self.bound = self.add_weight(shape=(), initializer="ones", trainable=False, name="bound")
        self.adapted = self.add_weight(
            shape=(), initializer="zeros", trainable=False, name="adapted"
        )

        self._epoch_plan = None  # set by fit: (days, batch size, shuffle) of a fused epoch
        self._sample_fn = None  # generate's compiled call, made on first use
        self._noise = None  # generate's last seeded noise: ((n, seed), tensor)
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.d_real_tracker = keras.metrics.Mean(name="d_real")
        self.d_fake_tracker = keras.metrics.Mean(name="d_fake")
        self.built = True

    # ------------------------------------------------------------------ configuration

    # The training noise's random state is saved with the weights, so that a run resumed
    # from a saved model continues as the uninterrupted run would (Keras saves a layer's
    # weights, not the state of its seed generators).
    _NOISE_STATE = "noise_state"

    def save_own_variables(self, store) -> None:
        super().save_own_variables(store)
        store[self._NOISE_STATE] = self.seed_generator.state

    def load_own_variables(self, store) -> None:
        keys = list(store.keys())
        super().load_own_variables({k: store[k] for k in keys if k != self._NOISE_STATE})
        if self._NOISE_STATE in keys:  # absent in older model files
            self.seed_generator.state.assign(store[self._NOISE_STATE])

    @classmethod
    def from_config(cls, config: dict) -> PriceGAN:
        # model files saved before batch_norm was a setting had batch normalisation
        return super().from_config({"batch_norm": True, **config})

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(
            n_steps=self.n_steps,
            latent_dim=self.latent_dim,
            generator_units=list(self.generator_units),
            discriminator_units=list(self.discriminator_units),
            loss=self.loss_name,
            d_steps=self.d_steps,
            gp_weight=self.gp_weight,
            pac=self.pac,
            dropout=self.dropout,
            condition_dim=self.condition_dim,
            residual=self.residual,
            batch_norm=self.batch_norm,
            output_activation=self.output_activation,
            ema=self.ema,
            seed=self.seed,
            condition=self.condition,
            country=self.country,
            timezone=self.timezone,
            season_jitter=self.season_jitter,
            level_jitter=self.level_jitter,
        )
        return config

    def compile(
        self,
        d_optimizer: keras.optimizers.Optimizer | None = None,
        g_optimizer: keras.optimizers.Optimizer | None = None,
        *,
        d_learning_rate: float | None = None,
        g_learning_rate: float | None = None,
        **kwargs,
    ) -> None:
        """Set both optimizers: by default Adam with β1 = 0.5 at the loss's learning rates
        (``tsgan.config.LEARNING_RATES``: WGAN-GP's critic at 4e-4 and generator at 1e-4,
        2e-4 for both with BCE), or at ``d_learning_rate`` / ``g_learning_rate`` when given.

        Everything else (``jit_compile``, ``steps_per_execution``, ``run_eagerly``...) is
        passed to ``keras.Model.compile``. ``steps_per_execution`` matters only for
        per-batch training (a ``tf.data.Dataset``): in-memory curves already run a whole
        epoch per execution (see :meth:`fit`). XLA (``jit_compile=True``) measured about
        twice as slow as the default on a 2-core CPU for these small networks.

        Example:
            >>> gan = PriceGAN(latent_dim=4, generator_units=(8,), discriminator_units=(8,))
            >>> gan.compile(d_optimizer=keras.optimizers.Adam(1e-4, beta_1=0.5),
            ...             steps_per_execution=4)
            >>> gan.compile(g_learning_rate=5e-5)
            >>> round(float(gan.g_optimizer.learning_rate), 8)
            5e-05
        """
        d_rate, g_rate = LEARNING_RATES[self.loss_name]
        d_rate, g_rate = d_learning_rate or d_rate, g_learning_rate or g_rate
        self.d_optimizer = d_optimizer or keras.optimizers.Adam(d_rate, beta_1=0.5, name="d_adam")
        self.g_optimizer = g_optimizer or keras.optimizers.Adam(g_rate, beta_1=0.5, name="g_adam")
        self._passthrough = {
            k: v for k, v in kwargs.items() if k in ("jit_compile", "steps_per_execution")
        }
        super().compile(**kwargs)
        # Create the optimizer variables now, in the strategy's scope: built lazily inside a
        # distributed train function they fail under MirroredStrategy.
        self.d_optimizer.build(self.discriminator.trainable_variables)
        self.g_optimizer.build(self.generator.trainable_variables)

    def get_compile_config(self) -> dict:
        if not self.compiled:
            return {}
        return {
            "d_optimizer": keras.saving.serialize_keras_object(self.d_optimizer),
            "g_optimizer": keras.saving.serialize_keras_object(self.g_optimizer),
            **self._passthrough,
        }

    def compile_from_config(self, config: dict) -> None:
        config = dict(config)
        d_opt = keras.saving.deserialize_keras_object(config.pop("d_optimizer"))
        g_opt = keras.saving.deserialize_keras_object(config.pop("g_optimizer"))
        self.compile(d_optimizer=d_opt, g_optimizer=g_opt, **config)  # builds the optimizers

    @property
    def metrics(self) -> list:
        if self._epoch_plan is not None:  # a fused epoch returns its means itself
            return []
        return [self.d_loss_tracker, self.g_loss_tracker, self.d_real_tracker, self.d_fake_tracker]

    # ------------------------------------------------------------------ the price transform

    def adapt(self, curves) -> None:
        """Fit the price transform to training curves in EUR/MWh, shape ``(n_days, n_steps)``.

        Example:
            >>> gan = PriceGAN(latent_dim=4, generator_units=(8,), discriminator_units=(8,))
            >>> gan.adapt(np.random.default_rng(0).normal(80, 30, (100, 24)))
            >>> bool(gan.is_adapted)
            True
        """
        x = np.asarray(curves, dtype="float64")
        if x.ndim != 2 or x.shape[1] != self.n_steps or not len(x):
            raise ValueError(f"adapt needs curves of shape (n_days, {self.n_steps}), got {x.shape}")
        if not np.isfinite(x).all():
            raise ValueError("adapt: curves contain NaN or infinite values")
        center = np.median(x, axis=0)
        q25, q75 = np.percentile(x - center, [25, 75])
        scale = max((q75 - q25) / 1.349, 1e-3)
        bound = 1.1 * max(np.abs(np.arcsinh((x - center) / scale)).max(), 1e-3)
        self.center.assign(center.astype("float32"))
        self.scale.assign(np.float32(scale))
        self.bound.assign(np.float32(bound))
        self.adapted.assign(np.float32(1.0))

    @property
    def is_adapted(self) -> bool:
        return bool(ops.convert_to_numpy(self.adapted) > 0)

    def to_unit(self, curves):
        """EUR/MWh → the generator's space (a tensor op, used inside ``train_step``)."""
        asinh = ops.arcsinh((ops.cast(curves, "float32") - self.center) / self.scale)
        return asinh if self.output_activation == "linear" else asinh / self.bound

    def _asinh(self, unit, bound, clip):
        """The generator's space → the transform's asinh values, within ±``bound``
        (numpy or tensors: ``clip`` is ``np.clip`` or ``ops.clip``)."""
        return unit * bound if self.output_activation == "tanh" else clip(unit, -bound, bound)

    def from_unit(self, values: np.ndarray) -> np.ndarray:
        """The generator's space → EUR/MWh (numpy, float64), within 10% beyond the most
        extreme training hour in the asinh space (the bound)."""
        center = ops.convert_to_numpy(self.center).astype("float64")
        scale = float(ops.convert_to_numpy(self.scale))
        bound = float(ops.convert_to_numpy(self.bound))
        asinh = self._asinh(np.asarray(values, dtype="float64"), bound, np.clip)
        return np.sinh(asinh) * scale + center

    def _from_unit_tensor(self, unit):
        """``from_unit`` as a tensor op (in ``train_step`` and ``generate``), float32.

        ``sinh(u) = (e^u − e^−u) / 2`` with one ``exp``: TensorFlow's ``sinh`` kernel is
        several times slower on CPU, and ``generate`` spends its time here.
        """
        e = ops.exp(self._asinh(unit, self.bound, ops.clip))
        return (e - 1.0 / e) * (0.5 * self.scale) + self.center

    # ------------------------------------------------------------------ conditions

    @property
    def has_level(self) -> bool:
        """Whether the model is conditioned on the daily price level."""
        return self.condition == "calendar+level"

    def encode_conditions(self, dates, levels=None) -> np.ndarray:
        """The condition vectors of delivery days, shape ``(len(dates), condition_dim)``.

        The calendar part is the day type (workday / Saturday / Sunday or public holiday of
        the model's ``country``) one-hot and the season as sin/cos of the day of the year;
        the level (EUR/MWh, the day's mean price) is scaled with the model's price
        transform, so a fitted transform is needed for it.

        Args:
            dates: delivery days (anything ``pandas.DatetimeIndex`` accepts).
            levels: one daily mean price per date, for ``condition="calendar+level"``.

        Example:
            >>> gan = PriceGAN(latent_dim=4, generator_units=(8,), discriminator_units=(8,),
            ...                condition="calendar")
            >>> gan.encode_conditions(["2025-04-13", "2025-04-14"])[:, :3].tolist()
            [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]
        """
        if self.condition is None:
            raise ValueError(
                "this model was trained without conditions: it takes no dates or levels"
            )
        if self.has_level and levels is None:
            raise ValueError(
                "this model is conditioned on the daily price level: give a level for each date"
            )
        if not self.has_level and levels is not None:
            raise ValueError(
                f"this model is conditioned on {self.condition!r} only: it takes no price level"
            )
        calendar = calendar_conditions(dates, country=self.country)  # (n, 5)
        if not self.has_level:
            return calendar
        levels = np.asarray(levels, dtype="float64").reshape(-1)
        if levels.shape != (len(calendar),):
            raise ValueError(f"got {levels.size} levels for {len(calendar)} dates")
        if not np.isfinite(levels).all():
            raise ValueError("levels must be finite numbers (EUR/MWh)")
        if not self.is_adapted:
            raise RuntimeError("the price transform is not fitted yet; call fit or adapt first")
        unit = ops.convert_to_numpy(self._encode_level(levels[:, None]))
        return np.concatenate([calendar, unit.astype("float32")], axis=1)

    def _encode_level(self, level):
        """Daily levels (EUR/MWh, shape (B, 1)) → the level condition: the curves' transform
        at the mean of the per-hour centres. :meth:`_level` is its inverse."""
        centered = ops.cast(level, "float32") - ops.mean(self.center)
        return ops.arcsinh(centered / self.scale) / self.bound

    def _level(self, conditions):
        """The level in EUR/MWh from encoded conditions (its last column), shape (B, 1)."""
        unit = conditions[:, -1:]
        return ops.sinh(unit * self.bound) * self.scale + ops.mean(self.center)

    def _impose_level(self, unit, conditions):
        """Shift generated unit-space curves so that each day's mean price is its level."""
        eur = self._from_unit_tensor(unit)  # (B, n) EUR/MWh
        eur = eur - ops.mean(eur, axis=-1, keepdims=True) + self._level(conditions)
        return self.to_unit(eur)

    # ------------------------------------------------------------------ training

    def call(self, inputs, training: bool = False):
        """Noise (with conditions concatenated) → curves in EUR/MWh, as ``generate`` makes them.

        So ``gan(noise)`` and ``gan.predict(noise)`` give prices (float32), from the EMA
        weights when ``ema`` is on (outside training) and, with the level condition, with
        each day's mean equal to its level (the last condition column).

        Example:
            >>> gan = PriceGAN(latent_dim=4, generator_units=(8,), discriminator_units=(8,))
            >>> gan.adapt(np.random.default_rng(0).normal(80, 30, (100, 24)))
            >>> noise = keras.random.normal((3, 4), seed=1)
            >>> bool(np.allclose(gan.predict(noise, verbose=0), gan.generate(3, seed=1), rtol=1e-4))
            True
        """
        net = self.generator if training or self.ema_generator is None else self.ema_generator
        eur = self._from_unit_tensor(net(inputs, training=training))  # (B, n) EUR/MWh
        if self.has_level:
            conditions = inputs[:, self.latent_dim :]
            eur = eur - ops.mean(eur, axis=-1, keepdims=True) + self._level(conditions)
        return eur

    def fit(self, x=None, y=None, *, batch_size=None, shuffle=True, **kwargs):
        """``keras.Model.fit``, adapting the price transform first if it was never fitted.

        ``x`` is an array or DataFrame of curves in EUR/MWh. A model with a named
        ``condition`` takes a DataFrame indexed by delivery day and encodes each day's
        conditions itself (its date; with the level, the curve's mean). With raw
        ``condition_dim`` conditions, ``x`` is ``(curves, conditions)``.

        In-memory curves take the fast path: the training set is held as one tensor and
        each epoch (shuffle, then every batch's discriminator and generator updates, the
        last smaller batch included) runs as one compiled call, so the per-batch dispatch
        of ``fit`` disappears; epochs, callbacks, ``History`` and metrics are as usual. It
        computes what the per-batch ``train_step`` computes for the same batches (a
        ``tf.data.Dataset``, ``steps_per_epoch`` or validation data take that path); only
        a conditional model's season (and level) jitter is drawn for the whole set at once,
        one shift per day and epoch as per batch, in another order of the random stream.
        """
        if not self.compiled:
            self.compile()
        dates = getattr(x, "index", None)
        if x is not None and not isinstance(x, (tuple, list)) and hasattr(x, "to_numpy"):
            x = x.to_numpy()
        for part in x if isinstance(x, (tuple, list)) else (x,):  # curves (and conditions)
            if isinstance(part, np.ndarray) and not np.isfinite(part).all():
                raise ValueError("fit: curves or conditions contain NaN or infinite values")
        if not self.is_adapted:
            curves = x[0] if isinstance(x, (tuple, list)) else x
            if not isinstance(curves, np.ndarray):
                raise ValueError("fit: call adapt(curves) first when x is not an array of curves")
            self.adapt(curves)
        if self.condition is not None and isinstance(x, np.ndarray):
            if dates is None:
                raise ValueError(
                    f"fit: a model conditioned on {self.condition!r} needs a DataFrame of curves "
                    "indexed by delivery day"
                )
            levels = x.mean(axis=1) if self.has_level else None
            x = (x.astype("float32"), self.encode_conditions(dates, levels))
        if isinstance(x, np.ndarray):
            x = x.astype("float32")
        import tensorflow as tf

        arrays = x if isinstance(x, tuple) else (x,)
        fused = (
            y is None
            and all(isinstance(a, np.ndarray) for a in arrays)
            and not set(kwargs) & {"steps_per_epoch", "validation_data", "validation_split"}
            # replicas synchronise per batch: a distribution strategy keeps per-batch steps
            and self._distribute_strategy is None
            and not tf.distribute.has_strategy()
        )
        if not fused:
            self._set_epoch_plan(None)
            return super().fit(x, y, batch_size=batch_size, shuffle=shuffle, **kwargs)

        self._set_epoch_plan((len(arrays[0]), int(batch_size or 32), bool(shuffle)))
        once = tf.data.Dataset.from_tensors((x,)).repeat()  # the whole set, once per epoch
        # No autotuning thread: there is nothing to tune, and an iterator with one waits
        # for it when destroyed (seen here: up to 20 s with idle CPUs at the end of fit).
        options = tf.data.Options()
        options.autotune.enabled = False
        once = once.with_options(options)
        per_execution = self.steps_per_execution
        self.steps_per_execution = 1  # one execution is one epoch
        try:
            return super().fit(once, steps_per_epoch=1, shuffle=False, **kwargs)
        finally:
            self.steps_per_execution = per_execution

    def _set_epoch_plan(self, plan: tuple[int, int, bool] | None) -> None:
        """(days, batch size, shuffle) of the fused epoch, or None for per-batch steps."""
        if plan != self._epoch_plan:
            self.train_function = None  # traced for another plan: trace again
        self._epoch_plan = plan

    def train_step(self, data):
        """One step of the game on a batch of real days (or, from :meth:`fit`, one epoch)."""
        x, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        if self.condition_dim:
            real, conditions = x[0], ops.cast(x[1], "float32")  # fit(x=(curves, conditions))
        else:
            real, conditions = x, None
        if conditions is not None:  # one draw for the whole set when it is the epoch
            real, conditions = self._jitter_level(real, self._jitter_season(conditions))
        real = self.to_unit(real)  # (B, n)
        if self._epoch_plan is not None:  # the whole set: one epoch, its means as the logs
            return dict(zip(LOGS, ops.unstack(self._train_epoch(real, conditions)), strict=True))
        values = ops.unstack(self._train_batch(real, conditions))
        for tracker, value in zip(self.metrics, values, strict=True):
            tracker.update_state(value)
        return {m.name: m.result() for m in self.metrics}

    def _train_batch(self, real, conditions):
        """One step of the game on a batch of transformed curves: ``d_steps`` discriminator
        updates (the generator fixed), then one generator update (the discriminator frozen).

        Returns the step's ``LOGS`` values as one tensor of shape (4,).
        """
        batch = (ops.shape(real)[0] // self.pac) * self.pac  # whole packs only
        real = real[:batch]
        if conditions is not None:
            conditions = conditions[:batch]
        for _ in range(self.d_steps):  # (a) the generator fixed
            d_loss, d_real, d_fake = self.discriminator_step(real, conditions)
        g_loss = self.generator_step(batch, conditions)  # (b) the discriminator frozen
        verdict = ops.sigmoid if self.loss_name == "bce" else (lambda v: v)
        return ops.stack([d_loss, g_loss, ops.mean(verdict(d_real)), ops.mean(verdict(d_fake))])

    def _jitter_season(self, conditions):
        """The conditions with each day's season moved by ``season_jitter`` days (Gaussian sd).

        Real days and the fakes they are judged against share the moved season, so the
        model learns the days of a season's neighbourhood, not the one day each date has.
        """
        if not self.season_jitter:
            return conditions
        k = CALENDAR_FEATURES.index("day_of_year_sin")  # then its cos
        angle = keras.random.normal((ops.shape(conditions)[0], 1), seed=self.seed_generator) * (
            2 * np.pi * self.season_jitter / 365.25
        )
        sin, cos = conditions[:, k : k + 1], conditions[:, k + 1 : k + 2]
        moved = (
            sin * ops.cos(angle) + cos * ops.sin(angle),
            cos * ops.cos(angle) - sin * ops.sin(angle),
        )
        return ops.concatenate([conditions[:, :k], *moved, conditions[:, k + 2 :]], axis=-1)

    def _jitter_level(self, real, conditions):
        """Real days (EUR/MWh) moved by a Gaussian shift of sd ``level_jitter`` × the
        transform's scale per day, and with the level condition their levels alike, so a
        level learns from neighbouring levels' days (and a date's levels are smoothed).
        """
        if not self.level_jitter:
            return real, conditions
        shift = keras.random.normal((ops.shape(real)[0], 1), seed=self.seed_generator)
        shift = shift * (self.level_jitter * self.scale)  # EUR/MWh
        if not self.has_level:
            return ops.cast(real, "float32") + shift, conditions
        level = self._encode_level(self._level(conditions) + shift)  # the moved days' levels
        return ops.cast(real, "float32") + shift, ops.concatenate(
            [conditions[:, :-1], level], axis=-1
        )

    def discriminator_step(self, real, conditions=None):
        """One discriminator update on ``real`` (transformed) against fresh fakes.

        Only discriminator variables receive gradients. Returns the loss and the raw
        discriminator outputs on real and generated curves.
        """
        import tensorflow as tf

        fake = self._fake(ops.shape(real)[0], conditions)
        with tf.GradientTape() as tape:
            d_real = self._critic(real, conditions)
            d_fake = self._critic(fake, conditions)
            d_loss = discriminator_loss(self.loss_name, d_real, d_fake)
            if self.loss_name == "wgan-gp":
                d_loss = d_loss + self.gp_weight * self._gradient_penalty(real, fake, conditions)
        _apply_gradients(self.d_optimizer, tape, d_loss, self.discriminator)
        return d_loss, d_real, d_fake

    def generator_step(self, batch, conditions=None):
        """One generator update through the frozen discriminator; returns the generator loss."""
        import tensorflow as tf

        with tf.GradientTape() as tape:
            g_fake = self._critic(self._fake(batch, conditions), conditions)
            g_loss = generator_loss(self.loss_name, g_fake)
        _apply_gradients(self.g_optimizer, tape, g_loss, self.generator)
        if self.ema_generator is not None:
            self._update_ema()
        return g_loss

    def _fake(self, batch, conditions):
        """Generated curves in the unit space: noise (+ conditions) through the generator.

        With the level condition each day's mean is imposed (see :meth:`_impose_level`).
        """
        z = keras.random.normal((batch, self.latent_dim), seed=self.seed_generator)
        noise = z if conditions is None else ops.concatenate([z, conditions], axis=-1)
        unit = self.generator(noise, training=True)  # (B, n)
        return self._impose_level(unit, conditions) if self.has_level else unit

    def _critic(self, curves, conditions, training=True):
        """The discriminator's verdict on curves [+ conditions], ``pac`` days packed per input:
        (B, n) [+ (B, c)] → (B/pac, pac·(n+c)) → (B/pac, 1)."""
        x = curves if conditions is None else ops.concatenate([curves, conditions], axis=-1)
        packed = ops.reshape(x, (-1, self.pac * (self.n_steps + self.condition_dim)))
        return self.discriminator(packed, training=training)

    def _gradient_penalty(self, real, fake, conditions):
        """WGAN-GP's penalty: the mean of (‖∇D‖ − 1)² at random points between real and
        generated days (a U(0, 1) weight per day), one gradient norm per packed input."""
        import tensorflow as tf

        alpha = keras.random.uniform((ops.shape(real)[0], 1), seed=self.seed_generator)
        mixed = real + alpha * (fake - real)
        with tf.GradientTape() as tape:
            tape.watch(mixed)
            critic = self._critic(mixed, conditions)
        grad = ops.reshape(tape.gradient(critic, mixed), (-1, self.pac * self.n_steps))
        norm = ops.sqrt(ops.sum(ops.square(grad), axis=-1) + 1e-12)  # no NaN gradient at 0
        return ops.mean(ops.square(norm - 1.0))

    def _update_ema(self) -> None:
        # warm-up as in tf.train.ExponentialMovingAverage: early weights are not kept for long
        step = ops.cast(self.g_optimizer.iterations, "float32")
        decay = ops.minimum(self.ema, (1.0 + step) / (10.0 + step))
        for ema_w, w in zip(self.ema_generator.weights, self.generator.weights, strict=True):
            # weights: moving average; BatchNorm statistics (batch_norm=True): copied
            ema_w.assign(decay * ema_w + (1.0 - decay) * w if w.trainable else w)

    def _train_epoch(self, real, conditions):
        """A whole epoch in one graph: shuffle the set, then ``_train_batch`` on each batch
        (a loop over the full batches, then the smaller last one), as ``fit`` would.

        Returns the means over the epoch's batches of the ``LOGS`` values, shape (4,).
        """
        import tensorflow as tf

        n, size, shuffle = self._epoch_plan
        if shuffle:  # a new order every epoch: seeded by the seed and the update count
            updates = ops.cast(self.d_optimizer.iterations, "int64")
            seed = ops.stack([ops.convert_to_tensor(self._shuffle_seed, "int64"), updates])
            order = ops.argsort(tf.random.stateless_uniform((n,), seed))
            real = ops.take(real, order, axis=0)
            conditions = None if conditions is None else ops.take(conditions, order, axis=0)

        def rows(values, start, length):
            if values is None:
                return None
            return ops.slice(values, (start, 0), (length, values.shape[1]))

        def body(i, total):
            batch = (rows(real, i * size, size), rows(conditions, i * size, size))
            return total + self._train_batch(*batch)

        full, rest = divmod(n, size)
        total = ops.fori_loop(0, full, body, ops.zeros((len(LOGS),)))
        if rest:
            total = total + self._train_batch(
                rows(real, n - rest, rest), rows(conditions, n - rest, rest)
            )
        return total / (full + (rest > 0))

    # ------------------------------------------------------------------ sampling

    def generate(
        self,
        n: int,
        *,
        seed: int | None = None,
        conditions: np.ndarray | None = None,
        batch_size: int = 65536,
    ) -> np.ndarray:
        """Generate ``n`` daily curves in EUR/MWh, shape ``(n, n_steps)``.

        The same ``seed`` and weights give the same curves. Uses the EMA weights when
        ``ema`` is on.

        Args:
            n: number of curves.
            seed: seed of the noise (None: the model's own seed generator moves on).
            conditions: ``(n, condition_dim)`` conditions when the model is conditional.
            batch_size: curves per compiled call (it bounds the memory, not the result).

        Example:
            >>> gan = PriceGAN(latent_dim=4, generator_units=(8,), discriminator_units=(8,))
            >>> gan.adapt(np.random.default_rng(0).normal(80, 30, (100, 24)))
            >>> bool((gan.generate(3, seed=1) == gan.generate(3, seed=1)).all())
            True
        """
        if not self.is_adapted:
            raise RuntimeError(
                "generate: the price transform is not fitted; call fit or adapt first"
            )
        if self.condition_dim:
            if conditions is None:
                raise ValueError(
                    f"generate: this model needs conditions of shape ({n}, {self.condition_dim})"
                )
            conditions = np.asarray(conditions, dtype="float32").reshape(n, self.condition_dim)
        elif conditions is not None:
            raise ValueError("generate: this model is unconditional; conditions must be None")
        noise = self._draw_noise(n, seed)
        if conditions is not None:
            noise = ops.concatenate([noise, ops.convert_to_tensor(conditions)], axis=-1)
        if self._sample_fn is None:
            import tensorflow as tf

            self._sample_fn = tf.function(self._sample, reduce_retracing=True)
        if n <= batch_size:  # one call (no slicing: each eager op costs ~0.1 ms)
            out = np.asarray(self._sample_fn(noise), dtype="float64")
        else:
            out = np.empty((n, self.n_steps))  # float64: filled from float32 chunks in one pass
            for start in range(0, n, batch_size):
                out[start : start + batch_size] = self._sample_fn(noise[start : start + batch_size])
        if self.has_level and n:  # each day's mean is its level (exactly, in float64)
            level = ops.convert_to_numpy(self._level(conditions)).astype("float64")  # (n, 1)
            out += level - out.mean(axis=1, keepdims=True)
        return out

    def _draw_noise(self, n: int, seed: int | None):
        """``(n, latent_dim)`` standard normal noise. An int seed is a stateless draw, the
        same every time: the last small one is kept, so asking again (the animation asks
        for the same days every frame) costs only the generator. None: the model's own
        seed generator moves on."""
        if seed is None:
            return keras.random.normal((n, self.latent_dim), seed=self.seed_generator)
        key = (n, int(seed))
        if self._noise is not None and self._noise[0] == key:
            return self._noise[1]
        noise = keras.random.normal((n, self.latent_dim), seed=int(seed))
        if n * self.latent_dim <= 1 << 20:  # at most 4 MB kept
            self._noise = (key, noise)
        return noise

    def _sample(self, noise):
        """Noise (+ conditions) → curves in EUR/MWh (float32), one compiled call per chunk.

        The level of a level-conditioned model is imposed afterwards, in float64.
        """
        net = self.ema_generator if self.ema_generator is not None else self.generator
        return self._from_unit_tensor(net(noise, training=False))


def load_model(path) -> PriceGAN:
    """Load a saved :class:`PriceGAN` (``.keras``), its scaling and conditions included.

    Same as ``keras.models.load_model`` (safe mode on), with tsgan's classes registered,
    and one clear line for a file that is not a saved PriceGAN.

    Raises:
        ValueError: a missing, truncated or foreign file, or another Keras model.

    Example:
        >>> gan = load_model("runs/demo/model.keras")  # doctest: +SKIP
    """
    import zipfile

    if not zipfile.is_zipfile(path):
        raise ValueError(f"{path}: not a readable tsgan model (not a .keras zip archive)")
    try:
        gan = keras.models.load_model(path)
    except Exception as err:  # zip, JSON, HDF5 or Keras errors: one line, not a traceback
        detail = " ".join(str(err).split())[:200]
        raise ValueError(
            f"{path}: not a readable tsgan model ({type(err).__name__}: {detail})"
        ) from None
    if not isinstance(gan, PriceGAN):
        raise ValueError(f"{path}: a Keras model, but not a tsgan PriceGAN")
    return gan
