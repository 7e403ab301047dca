"""PriceGAN: the adversarial game on daily price curves, as a Keras ``train_step``.

Each batch of real days: ``d_steps`` critic updates against freshly generated days (only
critic weights change), then one generator update through the frozen critic (only generator
weights change), then the moving average of the generator's weights. Everything around the
game has its own module: the networks, the price transform, the conditions, the fused epoch,
sampling and saving.
"""

from __future__ import annotations

import dataclasses

import keras
import numpy as np
from keras import ops

from tsgan.model.conditions import Conditions
from tsgan.model.epoch import FusedEpochs
from tsgan.model.networks import build_discriminator, build_generator
from tsgan.model.sampling import Sampling
from tsgan.model.saving import Saving
from tsgan.model.transform import PriceTransform, impose_level
from tsgan.model.validation import Validation
from tsgan.resources import check_fits
from tsgan.settings import LEARNING_RATES, ModelSettings

LOGS = ("d_loss", "g_loss", "d_real", "d_fake")  # what fit logs, per epoch


def discriminator_loss(loss: str, d_real, d_fake):
    """The critic's loss from its outputs on real and on generated days.

    ``"bce"``: cross-entropy, real days labelled 1 and generated ones 0 (the outputs are
    logits). ``"wgan-gp"``: the estimate of the Wasserstein distance, negated (the gradient
    penalty is added by :meth:`PriceGAN.discriminator_step`).

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
    """The generator's loss from the critic's outputs on generated days.

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


