"""Training callbacks for any run: progress lines and the losses' health."""

from __future__ import annotations

import logging
import sys
import time

import keras
import numpy as np

from tsgan.model.gan import LOGS
from tsgan.model.validation import VAL_LOGS

logger = logging.getLogger(__name__)

SHOWN = (*LOGS, *(f"val_{name}" for name in VAL_LOGS))  # the logs a progress line shows

__all__ = ["EpochProgress", "TrainingHealth"]


class EpochProgress(keras.callbacks.Callback):
    """Training progress: one updating line in a terminal or notebook, plain lines in a log.

    ``gan.fit(..., verbose=1)`` adds one. In a terminal or notebook it is Keras' own progress bar (``keras.utils.Progbar``, one line that
    updates: epoch, the losses, time per epoch and time left). In a log or CI, where an
    updating line would pile up, it writes a plain line for the first epoch, then at most
    one every ``every_seconds``, and the last.

    Args:
        write: where plain lines go (``print`` by default).
        terminal: use the progress bar; None: in a terminal or a Jupyter kernel.
        every_seconds: the least time between two plain lines.

    Example:
        >>> progress = EpochProgress()   # gan.fit(curves, epochs=300, callbacks=[progress])
    """

    def __init__(
        self, write=print, *, terminal: bool | None = None, every_seconds: float = 10.0
    ) -> None:
        super().__init__()
        self.write = write
        self.terminal = terminal
        self.every_seconds = float(every_seconds)

    def on_train_begin(self, logs=None) -> None:

        self._clock = time.perf_counter
        self._start = self._clock()
        self._first_epoch, self._last_line = None, -float("inf")
        terminal = self.terminal
        if terminal is None:
            terminal = sys.stdout.isatty() or "ipykernel" in sys.modules
        total = int(self.params.get("epochs") or 1)
        self._bar = (
            keras.utils.Progbar(total, stateful_metrics=SHOWN, unit_name="epoch")
            if terminal
            else None
        )

    def on_epoch_end(self, epoch, logs=None) -> None:
        logs = logs or {}
        total = int(self.params.get("epochs") or epoch + 1)
        if self._bar is not None:
            self._bar.update(epoch + 1, values=[(k, float(logs[k])) for k in SHOWN if k in logs])
            self._shown = epoch + 1
            return
        now = self._clock()
        if self._first_epoch is None:  # the first epoch includes tracing: time the rest apart
            self._first_epoch, self._after_first = epoch, now
        done = epoch - self._first_epoch
        last = epoch + 1 == total or getattr(self.model, "stop_training", False)
        if not (done == 0 or last or now - self._last_line >= self.every_seconds):
            return
        self._last_line = now
        per_epoch = (now - self._after_first) / done if done else now - self._start
        left = per_epoch * (total - epoch - 1)
        metrics = "  ".join(f"{k} {logs[k]:.4f}" for k in SHOWN if k in logs)
        width = len(str(total))
        eta = f"{int(left // 60)}:{int(left % 60):02d} left" if done else "(first epoch: tracing)"
        self.write(f"epoch {epoch + 1:>{width}}/{total}  {metrics}  {per_epoch:.3f} s/epoch  {eta}")

    def on_train_end(self, logs=None) -> None:
        bar = getattr(self, "_bar", None)
        if bar is not None and getattr(self, "_shown", 0) < bar.target:  # stopped: end the line
            sys.stdout.write("\n")
            sys.stdout.flush()


