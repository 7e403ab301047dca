"""The generator and the critic: small dense networks, their initial weights seeded per layer."""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np
from keras import layers


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
