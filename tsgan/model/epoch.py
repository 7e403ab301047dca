"""The fused epoch: ``fit`` on in-memory curves runs each epoch as one compiled call.

The per-batch dispatch of the textbook loop is where small GANs spend their time
(``scripts/bench_speed.py``); here the training set is held as one tensor and each epoch
(shuffle, then every batch's critic and generator updates, the last smaller batch included)
is one execution. It computes what per-batch ``train_step`` calls compute for the same
batches; epochs, callbacks, ``History`` and metrics are as usual.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from keras import ops

from tsgan.data.curves import PRICE
from tsgan.model.validation import is_dataset, split_last


def _progress(kwargs: dict) -> dict:
    """``fit``'s keywords with ``verbose`` 1/"auto"/2 turned into an :class:`EpochProgress`
    (Keras' own bar would show "1/1" for every fused epoch)."""
    verbose = kwargs.get("verbose", "auto")
    if verbose not in (1, 2, "auto", True):
        return kwargs
    from tsgan.callbacks import EpochProgress

    callbacks = list(kwargs.get("callbacks") or [])
    if not any(isinstance(c, EpochProgress) for c in callbacks):
        line_per_epoch = {"terminal": False, "every_seconds": 0.0} if verbose == 2 else {}
        callbacks.append(EpochProgress(**line_per_epoch))
    return {**kwargs, "verbose": 0, "callbacks": callbacks}


class FusedEpochs:
    """``fit`` for :class:`~tsgan.PriceGAN`: fits the price transform when needed, encodes a
    conditional model's days, and takes the fused path for in-memory curves."""

    def fit(self, x=None, y=None, *, batch_size=None, shuffle=True, **kwargs):
        """``keras.Model.fit``, adapting the price transform first if it was never fitted.

        ``x`` is an array or DataFrame of curves in EUR/MWh. A model with a named
        ``condition`` takes a DataFrame indexed by delivery day and encodes each day's
        conditions itself (its date; with the level, the curve's mean). With raw
        ``condition_dim`` conditions, ``x`` is ``(curves, conditions)``.

        ``validation_data`` takes held-out days in the form of ``x``;
        ``validation_split`` holds out the last part of ``x`` (its last days, before
        shuffling, as Keras does); either logs ``val_*`` scores (:meth:`evaluate`).
        ``verbose`` 1 (or ``"auto"``) shows :class:`tsgan.EpochProgress` (one updating line
        in a terminal or notebook, instead of Keras' bar per epoch), 2 a line per epoch.

        A ``tf.data.Dataset``, ``steps_per_epoch`` or a distribution strategy take the
        per-batch path; only a conditional model's jitters are drawn for the whole set at
        once in the fused path (one shift per day and epoch, as per batch, in another order
        of the random stream).
        """
        import tensorflow as tf

        if not self.compiled:
            self.compile()
        kwargs = _progress(kwargs)
        x = self._training_arrays(x)
        held_out = kwargs.pop("validation_data", None)
        split = kwargs.pop("validation_split", 0.0)
        if held_out is not None:
            held_out = self._held_out(held_out)
        elif split and isinstance(x, (np.ndarray, tuple)):
            x, held_out = split_last(x, split)
        elif split:  # a Dataset: Keras says why it cannot split one
            kwargs["validation_split"] = split
        if held_out is not None:  # a 1-tuple: Keras reads a pair as (x, y)
            kwargs["validation_data"] = held_out if is_dataset(held_out) else (held_out,)
        arrays = x if isinstance(x, tuple) else (x,)
        fused = (
            y is None
            and all(isinstance(a, np.ndarray) for a in arrays)
            and not set(kwargs) & {"steps_per_epoch", "validation_split"}
            # replicas synchronise per batch: a distribution strategy keeps per-batch steps
            and self._distribute_strategy is None
            and not tf.distribute.has_strategy()
        )
        if not fused:
            self._set_epoch_plan(None)
            return super().fit(x, y, batch_size=batch_size, shuffle=shuffle, **kwargs)

        self._set_epoch_plan((len(arrays[0]), int(batch_size or 32), bool(shuffle)))
        once = tf.data.Dataset.from_tensors((x,)).repeat()  # the whole set, once per epoch
        # No autotuning thread: there is nothing to tune, and an iterator with one waits
        # for it when destroyed (seen here: up to 20 s with idle CPUs at the end of fit).
        options = tf.data.Options()
        options.autotune.enabled = False
        once = once.with_options(options)
        per_execution = self.steps_per_execution
        self.steps_per_execution = 1  # one execution is one epoch
        try:
            return super().fit(once, steps_per_epoch=1, shuffle=False, **kwargs)
        finally:
            self.steps_per_execution = per_execution

    def _training_arrays(self, x, *, adapt: bool = True):
        """Curves (and conditions) as float32 arrays, checked, the transform fitted
        (``adapt=False``: held-out days, encoded with what training fitted).

        A daily panel (:func:`tsgan.data.daily_panel`: prices and inputs side by side)
        trains on its complete price days; a forecast model encodes each day from the days
        before it, and days whose history or inputs are missing are left out.
        """
        panel = None
        if isinstance(x, pd.DataFrame) and isinstance(x.columns, pd.MultiIndex):
            panel, x = x, x[PRICE].dropna()
        elif self.conditions is not None and self.conditions.needs_data:
            raise ValueError(
                "fit: a forecast model trains on a daily panel of prices and inputs "
                "(tsgan.daily_panel(prices, inputs))"
            )
        dates = getattr(x, "index", None)
        if x is not None and not isinstance(x, (tuple, list)) and hasattr(x, "to_numpy"):
            x = x.to_numpy()
        for part in x if isinstance(x, (tuple, list)) else (x,):  # curves (and conditions)
            if isinstance(part, np.ndarray) and not np.isfinite(part).all():
                raise ValueError("fit: curves or conditions contain NaN or infinite values")
        if adapt and not self.transform.is_adapted:
            curves = x[0] if isinstance(x, (tuple, list)) else x
            if not isinstance(curves, np.ndarray):
                raise ValueError("fit: call adapt(curves) first when x is not an array of curves")
            self.adapt(curves)
        if self.conditions is not None and isinstance(x, np.ndarray):
            if dates is None:
                raise ValueError(
                    f"fit: a model conditioned on {self.conditions.name!r} needs a DataFrame "
                    "of curves indexed by delivery day"
                )
            levels = x.mean(axis=1) if self.conditions.level is not None else None
            if adapt and panel is not None and self.conditions.needs_data:
                self.conditions.adapt(panel)
            conditions = self.conditions.encode(dates, levels, panel, missing="nan")
            known = ~np.isnan(conditions).any(axis=1)  # days whose history the panel holds
            if not known.any():
                raise ValueError(
                    f"fit: no {'training' if adapt else 'held-out'} day has the days before "
                    "it in the data"
                )
            x = (x[known].astype("float32"), conditions[known])
        return x.astype("float32") if isinstance(x, np.ndarray) else x

    def _set_epoch_plan(self, plan: tuple[int, int, bool] | None) -> None:
        """(days, batch size, shuffle) of the fused epoch, or None for per-batch steps."""
        if plan != self._epoch_plan:
            self.train_function = None  # traced for another plan: trace again
        self._epoch_plan = plan

    def _train_epoch(self, real, conditions):
        """A whole epoch in one graph: shuffle the set, then ``_train_batch`` on each batch
        (a loop over the full batches, then the smaller last one), as ``fit`` would.

        Returns the means over the epoch's batches of the ``LOGS`` values, shape (4,).
        """
        import tensorflow as tf

        n, size, shuffle = self._epoch_plan
        if shuffle:  # a new order every epoch: seeded by the seed and the update count
            updates = ops.cast(self.d_optimizer.iterations, "int64")
            seed = ops.stack([ops.convert_to_tensor(self._shuffle_seed, "int64"), updates])
            order = ops.argsort(tf.random.stateless_uniform((n,), seed))
            real = ops.take(real, order, axis=0)
            conditions = None if conditions is None else ops.take(conditions, order, axis=0)

        def rows(values, start, length):
            if values is None:
                return None
            return ops.slice(values, (start, 0), (length, values.shape[1]))

        def body(i, total):
            batch = (rows(real, i * size, size), rows(conditions, i * size, size))
            return total + self._train_batch(*batch)

        full, rest = divmod(n, size)
        total = ops.fori_loop(0, full, body, ops.zeros((4,)))  # the four LOGS
        if rest:
            total = total + self._train_batch(
                rows(real, n - rest, rest), rows(conditions, n - rest, rest)
            )
        return total / (full + (rest > 0))