class TrainingHealth(keras.callbacks.Callback):
    """Stop on a NaN or infinite loss, keeping the last finite weights; warn on imbalance.

    ``keras.callbacks.TerminateOnNaN`` watches a ``loss`` log, which a GAN does not have.
    This watches every log of the epoch and, when one is not finite, puts back the weights
    (generator, discriminator, EMA and both optimizers) of the last snapshot with finite
    losses, taken at most ``every_seconds`` apart (a copy costs a few milliseconds, so not
    every epoch), and stops training; ``message`` says what happened and what to try.

    It also warns once, in ``warnings``, when the game is lost for ``patience`` epochs in
    a row: with the BCE loss the discriminator tells real from generated days almost
    perfectly (``d_real`` > 0.99 and ``d_fake`` < 0.01), with WGAN-GP the critic's gap
    between real and generated days (``d_real − d_fake``, in the scaled price space) is
    above ``max_gap``, or the generator's loss is above ``max_g_loss`` in size.

    Args:
        every_seconds: time between snapshots of the weights.
        patience: epochs in a row before an imbalance warning.
        max_gap: the critic gap that counts as the critic winning (WGAN-GP).
        max_g_loss: the generator loss size that counts as exploding.

    Example:
        >>> health = TrainingHealth()  # gan.fit(curves, epochs=600, callbacks=[health])
        >>> health.message is None and health.warnings == []
        True
    """

    def __init__(
        self,
        every_seconds: float = 5.0,
        *,
        patience: int = 25,
        max_gap: float = 5.0,
        max_g_loss: float = 50.0,
    ) -> None:
        super().__init__()
        self.every_seconds = float(every_seconds)
        self.patience, self.max_gap, self.max_g_loss = int(patience), max_gap, max_g_loss
        self.message: str | None = None
        self.kept_epoch: int | None = None  # the epoch (1-based) whose weights were put back
        self.warnings: list[str] = []

    def _variables(self) -> list:
        model = self.model
        found = [*model.weights]
        for name in ("d_optimizer", "g_optimizer", "optimizer"):
            optimizer = getattr(model, name, None)
            if optimizer is not None and getattr(optimizer, "built", False):
                found += optimizer.variables
        return list({id(v): v for v in found}.values())

    def on_train_begin(self, logs=None) -> None:

        self._clock = time.monotonic
        self._snapshot = (None, [v.numpy() for v in self._variables()])  # as training starts
        self._taken = self._clock()
        self.message, self.kept_epoch, self.warnings = None, None, []
        self._streak = 0

    def _imbalance(self, logs: dict[str, float]) -> str | None:
        """What is wrong this epoch, or None."""
        if abs(logs.get("g_loss", 0.0)) > self.max_g_loss:
            return (
                f"the generator's loss has been above {self.max_g_loss:g} in size for "
                f"{self.patience} epochs: training is diverging. Try a lower learning rate"
            )
        if getattr(self.model, "loss_name", None) == "bce":
            # (0.95/0.05 fired for 30 epochs early in healthy calendar runs on DE-LU, which
            # then recover; a discriminator past 0.99/0.01 gives the generator no gradient)
            if logs.get("d_real", 0.0) > 0.99 and logs.get("d_fake", 1.0) < 0.01:
                return (
                    f"the discriminator has told real from generated days almost perfectly "
                    f"for {self.patience} epochs, so the generator learns little. "
                    "Try --loss wgan-gp, or model settings dropout = 0.2 or pac = 2"
                )
        elif logs.get("d_real", 0.0) - logs.get("d_fake", 0.0) > self.max_gap:
            return (
                f"the critic has separated real from generated days by more than "
                f"{self.max_gap:g} for {self.patience} epochs: the generator is not "
                "keeping up. Try more epochs, or model settings d_steps = 1"
            )
        return None

    def on_epoch_end(self, epoch, logs=None) -> None:
        values = {k: float(v) for k, v in (logs or {}).items()}
        bad = sorted(k for k, v in values.items() if not np.isfinite(v))
        if not bad:
            problem = self._imbalance(values)
            self._streak = self._streak + 1 if problem else 0
            if self._streak >= self.patience and not self.warnings:
                self.warnings.append(f"epoch {epoch + 1}: {problem}")
                logger.warning("warning: %s", self.warnings[-1])
            if self._clock() - self._taken >= self.every_seconds:
                self._snapshot = (epoch + 1, [v.numpy() for v in self._variables()])
                self._taken = self._clock()
            return
        self.model.stop_training = True
        self.kept_epoch, saved = self._snapshot
        for variable, value in zip(self._variables(), saved, strict=True):
            variable.assign(value)
        kept = (
            "the weights it started with are kept"
            if self.kept_epoch is None
            else f"the weights of epoch {self.kept_epoch} (the last finite snapshot) are kept"
        )
        self.message = (
            f"epoch {epoch + 1}: {', '.join(bad)} not finite, training stopped; {kept}. "
            "Try a lower learning rate, --loss wgan-gp, or check the data for extreme values"
        )
        logger.warning("%s", self.message)
