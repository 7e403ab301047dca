"""The price transform: EUR/MWh ↔ the generator's space, one definition for NumPy and tensors.

Curves are centred on the per-hour median, divided by one robust scale (the interquartile
range / 1.349) and passed through ``asinh``: linear for ordinary prices, logarithmic in the
tails, so that −500 or 900 EUR/MWh hours do not squash ordinary days as a min–max scaling
would. A bound 10% beyond the most extreme training hour (in asinh terms) limits what the
generator can say: a ``tanh`` output is divided by it, a ``linear`` one clipped at it.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops


class PriceTransform:
    """The transform's four values, created as non-trainable weights of ``owner`` (so they
    are saved with the model), and the functions that use them.

    Every function takes ``xp``: ``keras.ops`` (the default: float32 tensors, inside
    ``train_step`` and sampling) or ``numpy`` (float64 arrays).

    Example:
        >>> layer = keras.layers.Layer()
        >>> t = PriceTransform(layer, n_steps=24, output_activation="tanh")
        >>> t.adapt(np.random.default_rng(0).normal(80, 30, (100, 24)))
        >>> x = np.full((1, 24), 95.0)
        >>> bool(np.allclose(t.inverse(t.forward(x, xp=np), xp=np), x))
        True
    """

    def __init__(self, owner: keras.layers.Layer, *, n_steps: int, output_activation: str):
        self.linear = output_activation == "linear"
        self.center = owner.add_weight(
            shape=(n_steps,), initializer="zeros", trainable=False, name="center"
        )
        self.scale = owner.add_weight(shape=(), initializer="ones", trainable=False, name="scale")
        self.bound = owner.add_weight(shape=(), initializer="ones", trainable=False, name="bound")
        self.adapted = owner.add_weight(
            shape=(), initializer="zeros", trainable=False, name="adapted"
        )

    def adapt(self, curves) -> None:
        """Fit the transform to training curves in EUR/MWh, shape ``(n_days, n_steps)``."""
        x = np.asarray(curves, dtype="float64")
        n_steps = int(self.center.shape[0])
        if x.ndim != 2 or x.shape[1] != n_steps or not len(x):
            raise ValueError(f"adapt needs curves of shape (n_days, {n_steps}), got {x.shape}")
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

    def values(self, xp=ops) -> tuple:
        """(center, scale, bound): the weights themselves, or float64 NumPy copies."""
        if xp is ops:
            return self.center, self.scale, self.bound
        return tuple(ops.convert_to_numpy(v).astype("float64") for v in self.values())

    def forward(self, curves, xp=ops):
        """EUR/MWh → the generator's space, shape ``(B, n_steps)``."""
        center, scale, bound = self.values(xp)
        curves = ops.cast(curves, "float32") if xp is ops else np.asarray(curves, "float64")
        asinh = xp.arcsinh((curves - center) / scale)
        return asinh if self.linear else asinh / bound

    def inverse(self, values, xp=ops):
        """The generator's space → EUR/MWh, within the bound.

        ``sinh(u) = (e^u − e^−u) / 2`` with one ``exp``: TensorFlow's ``sinh`` kernel is
        several times slower on CPU, and sampling spends its time here.
        """
        center, scale, bound = self.values(xp)
        asinh = xp.clip(values, -bound, bound) if self.linear else values * bound
        e = xp.exp(asinh)
        return (e - 1.0 / e) * (0.5 * scale) + center

    def encode_level(self, level, xp=ops):
        """Daily mean prices (EUR/MWh, shape (B, 1)) → the level condition: the curves'
        transform at the mean of the per-hour centres. :meth:`decode_level` inverts it."""
        center, scale, bound = self.values(xp)
        level = ops.cast(level, "float32") if xp is ops else np.asarray(level, "float64")
        return xp.arcsinh((level - xp.mean(center)) / scale) / bound

    def decode_level(self, encoded, xp=ops):
        """The level condition → daily mean prices in EUR/MWh, shape (B, 1)."""
        center, scale, bound = self.values(xp)
        return xp.sinh(encoded * bound) * scale + xp.mean(center)


def impose_level(curves, level, xp=ops):
    """Curves (EUR/MWh, (B, n)) shifted so that each day's mean price is its level (B, 1).

    Example:
        >>> impose_level(np.array([[1.0, 3.0]]), np.array([[10.0]]), xp=np).tolist()
        [[9.0, 11.0]]
    """
    return curves - xp.mean(curves, axis=-1, keepdims=True) + level
