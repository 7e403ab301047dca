"""PriceGAN: shapes, the adversarial step, saving, determinism, distribution, learning."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings

import keras
import numpy as np
import pytest

from tsgan import PriceGAN

from .conftest import ROOT, two_shape_curves

TINY = {"latent_dim": 4, "generator_units": (16,), "discriminator_units": (16,)}


def tiny(**kw) -> PriceGAN:
    gan = PriceGAN(**(TINY | kw))
    gan.compile()
    return gan


def seeded(**kw) -> PriceGAN:
    """``tiny`` with Keras' global seed set first (dropout layers draw their seeds from it)."""
    keras.utils.set_random_seed(0)
    return tiny(**kw)


def weights(model: keras.Model, trainable_only: bool = False) -> list[np.ndarray]:
    ws = model.trainable_weights if trainable_only else model.weights
    return [keras.ops.convert_to_numpy(w).copy() for w in ws]


@pytest.mark.slow
@pytest.mark.parametrize("loss", ["bce", "wgan-gp"])
def test_fit_tracks_finite_losses(curves, loss):
    gan = tiny(loss=loss, d_steps=2)
    history = gan.fit(curves, epochs=2, batch_size=32, verbose=0)
    assert set(history.history) == {"d_loss", "g_loss", "d_real", "d_fake"}
    for key, values in history.history.items():
        assert len(values) == 2 and np.isfinite(values).all(), key
    if loss == "bce":
        assert all(0 < v < 1 for v in history.history["d_real"] + history.history["d_fake"])


@pytest.mark.slow
def test_shapes_and_units(curves):
    gan = tiny(pac=2)
    gan.fit(curves, epochs=1, batch_size=32, verbose=0)
    out = gan.generate(7, seed=0, as_frame=False)
    assert out.shape == (7, 24) and out.dtype == np.float64
    assert gan.generator.output_shape == (None, 24)
    assert gan.discriminator.input_shape == (None, 48)  # pac=2
    assert 0 < out.mean() < 150  # EUR/MWh, not the generator's (-1, 1)
    q = PriceGAN(n_steps=96, **TINY)
    q.adapt(np.repeat(curves.to_numpy(), 4, axis=1))
    assert q.generate(3, seed=0).shape == (3, 96)


@pytest.mark.parametrize("output", ["linear", "tanh"])
def test_transform_round_trip_and_heavy_tails(output):
    rng = np.random.default_rng(0)
    x = rng.normal(80, 30, (400, 24))
    x[0, 13], x[1, 19] = -500.0, 900.0
    gan = PriceGAN(**TINY, output_activation=output)
    gan.adapt(x)
    unit = np.asarray(gan.transform.forward(x))
    bound = float(keras.ops.convert_to_numpy(gan.transform.bound))
    # 10% headroom beyond the most extreme hour (tanh: inside its range)
    assert np.abs(unit).max() * 1.1 == pytest.approx(1.0 if output == "tanh" else bound, rel=1e-5)
    np.testing.assert_allclose(gan.transform.inverse(unit, xp=np), x, rtol=1e-4, atol=1e-2)
    ordinary = unit[2:]
    assert ordinary.std() > 0.1 * np.abs(unit).max()  # extremes do not squash ordinary days
    # whatever the generator says, prices stay within the bound: 10% beyond 900 in asinh terms
    far = np.full((1, 24), 50.0 if output == "linear" else 0.999999)
    highest = gan.transform.inverse(far, xp=np).max()
    assert np.isfinite(highest) and 900 < highest < 3000
    eur = keras.ops.convert_to_numpy(
        gan.transform.inverse(keras.ops.convert_to_tensor(far, "float32"))
    )
    np.testing.assert_allclose(eur, gan.transform.inverse(far, xp=np), rtol=1e-4)