@keras.saving.register_keras_serializable(package="tsgan")
class PriceGAN(Saving, FusedEpochs, Sampling, Validation, keras.Model):
    """A GAN for daily price curves (``n_days × n_steps`` in EUR/MWh), the price transform
    and the conditions included.

    ``fit`` tracks ``d_loss``, ``g_loss`` and the critic's mean verdict on real and generated
    days, ``d_real`` and ``d_fake`` (probabilities for ``"bce"``, critic values for
    ``"wgan-gp"``); with ``validation_data`` or ``validation_split`` also their values on the
    held-out days and the energy distance of generated to held-out days, as ``val_*``
    (``evaluate`` gives the same scores). ``fit`` fits the price transform (:meth:`adapt`)
    when needed; ``generate`` returns EUR/MWh.

    Args:
        settings: a :class:`tsgan.settings.ModelSettings`; or give its fields as keyword
            arguments (``PriceGAN(latent_dim=8)``). Other keyword arguments go to Keras.

    Example:
        >>> import tsgan
        >>> curves = tsgan.daily_curves(tsgan.demo_prices("2024-01-01", "2024-03-31"))
        >>> gan = PriceGAN(latent_dim=8, generator_units=(32,), discriminator_units=(32,))
        >>> gan.compile()
        >>> history = gan.fit(curves, epochs=2, batch_size=32, verbose=0)
        >>> gan.generate(5, seed=0).shape
        (5, 24)
    """

    def __init__(self, settings: ModelSettings | None = None, **kwargs) -> None:
        if keras.backend.backend() != "tensorflow":
            raise RuntimeError(
                "PriceGAN needs the TensorFlow backend, but Keras runs on "
                f"{keras.backend.backend()!r}; set KERAS_BACKEND=tensorflow before importing keras"
            )
        names = {f.name for f in dataclasses.fields(ModelSettings)}
        given = {k: kwargs.pop(k) for k in list(kwargs) if k in names}
        if settings is not None and given:
            raise ValueError("give ModelSettings or its fields as keywords, not both")
        super().__init__(**kwargs)
        self.settings = s = settings if settings is not None else ModelSettings(**given)
        # weights, their EMA copy, two Adam moments and a gradient: 5 float32s a parameter
        check_fits(20 * s.parameter_count(), f"a model of {s.parameter_count():,} parameters")
        net = {"condition_dim": s.condition_dim, "seed": s.seed}
        g_args = (s.n_steps, s.latent_dim, s.generator_units)
        g_kw = {"residual": s.residual, "batch_norm": s.batch_norm, **net}
        g_kw["output_activation"] = s.output_activation
        self.generator = build_generator(*g_args, **g_kw)
        self.discriminator = build_discriminator(
            s.n_steps, s.discriminator_units, pac=s.pac, dropout=s.dropout, **net
        )
        self.ema_generator = None
        if s.ema:
            self.ema_generator = build_generator(*g_args, **g_kw, name="ema_generator")
            self.ema_generator.set_weights(self.generator.get_weights())
            self.ema_generator.trainable = False
        self.seed_generator = keras.random.SeedGenerator(s.seed)
        self._shuffle_seed = int(np.random.SeedSequence(s.seed).generate_state(1)[0] // 2)
        self.transform = PriceTransform(
            self, n_steps=s.n_steps, output_activation=s.output_activation
        )
        self.conditions = None if s.condition is None else Conditions(s, self.transform, self)
        self._epoch_plan = None  # set by fit: (days, batch size, shuffle) of a fused epoch
        self._sample_fn = None  # generate's compiled call, made on first use
        self._noise = None  # generate's last seeded noise: ((n, seed), tensor)
        self.trackers = [keras.metrics.Mean(name=name) for name in LOGS]
        self._make_val_trackers()
        self._evaluating = False  # evaluate() on: the held-out trackers are the metrics
        self.built = True

    def compile(
        self,
        d_optimizer=None,
        g_optimizer=None,
        *,
        d_learning_rate=None,
        g_learning_rate=None,
        **kwargs,
    ) -> None:
        """Set both optimizers: Adam with β1 = 0.5 at the loss's rates
        (``tsgan.settings.LEARNING_RATES``) or at ``d_learning_rate`` / ``g_learning_rate``.

        Everything else (``jit_compile``, ``steps_per_execution``...) goes to
        ``keras.Model.compile``; in-memory curves already run a whole epoch per execution.

        Example:
            >>> gan = PriceGAN(latent_dim=4, generator_units=(8,), discriminator_units=(8,))
            >>> gan.compile(g_learning_rate=5e-5)
            >>> round(float(gan.g_optimizer.learning_rate), 8)
            5e-05
        """
        d_rate, g_rate = LEARNING_RATES[self.settings.loss]
        d_rate, g_rate = d_learning_rate or d_rate, g_learning_rate or g_rate
        self.d_optimizer = d_optimizer or keras.optimizers.Adam(d_rate, beta_1=0.5, name="d_adam")
        self.g_optimizer = g_optimizer or keras.optimizers.Adam(g_rate, beta_1=0.5, name="g_adam")
        self._passthrough = {
            k: v for k, v in kwargs.items() if k in ("jit_compile", "steps_per_execution")
        }
        super().compile(**kwargs)
        # built now, in the strategy's scope: built lazily they fail under MirroredStrategy
        self.d_optimizer.build(self.discriminator.trainable_variables)
        self.g_optimizer.build(self.generator.trainable_variables)

    @property
    def metrics(self) -> list:
        # the fused epoch returns its logs itself: fit's trackers are used per batch only;
        # the held-out trackers only while evaluating (Keras resets every metric each epoch)
        fit = [] if self._epoch_plan is not None else self.trackers
        return [*fit, *self.val_trackers] if self._evaluating else fit

    def adapt(self, curves) -> None:
        """Fit the price transform to training curves in EUR/MWh, ``(n_days, n_steps)``."""
        self.transform.adapt(curves)

    def train_step(self, data):
        """One step of the game on a batch of real days (or, from :meth:`fit`, one epoch)."""
        x, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        real, conditions = (
            (x[0], ops.cast(x[1], "float32")) if self.settings.condition_dim else (x, None)
        )
        if self.conditions is not None:  # one draw for the whole set when it is the epoch
            real, conditions = self.conditions.jitter(real, conditions, self.seed_generator)
        real = self.transform.forward(real)  # (B, n) in the generator's space
        if self._epoch_plan is not None:  # the whole set: one epoch, its means as the logs
            return dict(zip(LOGS, ops.unstack(self._train_epoch(real, conditions)), strict=True))
        values = ops.unstack(self._train_batch(real, conditions))  # one batch: the trackers
        for tracker, value in zip(self.trackers, values, strict=True):
            tracker.update_state(value)
        return {m.name: m.result() for m in self.trackers}

    def _train_batch(self, real, conditions):
        """``d_steps`` critic updates (the generator fixed), then one generator update (the
        critic frozen). Returns the step's ``LOGS`` values as one tensor of shape (4,)."""
        batch = (ops.shape(real)[0] // self.settings.pac) * self.settings.pac  # whole packs
        real = real[:batch]
        if conditions is not None:
            conditions = conditions[:batch]
        for _ in range(self.settings.d_steps):  # (a) the generator fixed
            d_loss, d_real, d_fake = self.discriminator_step(real, conditions)
        g_loss = self.generator_step(batch, conditions)  # (b) the critic frozen
        return ops.stack([d_loss, g_loss, self._mean_verdict(d_real), self._mean_verdict(d_fake)])

    def _mean_verdict(self, critic):
        """The critic's mean verdict as ``fit`` logs it: a probability for ``"bce"``, the
        critic value for ``"wgan-gp"``."""
        return ops.mean(ops.sigmoid(critic) if self.settings.loss == "bce" else critic)

    def discriminator_step(self, real, conditions=None):
        """One critic update on ``real`` (transformed) against fresh fakes; only critic
        variables change. Returns the loss and the critic's outputs on real and fake days."""
        import tensorflow as tf

        fake = self._fake(ops.shape(real)[0], conditions)  # outside the critic's tape
        with tf.GradientTape() as tape:
            d_real = self._critic(real, conditions)
            d_fake = self._critic(fake, conditions)
            d_loss = discriminator_loss(self.settings.loss, d_real, d_fake)
            if self.settings.loss == "wgan-gp":
                penalty = self._gradient_penalty(real, fake, conditions)
                d_loss = d_loss + self.settings.gp_weight * penalty
        _apply_gradients(self.d_optimizer, tape, d_loss, self.discriminator)
        return d_loss, d_real, d_fake

    def generator_step(self, batch, conditions=None):
        """One generator update through the frozen critic; returns the generator loss."""
        import tensorflow as tf

        with tf.GradientTape() as tape:
            g_fake = self._critic(self._fake(batch, conditions), conditions)
            g_loss = generator_loss(self.settings.loss, g_fake)
        _apply_gradients(self.g_optimizer, tape, g_loss, self.generator)
        if self.ema_generator is not None:
            self._update_ema()
        return g_loss

    def _fake(self, batch, conditions, training: bool = True):
        """Generated days in the generator's space: noise (+ conditions) → generator; with
        a level condition each day's mean price is imposed."""
        z = keras.random.normal((batch, self.settings.latent_dim), seed=self.seed_generator)
        noise = z if conditions is None else ops.concatenate([z, conditions], axis=-1)
        fake = self.generator(noise, training=training)  # (B, n)
        if self.conditions is None or self.conditions.level is None:
            return fake
        eur = impose_level(self.transform.inverse(fake), self.conditions.levels(conditions))
        return self.transform.forward(eur)

    def _critic(self, curves, conditions, training: bool = True):
        """The critic's verdict, ``pac`` days packed per input:
        (B, n) [+ (B, c)] → (B/pac, pac·(n+c)) → (B/pac, 1)."""
        s = self.settings
        x = curves if conditions is None else ops.concatenate([curves, conditions], axis=-1)
        packed = ops.reshape(x, (-1, s.pac * (s.n_steps + s.condition_dim)))
        return self.discriminator(packed, training=training)

    def _gradient_penalty(self, real, fake, conditions, training: bool = True):
        """WGAN-GP's penalty: the mean of (‖∇D‖ − 1)² at random points between real and
        generated days (a U(0, 1) weight per day), one gradient norm per packed input."""
        import tensorflow as tf

        alpha = keras.random.uniform((ops.shape(real)[0], 1), seed=self.seed_generator)
        mixed = real + alpha * (fake - real)
        with tf.GradientTape() as tape:
            tape.watch(mixed)
            critic = self._critic(mixed, conditions, training)
        grad = tape.gradient(critic, mixed)
        grad = ops.reshape(grad, (-1, self.settings.pac * self.settings.n_steps))
        norm = ops.sqrt(ops.sum(ops.square(grad), axis=-1) + 1e-12)  # no NaN gradient at 0
        return ops.mean(ops.square(norm - 1.0))

    def _update_ema(self) -> None:
        """The moving average of the generator's weights, with the warm-up of
        ``tf.train.ExponentialMovingAverage`` (early weights are not kept for long)."""
        step = ops.cast(self.g_optimizer.iterations, "float32")
        decay = ops.minimum(self.settings.ema, (1.0 + step) / (10.0 + step))
        for ema_w, w in zip(self.ema_generator.weights, self.generator.weights, strict=True):
            # weights: moving average; BatchNorm statistics (batch_norm=True): copied
            ema_w.assign(decay * ema_w + (1.0 - decay) * w if w.trainable else w)
