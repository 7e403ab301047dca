"""Validation: ``evaluate``, and ``fit`` with ``validation_data`` or ``validation_split``.

On held-out days nothing is trained. Each batch of real days is scored as the game scores
training batches (the critic's loss, the generator's loss and the critic's mean verdicts,
with the weights ``fit`` trains), and as a user sees the model: the energy distance between
the held-out days and as many days from ``generate`` (EUR/MWh; the EMA weights when ``ema``
is on, a level-conditioned model's days at their levels). ``fit`` logs them as ``val_d_loss``,
``val_g_loss``, ``val_d_real``, ``val_d_fake`` and ``val_energy_distance``, so
``EarlyStopping`` and ``ModelCheckpoint(save_best_only=True)`` can monitor them.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

VAL_LOGS = ("d_loss", "g_loss", "d_real", "d_fake", "energy_distance")  # evaluate's logs


def energy_distance(x, y):
    """The energy distance 2 E‖X − Y‖ − E‖X − X'‖ − E‖Y − Y'‖ of two batches of curves
    (Euclidean norms over the hours; the within-batch means over distinct pairs, so it is
    unbiased: near 0, at times below, when both come from one distribution).

    A tensor op (``keras.ops``), in float64 so that nearby curves of large prices keep their
    distance. Batches of one curve have no within-batch pair; their own terms count as 0.

    Example:
        >>> x = np.array([[0.0, 0.0], [3.0, 4.0]])
        >>> float(energy_distance(x, x + 10.0)) > float(energy_distance(x, x))
        True
    """
    x, y = ops.cast(x, "float64"), ops.cast(y, "float64")

    def mean_distance(a, b, distinct: bool):
        sq = (
            ops.sum(a * a, axis=1)[:, None]
            + ops.sum(b * b, axis=1)[None, :]
            - 2.0 * ops.matmul(a, ops.transpose(b))
        )
        d = ops.sqrt(ops.maximum(sq, 0.0))
        n, m = ops.cast(ops.shape(a)[0], "float64"), ops.cast(ops.shape(b)[0], "float64")
        if not distinct:
            return ops.sum(d) / (n * m)
        d = d * (1.0 - ops.eye(ops.shape(a)[0], dtype="float64"))  # the diagonal is 0 anyway
        return ops.sum(d) / ops.maximum(n * (n - 1.0), 1.0)

    return 2.0 * mean_distance(x, y, False) - mean_distance(x, x, True) - mean_distance(y, y, True)


class Validation:
    """``test_step`` and ``evaluate`` of :class:`~tsgan.PriceGAN` (see the module's text)."""

    def _make_val_trackers(self) -> None:
        # named apart from fit's trackers: Keras reads a step's logs back from the trackers
        # whose names match them, and these must not shadow (or be shadowed by) fit's
        self.val_trackers = [keras.metrics.Mean(name=f"held_out_{n}") for n in VAL_LOGS]

    def test_step(self, data):
        """Score one batch of held-out days (nothing is trained): ``VAL_LOGS``."""
        import tensorflow as tf

        from tsgan.model.gan import discriminator_loss, generator_loss  # the game's losses

        x, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        curves, conditions = (
            (x[0], ops.cast(x[1], "float32")) if self.settings.condition_dim else (x, None)
        )
        curves = ops.cast(curves, "float32")
        packs = ops.shape(curves)[0] // self.settings.pac
        batch = packs * self.settings.pac  # whole packs for the critic
        curves = curves[:batch]
        conditions = None if conditions is None else conditions[:batch]
        real = self.transform.forward(curves)
        fake = self._fake(batch, conditions, training=False)
        d_real = self._critic(real, conditions, training=False)
        d_fake = self._critic(fake, conditions, training=False)
        d_loss = discriminator_loss(self.settings.loss, d_real, d_fake)
        if self.settings.loss == "wgan-gp":
            d_loss = d_loss + self.settings.gp_weight * self._gradient_penalty(
                real, fake, conditions, training=False
            )
        g_loss = generator_loss(self.settings.loss, d_fake)
        z = keras.random.normal((batch, self.settings.latent_dim), seed=self.seed_generator)
        noise = z if conditions is None else ops.concatenate([z, conditions], axis=-1)
        distance = energy_distance(curves, self(noise, training=False))
        values = (d_loss, g_loss, self._mean_verdict(d_real), self._mean_verdict(d_fake))
        weight = ops.cast(batch, "float32")
        for tracker, value in zip(self.val_trackers, (*values, distance), strict=True):
            value = ops.cast(value, "float32")
            # a batch smaller than one pack scores nothing (and must not make the means NaN)
            tracker.update_state(tf.where(batch > 0, value, 0.0), sample_weight=weight)
        return {name: t.result() for name, t in zip(VAL_LOGS, self.val_trackers, strict=True)}

    def evaluate(self, x=None, y=None, **kwargs):
        """``keras.Model.evaluate`` on held-out days: their mean scores (``VAL_LOGS``).

        ``x`` takes the forms ``fit`` takes (curves in EUR/MWh; a DataFrame indexed by
        delivery day, or a daily panel, for a conditional model).

        Example:
            >>> import tsgan
            >>> days = tsgan.daily_curves(tsgan.demo_prices("2024-01-01", "2024-03-31"))
            >>> gan = tsgan.PriceGAN(latent_dim=4, generator_units=(8,), discriminator_units=(8,))
            >>> _ = gan.fit(days[:60], epochs=1, verbose=0)
            >>> sorted(gan.evaluate(days[60:], verbose=0, return_dict=True))
            ['d_fake', 'd_loss', 'd_real', 'energy_distance', 'g_loss']
        """
        if not self.transform.is_adapted:
            raise RuntimeError("evaluate: the model is not trained yet; call fit first")
        if not self.compiled:
            self.compile()
        if not kwargs.get("_use_cached_eval_dataset"):  # fit's own call has its arrays
            x = self._held_out(x)
        self._evaluating = True
        try:
            return super().evaluate(x, y, **kwargs)
        finally:
            self._evaluating = False

    def _held_out(self, x):
        """Held-out days in the form ``fit`` takes, as the arrays the test step reads (a
        ``tf.data.Dataset`` as it is)."""
        if x is None or is_dataset(x):
            return x
        return self._training_arrays(x, adapt=False)


def is_dataset(x) -> bool:
    """Whether ``x`` is a ``tf.data.Dataset`` (without importing TensorFlow to ask)."""
    return type(x).__name__.endswith("Dataset")


def split_last(x, fraction: float):
    """``(training, held out)``: the last ``fraction`` of the days held out, as
    ``keras.Model.fit(validation_split=...)`` does (before any shuffling).

    Example:
        >>> a, b = split_last(np.zeros((10, 24)), 0.2)
        >>> a.shape, b.shape
        ((8, 24), (2, 24))
    """
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"validation_split must be between 0 and 1, not {fraction}")
    arrays = x if isinstance(x, tuple) else (x,)
    n = len(arrays[0])
    keep = int(np.floor(n * (1.0 - fraction)))
    if keep < 1 or keep == n:
        raise ValueError(
            f"validation_split={fraction} of {n} days leaves no days to train on or none "
            "to hold out"
        )
    first, last = tuple(a[:keep] for a in arrays), tuple(a[keep:] for a in arrays)
    return (first, last) if isinstance(x, tuple) else (first[0], last[0])
