"""Saving and loading a PriceGAN: its settings as the Keras config, the training noise's
state beside the weights, both optimizers as the compile config."""

from __future__ import annotations

import zipfile

import keras

_NOISE_STATE = "noise_state"


class Saving:
    """What ``model.save`` and ``keras.models.load_model`` need of :class:`PriceGAN`.

    The config is the model's :class:`~tsgan.settings.ModelSettings`, so loading is
    ``PriceGAN(**saved)``. The training noise's random state is saved with the weights, so
    that a run resumed from a saved model continues as the uninterrupted run would (Keras
    saves a layer's weights, not the state of its seed generators).
    """

    def save_own_variables(self, store) -> None:
        super().save_own_variables(store)
        store[_NOISE_STATE] = self.seed_generator.state

    def load_own_variables(self, store) -> None:
        keys = list(store.keys())
        super().load_own_variables({k: store[k] for k in keys if k != _NOISE_STATE})
        if _NOISE_STATE in keys:  # absent in the oldest model files
            self.seed_generator.state.assign(store[_NOISE_STATE])

    def get_config(self) -> dict:
        return {**super().get_config(), **self.settings.to_dict()}

    @classmethod
    def from_config(cls, config: dict):
        # model files saved before batch_norm was a setting had batch normalisation
        return cls(**{"batch_norm": True, **config})

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


def load_model(path):
    """Load a saved :class:`~tsgan.PriceGAN` (``.keras``), its transform and conditions
    included: ``keras.models.load_model`` (safe mode on) with one clear line for a file
    that is not a saved PriceGAN.

    Raises:
        ValueError: a missing, truncated or foreign file, or another Keras model.

    Example:
        >>> gan = load_model("runs/demo/model.keras")  # doctest: +SKIP
    """
    from tsgan.model.gan import PriceGAN

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