@pytest.mark.slow
def test_a_linear_output_model_trains_generates_within_the_bound_and_reloads(curves, tmp_path):
    gan = PriceGAN(**TINY, output_activation="linear")
    gan.compile()
    gan.fit(curves, epochs=2, batch_size=32, verbose=0)
    out = gan.generate(2000, seed=3, as_frame=False)
    bound = float(keras.ops.convert_to_numpy(gan.transform.bound))
    assert np.isfinite(out).all()
    assert np.abs(np.asarray(gan.transform.forward(out))).max() <= bound * (1 + 1e-5)
    gan.save(tmp_path / "linear.keras")
    loaded = keras.models.load_model(tmp_path / "linear.keras")
    assert loaded.settings.output_activation == "linear"
    # the same call as before saving (a different n can change the last bit of a few
    # values: the matrix products are blocked by the number of rows)
    np.testing.assert_array_equal(loaded.generate(2000, seed=3), out)


def test_a_model_saved_before_output_activation_existed_loads_with_tanh():
    config = PriceGAN(**TINY, output_activation="tanh").get_config()
    del config["output_activation"]  # older model files: their generator ended in tanh
    assert PriceGAN.from_config(config).settings.output_activation == "tanh"
    assert PriceGAN(**TINY).settings.output_activation == "tanh"
    with pytest.raises(ValueError, match="output_activation must be one of"):
        PriceGAN(**TINY, output_activation="relu")


@pytest.mark.slow
def test_a_model_saved_before_batch_norm_existed_loads_with_it(tmp_path, curves):
    def norms(gan):
        return [type(layer).__name__ for layer in gan.generator.layers].count("BatchNormalization")

    assert norms(PriceGAN(**TINY)) == 0  # the default: Dense → ReLU blocks
    config = PriceGAN(**TINY, batch_norm=True).get_config()
    del config["batch_norm"]  # older model files: their generator had batch normalisation
    old = PriceGAN.from_config(config)
    assert old.settings.batch_norm and norms(old) == len(TINY["generator_units"])
    old.compile()
    old.fit(curves, epochs=1, batch_size=32, verbose=0)
    old.save(tmp_path / "old.keras")
    loaded = keras.models.load_model(tmp_path / "old.keras")
    assert loaded.settings.batch_norm
    np.testing.assert_array_equal(loaded.generate(20, seed=1), old.generate(20, seed=1))


def test_discriminator_step_leaves_generator_and_vice_versa(curves):
    gan = tiny(dropout=0.5, loss="bce")
    gan.adapt(curves.to_numpy())
    real = gan.transform.forward(curves.to_numpy()[:32])
    gan.generator_step(32)  # build the optimizers
    gan.discriminator_step(real)
    g_before, d_before = weights(gan.generator, True), weights(gan.discriminator)
    gan.discriminator_step(real)
    assert all(
        np.array_equal(a, b) for a, b in zip(g_before, weights(gan.generator, True), strict=True)
    )
    assert not all(
        np.array_equal(a, b) for a, b in zip(d_before, weights(gan.discriminator), strict=True)
    )
    g_before, d_before = weights(gan.generator, True), weights(gan.discriminator)
    gan.generator_step(32)
    assert all(
        np.array_equal(a, b) for a, b in zip(d_before, weights(gan.discriminator), strict=True)
    )
    assert not all(
        np.array_equal(a, b) for a, b in zip(g_before, weights(gan.generator, True), strict=True)
    )


def test_wgan_gp_gradient_norm_at_zero_is_finite(curves):
    gan = tiny(loss="wgan-gp")
    gan.adapt(curves.to_numpy())
    for w in gan.discriminator.weights:  # a constant critic: its input gradient is exactly 0
        w.assign(np.zeros(w.shape))
    real = gan.transform.forward(curves.to_numpy()[:32])
    gan.generator_step(32)
    d_loss, _, _ = gan.discriminator_step(real)
    assert np.isfinite(float(d_loss)) and float(d_loss) == pytest.approx(
        gan.settings.gp_weight, rel=1e-3
    )
    assert all(np.isfinite(w).all() for w in weights(gan.discriminator))


