"""The model: PriceGAN (the game), its networks, price transform, conditions, fused epoch,
sampling and saving, one module each."""

from tsgan.startup import import_tensorflow

import_tensorflow()  # before Keras: TensorFlow's start-up chatter kept out of the way

# ruff: noqa: E402

from tsgan.model.gan import LOGS, PriceGAN, discriminator_loss, generator_loss
from tsgan.model.networks import build_discriminator, build_generator
from tsgan.model.sampling import (
    day_generator,
    delivery_intervals,
    parse_dates,
    sample_scenarios,
    scenario_array,
)
from tsgan.model.saving import load_model

__all__ = [
    "LOGS",
    "PriceGAN",
    "build_discriminator",
    "build_generator",
    "day_generator",
    "delivery_intervals",
    "discriminator_loss",
    "generator_loss",
    "load_model",
    "parse_dates",
    "sample_scenarios",
    "scenario_array",
]
