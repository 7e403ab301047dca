"""Made the model files beside this script with tsgan 0.1.0 before the model package
(commit 8a4f087); kept so that the test of old model files is reproducible.

Run from the repository root: ``python tests/data/saved_v0_1/make.py``. The test
(tests/test_model.py::test_model_files_saved_by_0_1_load_and_generate_the_same) loads each
``.keras`` file and compares its curves with ``expected.npz``.
"""

from pathlib import Path

import numpy as np

import tsgan
from tests.conftest import two_shape_curves

HERE = Path(__file__).parent
TINY = {"latent_dim": 4, "generator_units": (8,), "discriminator_units": (8,)}
MODELS = {
    "plain": {},
    "level": {"condition": "calendar+level", "country": "DE"},
    "linear_bn": {
        "output_activation": "linear",
        "batch_norm": True,
        "pac": 2,
        "dropout": 0.1,
        "loss": "bce",
        "ema": None,
        "timezone": "Europe/Paris",
    },
}
DATES = ["2024-12-24", "2025-03-30", "2025-07-05"]
LEVELS = [95.0, 40.0, -5.0]


def main() -> None:
    curves = two_shape_curves(64)
    expected = {}
    for name, settings in MODELS.items():
        gan = tsgan.PriceGAN(**TINY, seed=3, **settings)
        gan.compile()
        gan.fit(curves, epochs=3, batch_size=16, verbose=0)
        gan.save(HERE / f"{name}.keras")
        if gan.condition is None:
            expected[name] = gan.generate(20, seed=7)
        else:
            frame = tsgan.sample_scenarios(gan, DATES, n_per_day=5, levels=LEVELS, seed=7)
            expected[name] = frame[tsgan.hour_columns()].to_numpy()
    np.savez(HERE / "expected.npz", **expected)


if __name__ == "__main__":
    main()
