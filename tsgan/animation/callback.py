"""TrainingAnimation: watch a GAN learn, one frame per epoch, streamed to a GIF."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import keras
import numpy as np
import pandas as pd

from tsgan.animation.process import DrawingProcess
from tsgan.animation.renderer import SAMPLES_FILE, Settings, frame_epochs
from tsgan.animation.stats import stat_bins, stat_shares
from tsgan.data.curves import PRICE
from tsgan.model import LOGS
from tsgan.plotting import curve_ylim, theme_rc
from tsgan.settings import FPS, FRAME_SIZE, HOLD_SECONDS, MAX_FRAMES, THEME

logger = logging.getLogger(__name__)

__all__ = ["SAMPLES_FILE", "TrainingAnimation"]


class TrainingAnimation(keras.callbacks.Callback):
    """Render generated curves over real ones, their distribution and the losses, as a GIF.

    Each frame shows, left, a sample of real days (grey) and the curves generated from a
    fixed latent batch drawn once at the start of training (colour), on y-limits fixed from
    the real data's quantiles; middle, histograms of the daily mean and daily spread of
    ``n_dist`` generated days over those of all real days, on fixed bins, with their overlap;
    right, ``d_loss`` and ``g_loss`` up to this epoch on an x-axis fixed to the planned
    number of epochs. Frames are drawn, encoded and written by a separate process, so
    training does not wait for matplotlib, and streamed to the file: memory does not grow
    with the number of epochs, and the GIF on disk is always a complete, valid file
    (written under a temporary name and renamed), brought up to date once the drawing has
    caught up with training and at most once a second; an exception or Ctrl-C loses
    nothing already drawn. The suffix chooses the format: ``.gif``, ``.mp4`` (needs
    ``imageio-ffmpeg``), ``.webp`` or ``.png`` (APNG); all but GIF are finished when
    training ends.

    By default every epoch is drawn up to ``frames`` epochs; beyond, half the frames are
    spread evenly and half log-spaced from the first epoch, since early epochs change the
    curves fastest (:func:`tsgan.animation.renderer.frame_epochs`). The last frame stays ``hold``
    seconds.

    At the end it writes ``losses.png`` (the whole history) and ``samples.png`` (the last
    frame) next to the animation, and ``samples.npz``: the generated curves and histograms
    of every rendered epoch, the real sample and the losses, from which ``tsgan animate``
    re-renders the animation with other settings without retraining.

    Args:
        path: the animation to write; its folder is created.
        real: real daily curves in EUR/MWh (array or DataFrame); a sample of them is drawn.
        every: render every ``every``-th epoch (and always the last); None: ``frames``
            frames, denser early.
        frames: the most frames when ``every`` is None.
        n_samples: generated curves per frame.
        n_real: real curves drawn in grey.
        n_dist: generated days in the distribution panel (0: no panel).
        fps: frames per second.
        size: ``(width, height)`` of a frame in pixels.
        theme: ``"light"`` or ``"dark"``.
        title: shown before the epoch counter.
        hold: seconds the last frame stays.
        seed: seed of the fixed latent batch and of the real sample.
        conditions: ``(n_samples, condition_dim)`` raw conditions for a model with a raw
            ``condition_dim``. A model with a named ``condition`` needs none: the frame
            shows two fixed conditions, a winter workday and a summer Sunday (with the
            level: the median level of such real days), each over the real days of its
            kind, one colour each (``real`` must then be a DataFrame indexed by date).
        subtitle: a small caption (data source, zone) in the corner.
        prior: a resumed run's earlier segment, whose frames open the animation:
            ``{"history": {log: values}, "epochs": [...], "generated": (k, S, n)}`` and
            optionally ``"shares"``: ``(k, groups, 2, n_bins)``.

    Example:
        >>> import tsgan
        >>> curves = tsgan.daily_curves(tsgan.demo_prices("2024-01-01", "2024-03-31"))
        >>> gan = tsgan.PriceGAN(latent_dim=8, generator_units=(32,), discriminator_units=(32,))
        >>> anim = TrainingAnimation("runs/doc/training.gif", real=curves)   # doctest: +SKIP
        >>> gan.fit(curves, epochs=5, callbacks=[anim], verbose=0)          # doctest: +SKIP
    """

    def __init__(
        self,
        path: str | os.PathLike,
        *,
        real=None,
        every: int | None = None,
        frames: int = MAX_FRAMES,
        n_samples: int = 12,
        n_real: int = 80,
        n_dist: int = 500,
        fps: float = FPS,
        size: tuple[int, int] = FRAME_SIZE,
        theme: str = THEME,
        title: str = "",
        hold: float = HOLD_SECONDS,
        seed: int = 0,
        conditions: np.ndarray | None = None,
        subtitle: str = "",
        prior: dict | None = None,
    ) -> None:
        super().__init__()
        if every is not None and every < 1:
            raise ValueError(f"every must be at least 1, got {every}")
        if frames < 2:
            raise ValueError(f"frames must be at least 2, got {frames}")
        theme_rc(theme)  # a wrong theme fails here, not in the drawing process
        self.path = Path(path)
        self.every, self.frames = every, int(frames)
        self.n_samples, self.n_dist = int(n_samples), int(n_dist)
        self.fps, self.size, self.theme = float(fps), tuple(size), theme
        self.title, self.hold = title, float(hold)
        self.seed = int(seed)
        self.conditions = conditions
        self.subtitle = subtitle
        self.prior = prior
        self.n_real = int(n_real)
        self.panel = None  # a forecast run's daily panel: its shown days' history and inputs
        if isinstance(real, pd.DataFrame) and isinstance(real.columns, pd.MultiIndex):
            self.panel, real = real, real[PRICE].dropna()
        self.real_dates = getattr(real, "index", None)  # delivery days, for conditional runs
        if real is not None:
            real = np.asarray(
                real.to_numpy() if hasattr(real, "to_numpy") else real, dtype="float64"
            )
            self.ylim = curve_ylim(real)
        else:
            self.ylim = None
        self.real_all = real
        self.real, self.real_groups, self.groups = None, None, ()
        self.real_by_group: list[np.ndarray] = []  # all real days of each shown group
        self.epochs_rendered: list[int] = list(prior["epochs"]) if prior else []
        self._drawing: DrawingProcess | None = None
        self._bins: np.ndarray | None = None  # the distribution panel's, when it is drawn

    # ------------------------------------------------------------------ Keras hooks

    def on_train_begin(self, logs=None) -> None:
        model = self.model
        self.total_epochs = int(self.params.get("epochs") or 1)
        self._schedule = set(
            frame_epochs(self.total_epochs, self.frames)
            if self.every is None
            else range(self.every, self.total_epochs + 1, self.every)
        )
        rng = np.random.default_rng(self.seed)
        n_all = max(self.n_dist, self.n_samples)
        if model.conditions is not None:
            self._fixed_conditions(model, rng, n_all)
        else:
            if self.real_all is not None:
                pick = rng.choice(
                    len(self.real_all), min(self.n_real, len(self.real_all)), replace=False
                )
                self.real = self.real_all[np.sort(pick)]
                self.real_by_group = [self.real_all]
            self._shown, self._blocks = np.arange(self.n_samples), [slice(0, n_all)]
            if self.conditions is not None:  # raw conditions: repeated for the histograms
                self.conditions = np.resize(
                    np.asarray(self.conditions, "float32"), (n_all, model.settings.condition_dim)
                )
        self._n_all = n_all
        dist = None
        if self.n_dist and self.real_by_group:
            self._bins = stat_bins(np.concatenate(self.real_by_group))
            real_shares = [stat_shares(days, self._bins) for days in self.real_by_group]
            dist = {"bins": self._bins, "real": np.stack(real_shares)}
        if self.ylim is None:  # no real curves: the scaled range of the training data
            center, scale, _ = model.transform.values(np)
            self.ylim = (float(center.min() - 4 * scale), float(center.max() + 4 * scale))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        settings = Settings(
            path=str(self.path),
            real=self.real,
            ylim=tuple(self.ylim),
            total_epochs=self.total_epochs,
            n_steps=model.settings.n_steps,
            n_samples=self.n_samples,
            fps=self.fps,
            subtitle=self.subtitle,
            size=self.size,
            theme=self.theme,
            title=self.title,
            hold=self.hold,
            dist=dist,
            groups=self.groups,
            real_groups=self.real_groups,
            prior=self.prior,
        )
        self._drawing = DrawingProcess(settings)

    # Two fixed conditions of a conditional run: (label, representative date, day type, season)
    SHOWN = (
        ("winter workday", "2025-01-15", 0, 0),
        ("summer Sunday", "2025-07-13", 2, 2),
    )

    def _fixed_conditions(self, model, rng: np.random.Generator, n_all: int) -> None:
        """Conditions of the shown groups (one block of days each), and their real days."""
        from tsgan.data.calendar import day_types, seasons

        if self.real_all is None or self.real_dates is None:
            raise ValueError(
                "TrainingAnimation: a conditional model needs real=DataFrame of curves indexed by date"
            )
        types = day_types(self.real_dates, country=model.settings.country)
        season = seasons(self.real_dates)
        n_groups = len(self.SHOWN)
        per_group = max(1, self.n_samples // n_groups)
        self.n_samples = per_group * n_groups
        block = max(per_group, n_all // n_groups)
        reals, groups, dates, levels = [], [], [], []
        for g, (_label, date, day_type, season_no) in enumerate(self.SHOWN):
            mine = np.flatnonzero((types == day_type) & (season == season_no))
            if not len(mine):  # no such day in the data: that day type in any season
                mine = np.flatnonzero(types == day_type)
            if not len(mine):
                mine = np.arange(len(self.real_all))
            pick = np.sort(rng.choice(mine, min(self.n_real // 2, len(mine)), replace=False))
            reals.append(self.real_all[pick])
            self.real_by_group.append(self.real_all[mine])
            groups.append(np.full(len(pick), g))
            dates += [date] * block
            levels += [float(np.median(self.real_all[mine].mean(axis=1)))] * block
        self.real = np.concatenate(reals)
        self.real_groups = np.concatenate(groups)
        self.groups = tuple(label for label, *_ in self.SHOWN)
        has_level = model.conditions.level is not None
        if model.conditions.needs_data:  # a forecast run: two real days, given their history
            dates = self._shown_days(model, types, season, block)
            self.groups = tuple(
                f"{g} {d:%Y-%m-%d}" for g, d in zip(self.groups, dates[::block], strict=True)
            )
        self.conditions = model.conditions.encode(dates, levels if has_level else None, self.panel)
        self._shown = np.concatenate([np.arange(per_group) + g * block for g in range(n_groups)])
        self._blocks = [slice(g * block, (g + 1) * block) for g in range(n_groups)]

    def _shown_days(self, model, types, season, block: int) -> list:
        """For a forecast run: per shown group, the middle one of its real days whose
        history and inputs the panel holds (each block repeats that day)."""
        encoded = model.conditions.encode(self.real_dates, None, self.panel, missing="nan")
        known = ~np.isnan(encoded).any(axis=1)
        days = []
        for _label, _date, day_type, season_no in self.SHOWN:
            mine = np.flatnonzero(known & (types == day_type) & (season == season_no))
            mine = mine if len(mine) else np.flatnonzero(known)
            days += [self.real_dates[mine[len(mine) // 2]]] * block
        return days

    def on_epoch_end(self, epoch, logs=None) -> None:
        if self._drawing is None or not self._drawing.running:
            return
        logs = {
            k: float((logs or {}).get(k, np.nan)) for k in LOGS
        }  # the drawing process keeps the history
        number = epoch + 1
        last = number == self.total_epochs or getattr(self.model, "stop_training", False)
        frame = None
        if number in self._schedule or last:
            # The same seed every epoch: the same latent batch, so frames are comparable.
            days = self.model.generate(
                self._n_all, seed=self.seed, conditions=self.conditions, as_frame=False
            )  # EUR/MWh
            shares = None
            if self._bins is not None:
                shares = np.stack([stat_shares(days[b], self._bins) for b in self._blocks])
                shares = shares.astype("float32")
            frame = (days[self._shown].astype("float32"), shares)
            self.epochs_rendered.append(number)
        if frame is None:  # the losses go with the next frame
            self._drawing.queue((number, logs, None))
        else:
            self._drawing.send((number, logs, frame))

    def on_train_end(self, logs=None) -> None:
        self.finish()

    def finish(self, timeout: float = 600.0) -> None:
        """Draw what is queued, close the animation and write the still images.

        Called at the end of training; call it yourself after an interrupted ``fit`` (the
        command line does) to also get ``losses.png`` and ``samples.png``. Safe to call twice.
        """
        if self._drawing is not None and self._drawing.running:
            self._drawing.finish(timeout)

    @property
    def drawing_cpu_s(self) -> float | None:
        """CPU seconds the drawing process used, once it is done."""
        return None if self._drawing is None else self._drawing.cpu_s

    @property
    def finish_wait_s(self) -> float | None:
        """Seconds training waited at the end for the last frames and the files."""
        return None if self._drawing is None else self._drawing.finish_wait_s