@pytest.mark.slow
def test_generate_is_deterministic_by_seed(curves):
    gan = tiny()
    gan.fit(curves, epochs=1, batch_size=32, verbose=0)
    np.testing.assert_array_equal(gan.generate(20, seed=5), gan.generate(20, seed=5))
    assert not np.array_equal(gan.generate(20, seed=5), gan.generate(20, seed=6))
    assert not np.array_equal(gan.generate(20), gan.generate(20))  # no seed: the stream moves on
    # the same noise whatever the batch size (float32 kernels may differ in the last bits)
    np.testing.assert_allclose(
        gan.generate(20, seed=5, batch_size=7), gan.generate(20, seed=5), rtol=1e-5
    )


@pytest.mark.slow
def test_save_load_generate_and_continue(curves, tmp_path):
    gan = tiny(ema=0.9, pac=2, loss="bce")
    gan.compile(steps_per_execution=2, jit_compile=False)
    gan.fit(curves, epochs=2, batch_size=32, verbose=0)
    path = tmp_path / "model.keras"
    gan.save(path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        loaded = keras.models.load_model(path)  # safe mode
    # Keras' own convert_to_numpy calls np.array(variable) and numpy 2 deprecates that
    # __array__ signature: a third-party DeprecationWarning, the only one allowed here.
    unexplained = [
        str(w.message)
        for w in caught
        if not (issubclass(w.category, DeprecationWarning) and "copy keyword" in str(w.message))
    ]
    assert unexplained == []
    assert isinstance(loaded, PriceGAN) and loaded.settings.ema == 0.9 and loaded.settings.pac == 2
    np.testing.assert_array_equal(loaded.generate(50, seed=11), gan.generate(50, seed=11))
    for name in ("center", "scale", "bound"):
        np.testing.assert_array_equal(
            keras.ops.convert_to_numpy(getattr(loaded.transform, name)),
            keras.ops.convert_to_numpy(getattr(gan.transform, name)),
        )
    assert loaded.get_compile_config()["steps_per_execution"] == 2
    assert int(loaded.g_optimizer.iterations) == int(gan.g_optimizer.iterations) > 0
    history = loaded.fit(curves, epochs=1, batch_size=32, verbose=0)
    assert np.isfinite(history.history["g_loss"]).all()
    assert int(loaded.g_optimizer.iterations) > int(gan.g_optimizer.iterations)


@pytest.mark.slow
def test_keras_load_model_in_a_fresh_process_after_import_tsgan(curves, tmp_path):
    gan = tiny()
    gan.fit(curves, epochs=1, batch_size=32, verbose=0)
    gan.save(tmp_path / "model.keras")
    script = (
        "import sys, tsgan\n"
        "assert 'tensorflow' not in sys.modules  # the data layer loads without TensorFlow\n"
        "import keras\n"  # tsgan registers its classes when Keras is imported
        f"gan = keras.models.load_model({str(tmp_path / 'model.keras')!r})\n"
        "print(type(gan).__name__, gan.generate(3, seed=0).shape)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split() == ["PriceGAN", "(3,", "24)"]


@pytest.mark.slow
@pytest.mark.parametrize("loss", ["bce", "wgan-gp"])
def test_fused_epochs_compute_what_per_batch_steps_compute(curves, loss):
    """The fast path (one compiled call per epoch) against plain per-batch ``train_step``.

    Same seed, same starting weights, the same batches in the same order (100 days in
    batches of 32: three full batches and a last one of 4), pac 2 and dropout on: the losses
    of every epoch and all the weights afterwards agree to float32 rounding.
    """
    import tensorflow as tf

    days = curves.to_numpy()[:100].astype("float32")
    fused, plain = (seeded(loss=loss, seed=7, pac=2, dropout=0.1) for _ in range(2))
    for gan in (fused, plain):
        gan.adapt(days)
    plain.set_weights(fused.get_weights())  # the seed does not (yet) fix the initial weights
    per_batch = tf.data.Dataset.from_tensor_slices(days).batch(32)
    fast = fused.fit(days, epochs=3, batch_size=32, shuffle=False, verbose=0)
    slow = plain.fit(per_batch, epochs=3, shuffle=False, verbose=0)
    assert fused._epoch_plan == (100, 32, False) and plain._epoch_plan is None
    for key in ("d_loss", "g_loss", "d_real", "d_fake"):
        np.testing.assert_allclose(fast.history[key], slow.history[key], rtol=1e-6, err_msg=key)
    assert int(fused.d_optimizer.iterations) == int(plain.d_optimizer.iterations) == 3 * 4 * 2
    for a, b in zip(weights(fused), weights(plain), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


@pytest.mark.slow
def test_fused_epochs_shuffle_reproducibly(curves):
    """With shuffle (the default) each epoch takes another order, the same for the same seed."""
    days = curves.to_numpy()[:96]
    runs = [tiny(seed=1) for _ in range(3)]
    for gan in runs:
        gan.adapt(days)
        gan.set_weights(runs[0].get_weights())
    kept = runs[0].fit(days, epochs=2, batch_size=32, shuffle=False, verbose=0).history
    first = runs[1].fit(days, epochs=2, batch_size=32, verbose=0).history
    second = runs[2].fit(days, epochs=2, batch_size=32, verbose=0).history
    assert first == second
    assert not np.allclose(kept["d_loss"], first["d_loss"])


@pytest.mark.slow
def test_conditional_inputs(curves):
    cond = np.eye(2)[np.asarray(curves.attrs["weekend"], dtype=int)]  # (N, 2) one-hot
    gan = tiny(condition_dim=2)
    gan.fit((curves.to_numpy(), cond), epochs=1, batch_size=32, verbose=0)
    assert gan.generate(4, seed=0, conditions=np.eye(2)[[0, 0, 1, 1]]).shape == (4, 24)
    with pytest.raises(ValueError, match="needs conditions"):
        gan.generate(4)


def test_bad_hyperparameters():
    with pytest.raises(ValueError, match="loss must be one of"):
        PriceGAN(loss="hinge")
    with pytest.raises(RuntimeError, match="price transform is not fitted"):
        PriceGAN(**TINY).generate(2)


def test_clear_error_without_tensorflow_backend(monkeypatch):
    monkeypatch.setattr(keras.backend, "backend", lambda: "jax")
    with pytest.raises(
        RuntimeError, match="PriceGAN needs the TensorFlow backend, but Keras runs on 'jax'"
    ):
        PriceGAN(**TINY)


MIRRORED = """
import json, sys
import numpy as np, tensorflow as tf, keras
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
sys.path.insert(0, {root!r})
from tests.conftest import two_shape_curves
from tsgan import PriceGAN
curves = two_shape_curves(256).to_numpy()
out = {{}}
for name, strategy in [("single", tf.distribute.get_strategy()),
                       ("mirrored", tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"]))]:
    keras.utils.set_random_seed(0)
    with strategy.scope():
        gan = PriceGAN(latent_dim=4, generator_units=(16,), discriminator_units=(16,), seed=0)
        gan.compile()
    h = gan.fit(curves, epochs=2, batch_size=64, verbose=0, shuffle=False)
    out[name] = {{"replicas": strategy.num_replicas_in_sync, **h.history}}
print(json.dumps(out))
"""


@pytest.mark.slow
def test_mirrored_strategy_matches_single_device():
    proc = subprocess.run(
        [sys.executable, "-c", MIRRORED.format(root=str(ROOT))],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["mirrored"]["replicas"] == 2
    for key in ("d_loss", "g_loss", "d_real", "d_fake"):
        single, mirrored = np.array(out["single"][key]), np.array(out["mirrored"][key])
        assert np.isfinite(mirrored).all()
        np.testing.assert_allclose(mirrored, single, atol=0.15, err_msg=key)


# --------------------------------------------------------------------------- learning


def shape_mix(generated: np.ndarray, curves) -> tuple[float, float]:
    """Share of generated curves nearer the weekend shape, and RMSE of the mean profile."""
    weekday, weekend = curves.attrs["shapes"]
    centred = generated - generated.mean(axis=1, keepdims=True)
    d_weekday = ((centred - (weekday - weekday.mean())) ** 2).mean(axis=1)
    d_weekend = ((centred - (weekend - weekend.mean())) ** 2).mean(axis=1)
    share = float((d_weekend < d_weekday).mean())
    rmse = float(np.sqrt(((generated.mean(axis=0) - curves.to_numpy().mean(axis=0)) ** 2).mean()))
    return share, rmse


SHARE_TOLERANCE = 0.10  # absolute, on a real weekend share of about 0.3
PROFILE_TOLERANCE = 6.0  # EUR/MWh RMSE of the mean profile, on curves of 40-100 EUR/MWh


def learned_both_shapes(generated: np.ndarray, curves) -> bool:
    share, rmse = shape_mix(generated, curves)
    real_share = float(np.mean(curves.attrs["weekend"]))
    return abs(share - real_share) < SHARE_TOLERANCE and rmse < PROFILE_TOLERANCE


def test_learning_check_rejects_a_collapsed_generator():
    curves = two_shape_curves(512)
    weekday, weekend = curves.attrs["shapes"]
    rng = np.random.default_rng(1)
    collapsed = weekday + rng.normal(0, 3, (1000, 24))
    assert not learned_both_shapes(collapsed, curves)
    assert not learned_both_shapes(weekend + rng.normal(0, 3, (1000, 24)), curves)
    assert learned_both_shapes(two_shape_curves(1000, seed=9).to_numpy(), curves)


@pytest.mark.slow
def test_learns_two_daily_shapes():
    """1,280 quick steps: both shapes in about the right proportions, mean profile close.

    (320 steps were enough with 2e-4 for the generator; at WGAN-GP's 1e-4 the weekend share
    was 0.14–0.26 after 320 steps and 0.22–0.23 after 1,280, for seeds 1–3; real: 0.29.)"""
    keras.utils.set_random_seed(0)
    curves = two_shape_curves(512)
    gan = PriceGAN(latent_dim=8, generator_units=(64, 64), discriminator_units=(64, 64), seed=1)
    gan.compile()
    gan.fit(curves, epochs=160, batch_size=64, verbose=0)
    generated = gan.generate(2000, seed=0, as_frame=False)
    share, rmse = shape_mix(generated, curves)
    assert learned_both_shapes(generated, curves), (
        f"weekend share {share:.3f}, profile RMSE {rmse:.2f}"
    )


def test_each_model_setting_is_defined_once_and_saved_with_the_model(tmp_path):
    """ModelSettings is the model's config: get_config holds its fields, a saved model loads
    them back, and a run's config.toml carries every one that is not from the data."""
    import dataclasses

    from tsgan.settings import ModelSettings, TrainConfig

    names = {f.name for f in dataclasses.fields(ModelSettings)}
    settings = ModelSettings(latent_dim=5, generator_units=(7,), pac=2, condition="calendar")
    gan = PriceGAN(settings)
    assert names <= set(gan.get_config()) and gan.settings == settings
    assert PriceGAN.from_config(gan.get_config()).settings == settings
    gan.adapt(two_shape_curves(40).to_numpy())
    gan.save(tmp_path / "m.keras")
    assert keras.models.load_model(tmp_path / "m.keras").settings == settings
    config = TrainConfig(demo=True, out="x", model=dataclasses.replace(settings, n_steps=24))
    assert TrainConfig.from_toml(config.to_toml()).model == config.model
    with pytest.raises(ValueError, match="give ModelSettings or its fields"):
        PriceGAN(settings, latent_dim=3)


def test_fit_rejects_non_finite_curves_after_adapt(curves):
    gan = tiny(condition_dim=2)
    gan.adapt(curves.to_numpy())  # the transform is fitted: fit must still look at the data
    bad = curves.to_numpy().copy()
    bad[3, 4] = np.nan
    conditions = np.zeros((len(bad), 2), dtype="float32")
    with pytest.raises(ValueError, match="NaN or infinite"):
        gan.fit((bad, conditions), epochs=1, verbose=0)
    conditions[0, 0] = np.inf
    with pytest.raises(ValueError, match="NaN or infinite"):
        gan.fit((curves.to_numpy(), conditions), epochs=1, verbose=0)


@pytest.mark.slow
def test_a_seed_makes_the_whole_model_reproducible(curves):
    """No keras.utils.set_random_seed: the seed alone fixes weights, dropout and noise."""

    def trained(seed):
        gan = PriceGAN(**TINY, seed=seed, dropout=0.1)
        gan.compile()
        gan.fit(curves, epochs=2, batch_size=32, verbose=0)
        return gan

    a, b, c = trained(3), trained(3), trained(4)
    for u, v in zip(a.weights, b.weights, strict=True):
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(u), keras.ops.convert_to_numpy(v))
    np.testing.assert_array_equal(a.generate(20, seed=0), b.generate(20, seed=0))
    assert not np.allclose(a.generate(20, seed=0), c.generate(20, seed=0))


@pytest.mark.slow
def test_predict_and_call_give_prices_in_eur_per_mwh(curves):
    gan = tiny(ema=0.9)
    gan.fit(curves, epochs=2, batch_size=32, verbose=0)
    noise = keras.random.normal((50, TINY["latent_dim"]), seed=7)
    expected = gan.generate(50, seed=7, as_frame=False)
    np.testing.assert_allclose(gan.predict(noise, verbose=0), expected, rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(gan(noise)), expected, rtol=1e-4, atol=1e-3
    )
    assert 0 < expected.mean() < 150  # EUR/MWh, not the generator's (-1, 1)

    level = PriceGAN(**TINY, condition="calendar+level")
    level.compile()
    level.fit(curves, epochs=1, batch_size=32, verbose=0)
    conditions = level.encode_conditions(["2024-07-07", "2024-01-15"], [12.5, 140.0])
    z = keras.ops.convert_to_numpy(keras.random.normal((2, TINY["latent_dim"]), seed=1))
    prices = level.predict(np.concatenate([z, conditions], axis=1), verbose=0)
    np.testing.assert_allclose(prices.mean(axis=1), [12.5, 140.0], rtol=1e-4)


@pytest.mark.slow
def test_default_optimizers_take_the_learning_rates_of_their_loss(tmp_path):
    """WGAN-GP's critic learns four times as fast as its generator; BCE's two share a rate,
    and a saved model comes back with the rates it was trained with."""
    from tsgan.settings import LEARNING_RATES

    assert LEARNING_RATES == {"wgan-gp": (4e-4, 1e-4), "bce": (2e-4, 2e-4)}
    for loss, (d_rate, g_rate) in LEARNING_RATES.items():
        gan = tiny(loss=loss)
        gan.fit(np.random.default_rng(0).normal(50, 10, (40, 24)), epochs=1, verbose=0)
        gan.save(tmp_path / f"{loss}.keras")
        back = keras.saving.load_model(tmp_path / f"{loss}.keras")
        for model in (gan, back):
            rates = (model.d_optimizer.learning_rate, model.g_optimizer.learning_rate)
            assert np.allclose([float(r) for r in rates], (d_rate, g_rate))


SAVED_V0_1 = ROOT / "tests" / "data" / "saved_v0_1"


@pytest.mark.slow
@pytest.mark.parametrize("name", ["plain", "level", "linear_bn"])
def test_model_files_saved_by_0_1_load_and_generate_the_same(name):
    """Model files written by tsgan 0.1.0 (tests/data/saved_v0_1/make.py) load, keep their
    settings, generate the curves they generated then, and train on."""
    import tsgan

    gan = tsgan.load_model(SAVED_V0_1 / f"{name}.keras")
    expected = np.load(SAVED_V0_1 / "expected.npz")[name]
    if name == "level":
        frame = tsgan.sample_scenarios(
            gan,
            ["2024-12-24", "2025-03-30", "2025-07-05"],
            n_per_day=5,
            levels=[95.0, 40.0, -5.0],
            seed=7,
        )
        got = frame[tsgan.hour_columns()].to_numpy()
        np.testing.assert_allclose(
            got.reshape(3, 5, 24).mean(axis=2).mean(axis=1), [95, 40, -5], atol=1e-4
        )
    else:
        got = gan.generate(20, seed=7)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-3)
    gan.fit(two_shape_curves(64), epochs=1, batch_size=16, verbose=0)  # and trains on
