"""tsgan: GANs for daily day-ahead electricity price curves."""

import importlib
import importlib.abc
import importlib.util
import sys
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _version
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # what type checkers and IDEs see; at run time each loads on first use
    from tsgan.animation.callback import TrainingAnimation
    from tsgan.animation.renderer import render_animation
    from tsgan.callbacks import EpochProgress
    from tsgan.data import (
        DataError,
        NetworkError,
        calendar_features,
        daily_curves,
        daily_panel,
        demo_prices,
        fetch_prices,
        hour_columns,
        load_inputs,
        load_prices,
    )
    from tsgan.evaluation import evaluate_generator
    from tsgan.model import PriceGAN, load_model
    from tsgan.model.sampling import delivery_intervals, sample_scenarios
    from tsgan.plotting import evaluation_figures
    from tsgan.settings import ModelSettings, TrainConfig, default_epochs

# Everything loads on first use: ``import tsgan`` costs milliseconds, the data layer (pandas,
# holidays) comes with the first data function, TensorFlow with the first model, and the
# animation's drawing process (``python -m tsgan.animation.process``) imports neither.
_LAZY = {
    "DataError": "tsgan.data",
    "NetworkError": "tsgan.data",
    "calendar_features": "tsgan.data",
    "ModelSettings": "tsgan.settings",
    "TrainConfig": "tsgan.settings",
    "default_epochs": "tsgan.settings",
    "daily_curves": "tsgan.data",
    "daily_panel": "tsgan.data",
    "load_inputs": "tsgan.data",
    "demo_prices": "tsgan.data",
    "fetch_prices": "tsgan.data",
    "hour_columns": "tsgan.data",
    "load_prices": "tsgan.data",
    "delivery_intervals": "tsgan.model.sampling",
    "sample_scenarios": "tsgan.model.sampling",
    "PriceGAN": "tsgan.model",
    "load_model": "tsgan.model",
    "TrainingAnimation": "tsgan.animation.callback",
    "EpochProgress": "tsgan.callbacks",
    "render_animation": "tsgan.animation.renderer",
    "evaluate_generator": "tsgan.evaluation",  # scipy: loaded on first use
    "evaluate": "tsgan.evaluation",  # deprecated alias of evaluate_generator
    "evaluation_figures": "tsgan.plotting",
}


def __getattr__(name: str):
    """Import each part on first use (see ``_LAZY``)."""
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'tsgan' has no attribute {name!r}")


def __dir__() -> list[str]:
    """The public names only (``__all__``), as ``from tsgan import *`` gives them."""
    return sorted(__all__)


class _RegisterWithKeras(importlib.abc.MetaPathFinder):
    """Register tsgan's Keras classes as soon as Keras is imported.

    ``keras.models.load_model`` finds a custom class only once its module has run, and
    ``import tsgan`` does not import Keras (the data layer works without TensorFlow). So
    ``import tsgan, keras; keras.models.load_model("model.keras")`` works, this finder
    runs ``tsgan.model`` right after ``keras`` itself has been imported.
    """

    def find_spec(self, name, path=None, target=None):
        if name != "keras":
            return None
        sys.meta_path.remove(self)  # once; and find the real spec without this finder
        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None:
            return spec
        run = spec.loader.exec_module

        def run_and_register(module) -> None:
            from tsgan.startup import quiet_stderr, wants_tensorflow_logs

            if wants_tensorflow_logs():
                run(module)
            else:
                with quiet_stderr():  # TensorFlow's start-up chatter (see tsgan.startup)
                    run(module)
            importlib.import_module("tsgan.model")

        spec.loader.exec_module = run_and_register
        return spec


if "keras" in sys.modules:
    importlib.import_module("tsgan.model")
elif not any(isinstance(f, _RegisterWithKeras) for f in sys.meta_path):
    sys.meta_path.insert(0, _RegisterWithKeras())


try:
    __version__ = _version("tsgan")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

__all__ = [
    "DataError",
    "EpochProgress",
    "ModelSettings",
    "NetworkError",
    "PriceGAN",
    "TrainConfig",
    "TrainingAnimation",
    "__version__",
    "calendar_features",
    "daily_curves",
    "daily_panel",
    "default_epochs",
    "delivery_intervals",
    "demo_prices",
    "evaluate_generator",
    "evaluation_figures",
    "fetch_prices",
    "hour_columns",
    "load_inputs",
    "load_model",
    "load_prices",
    "render_animation",
    "sample_scenarios",
]
