"""The textbook Keras GAN loop, as keras.io teaches it, for the speed benchmark.

Two references, each a ``keras.Model`` with a custom ``train_step`` that ``fit`` calls once
per batch of a shuffled, batched ``tf.data.Dataset``, compiled with the default settings:

- ``BCEReference``: the non-saturating BCE game of keras.io's "DCGAN overriding
  ``Model.train_step``" (discriminator on real and generated batches, then the generator
  with "misleading" labels), with ``d_steps`` discriminator updates per generator update.
- ``WGANGPReference``: keras.io's "WGAN-GP overriding ``Model.train_step``" (``d_steps``
  critic updates with the gradient penalty of interpolated samples, then one generator
  update).

Both use tsgan's own networks (``build_generator`` / ``build_discriminator`` at tsgan's
default sizes), its optimizers (Adam, β1 0.5, tsgan's learning rates) and its critic settings, and train on
curves already mapped to tsgan's (−1, 1) space, so that the work per batch is the same
as ``PriceGAN``'s (which also keeps an EMA of the generator; the references do not).
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from tsgan.model import build_discriminator, build_generator
from tsgan.settings import LEARNING_RATES


class _Reference(keras.Model):
    def __init__(self, *, n_steps=24, latent_dim=32, units=(128, 128), d_steps=2):
        super().__init__()
        self.latent_dim = latent_dim
        self.d_steps = d_steps
        self.generator = build_generator(n_steps, latent_dim, units, residual=True)
        self.discriminator = build_discriminator(n_steps, units, dropout=0.0)
        self.seed_generator = keras.random.SeedGenerator(1337)

    def compile(self):
        super().compile()
        d_rate, g_rate = LEARNING_RATES[self.game]
        self.d_optimizer = keras.optimizers.Adam(d_rate, beta_1=0.5)
        self.g_optimizer = keras.optimizers.Adam(g_rate, beta_1=0.5)
        self.d_loss_metric = keras.metrics.Mean(name="d_loss")
        self.g_loss_metric = keras.metrics.Mean(name="g_loss")

    @property
    def metrics(self):
        return [self.d_loss_metric, self.g_loss_metric]


class BCEReference(_Reference):
    """keras.io's DCGAN ``train_step`` (label noise included), ``d_steps`` D updates."""

    game = "bce"  # the learning rates are tsgan's for this loss
    loss_fn = keras.losses.BinaryCrossentropy(from_logits=True)

    def train_step(self, real_images):
        batch_size = tf.shape(real_images)[0]
        for _ in range(self.d_steps):
            random_latent_vectors = keras.random.normal(
                shape=(batch_size, self.latent_dim), seed=self.seed_generator
            )
            generated_images = self.generator(random_latent_vectors, training=True)
            combined_images = tf.concat([generated_images, real_images], axis=0)
            labels = tf.concat([tf.zeros((batch_size, 1)), tf.ones((batch_size, 1))], axis=0)
            labels += 0.05 * tf.random.uniform(tf.shape(labels))  # keras.io's label noise
            with tf.GradientTape() as tape:
                predictions = self.discriminator(combined_images, training=True)
                d_loss = self.loss_fn(labels, predictions)
            grads = tape.gradient(d_loss, self.discriminator.trainable_weights)
            self.d_optimizer.apply_gradients(
                zip(grads, self.discriminator.trainable_weights, strict=True)
            )

        random_latent_vectors = keras.random.normal(
            shape=(batch_size, self.latent_dim), seed=self.seed_generator
        )
        misleading_labels = tf.ones((batch_size, 1))
        with tf.GradientTape() as tape:
            predictions = self.discriminator(
                self.generator(random_latent_vectors, training=True), training=True
            )
            g_loss = self.loss_fn(misleading_labels, predictions)
        grads = tape.gradient(g_loss, self.generator.trainable_weights)
        self.g_optimizer.apply_gradients(zip(grads, self.generator.trainable_weights, strict=True))

        self.d_loss_metric.update_state(d_loss)
        self.g_loss_metric.update_state(g_loss)
        return {"d_loss": self.d_loss_metric.result(), "g_loss": self.g_loss_metric.result()}


class WGANGPReference(_Reference):
    """keras.io's WGAN-GP ``train_step`` (``d_steps`` critic updates, GP weight 10)."""

    game = "wgan-gp"
    gp_weight = 10.0

    def gradient_penalty(self, batch_size, real_images, fake_images):
        alpha = tf.random.uniform([batch_size, 1], 0.0, 1.0)
        diff = fake_images - real_images
        interpolated = real_images + alpha * diff
        with tf.GradientTape() as gp_tape:
            gp_tape.watch(interpolated)
            pred = self.discriminator(interpolated, training=True)
        grads = gp_tape.gradient(pred, [interpolated])[0]
        norm = tf.sqrt(tf.reduce_sum(tf.square(grads), axis=[1]))
        return tf.reduce_mean((norm - 1.0) ** 2)

    def train_step(self, real_images):
        batch_size = tf.shape(real_images)[0]
        for _ in range(self.d_steps):
            random_latent_vectors = tf.random.normal(shape=(batch_size, self.latent_dim))
            with tf.GradientTape() as tape:
                fake_images = self.generator(random_latent_vectors, training=True)
                fake_logits = self.discriminator(fake_images, training=True)
                real_logits = self.discriminator(real_images, training=True)
                d_cost = tf.reduce_mean(fake_logits) - tf.reduce_mean(real_logits)
                gp = self.gradient_penalty(batch_size, real_images, fake_images)
                d_loss = d_cost + gp * self.gp_weight
            d_gradient = tape.gradient(d_loss, self.discriminator.trainable_variables)
            self.d_optimizer.apply_gradients(
                zip(d_gradient, self.discriminator.trainable_variables, strict=True)
            )

        random_latent_vectors = tf.random.normal(shape=(batch_size, self.latent_dim))
        with tf.GradientTape() as tape:
            generated_images = self.generator(random_latent_vectors, training=True)
            gen_img_logits = self.discriminator(generated_images, training=True)
            g_loss = -tf.reduce_mean(gen_img_logits)
        gen_gradient = tape.gradient(g_loss, self.generator.trainable_variables)
        self.g_optimizer.apply_gradients(
            zip(gen_gradient, self.generator.trainable_variables, strict=True)
        )

        self.d_loss_metric.update_state(d_loss)
        self.g_loss_metric.update_state(g_loss)
        return {"d_loss": self.d_loss_metric.result(), "g_loss": self.g_loss_metric.result()}


REFERENCES = {"bce": BCEReference, "wgan-gp": WGANGPReference}


def reference_dataset(unit_curves: np.ndarray, batch_size: int) -> tf.data.Dataset:
    """keras.io's input pipeline: ``from_tensor_slices → shuffle → batch``."""
    data = tf.data.Dataset.from_tensor_slices(unit_curves.astype("float32"))
    return data.shuffle(buffer_size=len(unit_curves)).batch(batch_size)
