"""Every setting and its default, defined once (no Keras import).

:class:`ModelSettings` is the model's configuration: :class:`tsgan.PriceGAN` is built from it,
saves it as its Keras config and loads it back. :class:`TrainConfig` is one training run's
settings, saved as ``config.toml`` in the run directory; its ``model`` is a ``ModelSettings``.
The ``tsgan train`` flags, the TOML keys and the checks of both follow from their fields
(:func:`setting`); each default carries a one-line reason, and ``docs/decisions.md`` the
evidence and the command that reproduces it.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from tsgan.fields import (  # noqa: F401  (flag_name: imported from here by the CLI and tests)
    RunError,
    check_types,
    flag_name,
    named,
    setting,
    toml_name,
    toml_value,
)

TIMEZONE = "Europe/Berlin"  # the market's time zone: the shared files are DE-LU and DE
COUNTRY = "DE"  # holiday calendar of the calendar condition
LOSSES = ("bce", "wgan-gp")
CONDITIONS = ("calendar", "calendar+level", "forecast")  # encoders: tsgan.model.conditions
PRICE_LAGS = (1, 2, 3, 7)  # a forecast model sees the prices of D-1, D-2, D-3 and D-7
INPUT_LAGS = (0, 1, 7)  # and the inputs (day-ahead forecasts) of D, D-1 and D-7, as LEAR
OUTPUT_ACTIVATIONS = ("tanh", "linear")
# Adam's rates (critic, generator) per loss: the two time-scale rule for WGAN-GP; BCE's
# discriminator separated real from generated days early at the faster rate
LEARNING_RATES = {"wgan-gp": (4e-4, 1e-4), "bce": (2e-4, 2e-4)}
DEFAULT_UPDATES = 27_000  # the length of training in generator updates, whatever the days
SEASON_JITTER_DAYS = 30.0  # a date learns from the days around it, not its one day a year
LEVEL_JITTER = 0.6  # in units of the transform's scale: one value fits any market's level
FORECAST_LEVEL_JITTER = 0.3  # tomorrow's level is uncertain given its history: wider fans
CHECKPOINT_SECONDS = 30.0  # a running model is saved this often (for --resume)
N_SCENARIOS = 2000  # curves an unconditional model is scored with (evaluate -n)
N_PER_DAY = 500  # scenarios per test day of a conditional model (evaluate --n-per-day)
FRAME_SIZE = (720, 288)  # pixels of an animation frame: a 300-frame GIF under 3 MB
THEME = "light"
FPS = 12.0
HOLD_SECONDS = 2.0  # the last frame stays, so a looping GIF shows where training ended
MAX_FRAMES = 300  # frames of a default animation, denser early where learning happens


@dataclass(frozen=True)
class ModelSettings:
    """The settings of a :class:`tsgan.PriceGAN`: its networks, its game and its conditions.

    ``PriceGAN(**fields)`` builds a model, ``get_config`` saves these fields and loading a
    model is ``ModelSettings(**saved)`` (nanoGPT's ``GPTConfig``). A run's ``config.toml``
    keeps the flagged ones at the top and the others under ``[model]``. The reasons for the
    defaults, with the evidence, are in ``docs/decisions.md``.

    Example:
        >>> ModelSettings(condition="calendar").season_jitter
        30.0
        >>> ModelSettings(latent_dim=8, generator_units=[64]).generator_units
        (64,)
    """

    n_steps: int = 24  # values per day: 24 hours or 96 quarter-hours (from the data)
    latent_dim: int = 32  # noise size: 64 was worse on both eras
    generator_units: tuple[int, ...] = (128, 128)  # wider or deeper: worse on one era
    discriminator_units: tuple[int, ...] = (128, 128)
    loss: str = setting("wgan-gp", "the GAN loss (default wgan-gp)", choices=LOSSES)
    d_steps: int = 2  # critic updates per generator update: 3 and 5 no better, slower
    gp_weight: float = 10.0  # WGAN-GP's penalty weight: 5 was within seed noise
    pac: int = 1  # curves per critic input (PacGAN): 2 was worse
    dropout: float = 0.0  # critic dropout: 0.1 over-concentrated the scenarios
    condition_dim: int = 0  # a raw condition vector's size (set by `condition` when named)
    residual: bool = True  # each generator block's input concatenated to its output
    batch_norm: bool = False  # per-batch statistics in training: worse scenarios
    output_activation: str = setting("tanh", None, choices=OUTPUT_ACTIVATIONS)  # see decisions
    ema: float | None = 0.99  # decay of the generator's moving average (None: off)
    seed: int | None = setting(0, "seed of the weights, the noise and the order of the days")
    condition: str | None = setting(
        None,
        "condition on the day type and season (calendar), the daily mean price (+level), or "
        "what is known before the auction: recent prices and the inputs (forecast) "
        "(default: none)",
        choices=CONDITIONS,
    )
    inputs: tuple[str, ...] = setting(
        (), "input columns of --condition forecast (default: the file's)", metavar="NAME,NAME"
    )
    country: str = setting(COUNTRY, "holiday calendar of --condition")
    timezone: str = setting(
        TIMEZONE, "the market's time zone: naive times, delivery days", flag="--tz"
    )
    season_jitter: float | None = None  # sd in days; None: SEASON_JITTER_DAYS with a calendar
    level_jitter: float | None = None  # sd in transform scales; None: LEVEL_JITTER, conditional

    def __post_init__(self) -> None:
        if isinstance(self.inputs, str):  # a flag's NAME,NAME
            object.__setattr__(self, "inputs", tuple(n.strip() for n in self.inputs.split(",")))
        for name in ("generator_units", "discriminator_units", "inputs"):
            if isinstance(getattr(self, name), list):
                object.__setattr__(self, name, tuple(getattr(self, name)))
        check_types(self)
        fields = {f.name: f for f in dataclasses.fields(self)}
        for name in ("pac", "d_steps", "n_steps", "latent_dim"):
            if getattr(self, name) < 1:
                raise RunError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.seed is not None and not 0 <= self.seed < 2**32:
            raise RunError(f"{named(fields['seed'])} must be from 0 to 2**32 - 1, got {self.seed}")
        if self.ema is not None and not 0.0 < self.ema < 1.0:
            raise RunError(f"ema must be between 0 and 1 (or None), got {self.ema}")
        if not 0.0 <= self.dropout < 1.0:
            raise RunError(f"dropout must be in [0, 1), got {self.dropout}")
        object.__setattr__(self, "country", self.country.upper())
        import zoneinfo

        try:  # here, so that neither a flag nor a crafted model file saves a zone no one can use
            zoneinfo.ZoneInfo(self.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise RunError(
                f"{named(fields['timezone'])} {self.timezone!r} is not a time zone "
                "(e.g. Europe/Berlin)"
            ) from None
        if self.inputs and self.condition != "forecast":
            raise RunError(
                f"{named(fields['inputs'])} {list(self.inputs)} are read by "
                "--condition forecast only"
            )
        if self.condition is not None:
            named_dim = 5 + (self.condition == "calendar+level")  # day type (3), season (2)
            if self.condition == "forecast":  # + the price lags and the inputs' lags
                named_dim += self.n_steps * (len(PRICE_LAGS) + len(INPUT_LAGS) * len(self.inputs))
            if self.condition_dim not in (0, named_dim):
                raise RunError(
                    f"condition {self.condition!r} has {named_dim} values; "
                    f"got condition_dim={self.condition_dim}"
                )
            object.__setattr__(self, "condition_dim", named_dim)
            import holidays

            if self.country not in holidays.list_supported_countries():
                raise RunError(
                    f"{named(fields['country'])} {self.country!r} has no holiday calendar "
                    "(e.g. DE, AT)"
                )
        # a training jitter's sd: its condition's default (none without one); never negative
        calendar = (SEASON_JITTER_DAYS, LEVEL_JITTER)
        defaults = {
            "calendar": calendar,
            "calendar+level": calendar,
            "forecast": (0.0, FORECAST_LEVEL_JITTER),
        }.get(self.condition, (0.0, 0.0))
        for name, default in zip(("season_jitter", "level_jitter"), defaults, strict=True):
            value = default if getattr(self, name) is None else getattr(self, name)
            if value < 0 or (value and self.condition is None):
                raise RunError(
                    f"{name} needs a condition and must be >= 0, "
                    f"got {value} with condition={self.condition!r}"
                )
            object.__setattr__(self, name, float(value))

    def parameter_count(self) -> int:
        """About how many weights the generator and the critic hold (to check they fit).

        Example:
            >>> ModelSettings(latent_dim=4, generator_units=(8,), discriminator_units=(8,)).parameter_count()
            561
        """
        total, width = 0, self.latent_dim + self.condition_dim
        for units in self.generator_units:
            total += (width + 1) * units
            width = width + units if self.residual else units
        total += (width + 1) * self.n_steps
        width = (self.n_steps + self.condition_dim) * self.pac
        for units in self.discriminator_units:
            total += (width + 1) * units
            width = units
        return total + width + 1

    def for_data(self, n_steps: int, inputs: tuple[str, ...] | None = None) -> ModelSettings:
        """The same settings for data of ``n_steps`` values a day (and these inputs): the
        sizes that follow from the data are worked out again.

        Example:
            >>> ModelSettings(condition="forecast").for_data(24, ("load",)).condition_dim
            173
        """
        inputs = self.inputs if inputs is None else tuple(inputs)
        raw = 0 if self.condition else self.condition_dim  # a named condition's is derived
        return dataclasses.replace(self, n_steps=n_steps, inputs=inputs, condition_dim=raw)

    def to_dict(self) -> dict:
        """The settings as plain values (lists for the units), e.g. for ``get_config``."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in vars(self).items()}


def default_epochs(n_days: int, batch_size: int) -> int:
    """The default number of epochs: as many as make about ``DEFAULT_UPDATES`` updates
    (an epoch makes ⌈n_days / batch_size⌉ of them).

    Example:
        >>> default_epochs(547, 32), default_epochs(1616, 32)
        (1500, 529)
    """
    updates_per_epoch = -(-int(n_days) // int(batch_size))
    return max(1, round(DEFAULT_UPDATES / updates_per_epoch))


def _rate_help(network: str, index: int) -> str:
    """The help of a learning-rate setting, each loss's default from ``LEARNING_RATES``."""
    defaults = "; ".join(f"{loss}: {rates[index]:g}" for loss, rates in LEARNING_RATES.items())
    return f"the {network}'s Adam learning rate (default {defaults})"


# model settings that are not written to config.toml: they come from the data and condition
_FROM_THE_DATA = ("n_steps", "condition_dim")
_OLD_KEYS = {"tz": "timezone"}  # config.toml keys of tsgan 0.1


def model_settings(table: dict | None = None, **top) -> ModelSettings:
    """``ModelSettings`` from a ``[model]`` table and the top-level model keys, checked:
    a flagged setting belongs at the top, an unknown key is named."""
    fields = {f.name: f for f in dataclasses.fields(ModelSettings)}
    if table is not None and not isinstance(table, dict):
        raise RunError(f"model must be a table of model settings, got {table!r}")
    for key in table or {}:
        if key not in fields or key in _FROM_THE_DATA:
            known = ", ".join(k for k, f in fields.items() if not f.metadata.get("top"))
            raise RunError(f"unknown [model] setting {key!r} (known: {known})")
        if fields[key].metadata.get("top"):
            raise RunError(f"{key!r} is a top-level setting, not a [model] one: move it up")
    try:
        return ModelSettings(**(table or {}), **top)
    except TypeError as err:  # a duplicate or unknown keyword
        raise RunError(" ".join(str(err).split())) from None


@dataclass(frozen=True)
class TrainConfig:
    """Settings of one training run; saved as ``config.toml`` in the run directory.

    Each setting is defined once, here or in :class:`ModelSettings` (``model``): its default,
    its ``tsgan train`` flag, its TOML key and the values it may take; the command line is
    built from these fields. ``model`` may be given as a dict of ``ModelSettings`` fields.

    Example:
        >>> cfg = TrainConfig(demo=True, out="runs/démo 😀", epochs=5, model={"seed": 2})
        >>> TrainConfig.from_toml(cfg.to_toml()) == cfg
        True
    """

    out: str = setting("", "run directory (required, but with --resume)", short="-o")
    sources: tuple[str, ...] = setting(
        (), "price file(s) or folder(s)", metavar="SOURCE", positional=True
    )
    demo: bool = setting(False, "train on the built-in demo market (synthetic)")
    zone: str | None = setting(
        None, "bidding zone in multi-zone files, e.g. DE-LU, AT, FR (default: the only one)"
    )
    date_from: str | None = setting(
        None,
        "first delivery day (default: the first in the files)",
        flag="--from",
        toml="from",
        metavar="DATE",
    )
    date_to: str | None = setting(
        None,
        "last delivery day (default: the last in the files)",
        flag="--to",
        toml="to",
        metavar="DATE",
    )
    # None: default_epochs; the run resolves it once its days are known
    epochs: int | None = setting(
        None,
        f"passes over the training days (default: about {DEFAULT_UPDATES:,} updates, "
        "e.g. 1500 epochs on 550 days of batch 32)",
    )
    batch_size: int = setting(32, "days per update")  # 64 was worse at the same updates
    # None: the loss's rates in LEARNING_RATES
    d_learning_rate: float | None = setting(None, _rate_help("discriminator", 0), metavar="RATE")
    g_learning_rate: float | None = setting(None, _rate_help("generator", 1), metavar="RATE")
    gif: bool = setting(True, "no animation", flag="--no-gif")
    gif_every: int | None = setting(
        None,
        f"a frame every N-th epoch (default: at most {MAX_FRAMES} frames, denser early)",
        flag="--frame-every",
        metavar="N",
    )
    # the animation's look; None: the defaults above (FRAME_SIZE, THEME, HOLD_SECONDS)
    gif_size: str | None = setting(
        None,
        "pixels of a frame (default {}x{})".format(*FRAME_SIZE),
        flag="--size",
        metavar="WIDTHxHEIGHT",
    )
    gif_theme: str | None = setting(None, f"light or dark (default {THEME})", flag="--theme")
    gif_title: str | None = setting(
        None, "shown before the epoch counter (default: none)", flag="--title"
    )
    gif_hold: float | None = setting(
        None, f"the last frame stays (default {HOLD_SECONDS:g})", flag="--hold", metavar="SECONDS"
    )
    # an instruction for this run, not a setting to repeat: not saved
    overwrite: bool = setting(False, "replace the run in a non-empty RUN_DIR")
    model: ModelSettings = field(default_factory=ModelSettings, metadata={"cli": None})

    def __post_init__(self) -> None:
        if isinstance(
            self.model, dict
        ):  # any ModelSettings field (TOML's [model]: see from_values)
            try:
                object.__setattr__(self, "model", ModelSettings(**self.model))
            except TypeError as err:
                raise RunError(" ".join(str(err).split())) from None
        check_types(self)
        self._check_days()
        fields = {f.name: f for f in dataclasses.fields(self)}
        for name, least in (("epochs", 1), ("batch_size", 2), ("gif_every", 1)):
            value = getattr(self, name)
            if value is not None and value < least:
                raise RunError(f"{named(fields[name])} must be at least {least}, got {value}")
        for rate in ("d_learning_rate", "g_learning_rate"):
            value = getattr(self, rate)
            if value is not None and not 0 < value < 1:
                raise RunError(f"{named(fields[rate])} must be between 0 and 1, got {value!r}")
        try:
            self._look()
        except ValueError as err:  # "theme must be ...": the setting is gif_theme
            word, rest = str(err).split(" ", 1)
            look = {f.name: f for f in dataclasses.fields(self)}[f"gif_{word}"]
            raise RunError(f"{named(look)} {rest}") from None
        if not self.demo and not self.sources:
            raise RunError("give a data SOURCE or --demo")
        if self.demo and self.sources:
            raise RunError("give either data SOURCEs or --demo, not both")
        if not self.out:
            raise RunError("--out RUN_DIR is required")

    def _check_days(self) -> None:
        import pandas as pd

        days = {}
        for name, text in (("from", self.date_from), ("to", self.date_to)):
            if text is not None:
                try:  # a day, or a month or year as pandas reads them ("2024-06", "2024")
                    days[name] = pd.Timestamp(text)
                except ValueError:
                    raise RunError(f"--{name} {text!r} is not a date (YYYY-MM-DD)") from None
        if len(days) == 2 and days["from"] > days["to"]:
            raise RunError(f"--from {self.date_from} is after --to {self.date_to}")

    def _look(self) -> dict:
        from tsgan.animation.renderer import animation_look

        return animation_look(
            size=self.gif_size, theme=self.gif_theme, title=self.gif_title, hold=self.gif_hold
        )

    @property
    def animation_settings(self) -> dict:
        """The animation's settings that were given, as ``TrainingAnimation`` arguments."""
        every = {} if self.gif_every is None else {"every": self.gif_every}
        return {**every, **self._look()}

    @classmethod
    def from_values(cls, values: dict) -> TrainConfig:
        """Settings from flat values (flags, TOML's top level) and a ``model`` table.

        Example:
            >>> TrainConfig.from_values({"demo": True, "out": "x", "seed": 4}).model.seed
            4
        """
        run = {f.name for f in dataclasses.fields(cls)} - {"model"}
        top = {f.name for f in dataclasses.fields(ModelSettings) if f.metadata.get("top")}
        given = {_OLD_KEYS.get(k, k): v for k, v in values.items() if k != "model"}
        unknown = sorted(set(given) - run - top)
        if unknown:
            raise RunError(f"unknown setting {unknown[0]!r}")
        model = model_settings(values.get("model"), **{k: given[k] for k in top & set(given)})
        return cls(**{k: given[k] for k in run & set(given)}, model=model)

    def to_toml(self) -> str:
        """The settings as TOML text: the run's and the flagged model settings at the top,
        the model settings that differ from their defaults under ``[model]``."""
        lines, model = [], []
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name not in ("overwrite", "model") and value is not None:
                lines.append(f"{toml_name(f)} = {toml_value(value)}")
        defaults = ModelSettings(condition=self.model.condition)
        for f in dataclasses.fields(ModelSettings):
            value = getattr(self.model, f.name)
            if f.name in _FROM_THE_DATA or value is None:
                continue
            if f.metadata.get("top"):
                lines.append(f"{toml_name(f)} = {toml_value(value)}")
            elif value != getattr(defaults, f.name):
                model.append(f"{f.name} = {toml_value(value)}")
        text = "\n".join(lines) + "\n"
        if model:
            text += "\n[model]\n" + "\n".join(model) + "\n"
        return text

    @classmethod
    def from_file(cls, path: str | os.PathLike, **overrides) -> TrainConfig:
        """Settings from a TOML file (UTF-8, as TOML requires); ``overrides`` win.

        Example:
            >>> TrainConfig.from_file("runs/demo/config.toml").demo  # doctest: +SKIP
            True
        """
        try:
            text = Path(path).read_bytes().decode("utf-8")
        except UnicodeDecodeError as err:
            raise RunError(
                f"{path}: not UTF-8 text (byte {err.start}); TOML files are UTF-8: save it as UTF-8"
            ) from None
        return cls.from_toml(text, where=str(path), **overrides)

    @classmethod
    def from_toml(cls, text: str, *, where: str = "config", **overrides) -> TrainConfig:
        """Settings from TOML text; ``overrides`` (e.g. command-line flags) win."""
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as err:
            raise RunError(f"{where}: not valid TOML ({err})") from None
        if "sources" in data and isinstance(data["sources"], list):
            data["sources"] = tuple(data["sources"])
        names = {toml_name(f): f.name for f in dataclasses.fields(cls)}
        values = {names.get(k.replace("-", "_"), k.replace("-", "_")): v for k, v in data.items()}
        values.update({k: v for k, v in overrides.items() if v is not None})
        try:
            return cls.from_values(values)
        except RunError as err:
            if str(err).startswith("unknown setting"):
                known = sorted({*names, *(f.name for f in dataclasses.fields(ModelSettings))})
                raise RunError(f"{where}: {err} (known: {', '.join(known)})") from None
            raise


def flagged_fields() -> list[dataclasses.Field]:
    """The settings with a ``tsgan train`` flag: the run's, then the model's (``loss``,
    ``seed``, ``condition``, ``country``, ``timezone``)."""
    fields = [*dataclasses.fields(TrainConfig), *dataclasses.fields(ModelSettings)]
    return [f for f in fields if f.metadata.get("cli")]
