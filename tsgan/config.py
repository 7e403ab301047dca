"""Run settings: a frozen dataclass saved as TOML in the run directory (no Keras import)."""

from __future__ import annotations

import dataclasses
import json
import tomllib
from dataclasses import dataclass, field

import pandas as pd

from tsgan.data.calendar import CONDITIONS

# The default loss of every model, conditional or not: WGAN-GP, measured on validation days
# inside the training years (scripts/tune_defaults.py, scripts/tune_conditional.py). The
# calendar model once trained better with the non-saturating BCE loss (validation energy
# score 123.5 against 151.6 at 600 epochs of batch 64), but at the default length of training
# (27,000 updates) and the learning rates below WGAN-GP is better on every seed (156.8 against
# 159.7, seeds 0-2; scripts/results/tune_conditional.json) and its scenarios vary more.
DEFAULT_LOSS = "wgan-gp"
LOSSES = ("bce", "wgan-gp")
# Adam's learning rates (discriminator, generator) for each loss. WGAN-GP: the two time-scale
# update rule (Heusel et al., 2017), the critic four times as fast as the generator; on
# validation days held out of the training years it beat 2e-4 for both
# (scripts/results/quality_tried.md). BCE keeps 2e-4 for both: with the faster discriminator
# it told real from generated days apart almost perfectly from epoch 43 on (a calendar model).
LEARNING_RATES = {"wgan-gp": (4e-4, 1e-4), "bce": (2e-4, 2e-4)}
# The default length of training, in generator updates rather than passes over the days:
# 1500 epochs of batch 32 on 550 DE-LU days (chosen on validation days) are 27,000 updates;
# on 1,190 days of the epftoolbox years the same 1500 epochs (57,000 updates) were worse
# than 700 (27,000), and 2040 epochs worse still (scripts/results/quality_tried.md).
DEFAULT_UPDATES = 27_000
# How far (sd in days, Gaussian) a conditional model's training days are moved in the season
# they are shown with: each date has one training day per year, and a model shown only that
# day learned too narrow a spread of levels for the date. On validation days inside the
# training years (scripts/tune_conditional.py, seeds 0-2) the calendar model's energy score
# went from 156.8 to 140.1 (train 2023, validate 2024; analog days 143.8) and from 159.6 to
# 144.4 (train 2024, validate 2023; analog days 147.9) at 30 days, its curves no rougher, its
# variogram score the analog days' (2967 vs 2968; 2455 vs 2464); the calendar+level model's
# from 76.1 to 69.9 and 76.3 to 66.3 (analog days 71.0, 63.3). At 45 and 60 days the energy
# score fell further (137.1 and 136.7 on 2024) but the variogram score rose (3074, 3196).
SEASON_JITTER_DAYS = 30.0
# How far (sd, Gaussian, in units of the price transform's scale: about 30 EUR/MWh for DE-LU
# 2023-2024, 9 for the epftoolbox year 2015) a conditional model's training days are moved,
# every hour alike (and the level condition with them), so that a level learns its shapes from
# the days of neighbouring levels and a date's levels are smoothed. On validation days inside
# the training years (seeds 0-2) the calendar+level model's energy score (each day's realized
# mean given) went from 69.9 to 68.3 (train 2023, validate 2024; analog days 71.0), 66.3 to
# 61.2 (train 2024, validate 2023; analog days 63.3) and, on the epftoolbox era, 14.55 to 13.86
# (train 2015, validate 2016; analog days 14.80) and 16.15 to 15.70 (train 2013-2014); the
# calendar model's from 140.1 to 137.5 and 144.4 to 138.9 (analog days 143.8, 147.9), 29.38 to
# 29.30 with two epftoolbox training years (flat). In EUR/MWh the best sd for the level model
# was about 20 on DE-LU and 5 in 2015, both near 0.6 of their scale: hence the unit
# (scripts/results/quality_tried.md, "Session 25").
LEVEL_JITTER = 0.6


def default_epochs(n_days: int, batch_size: int) -> int:
    """The default number of epochs: as many as make about ``DEFAULT_UPDATES`` updates.

    An epoch makes ⌈n_days / batch_size⌉ updates (the last, smaller batch included).

    Example:
        >>> default_epochs(547, 32), default_epochs(1616, 32)
        (1500, 529)
    """
    updates_per_epoch = -(-int(n_days) // int(batch_size))
    return max(1, round(DEFAULT_UPDATES / updates_per_epoch))


class RunError(ValueError):
    """A run cannot start or finish as asked (existing run directory, bad settings)."""


# The PriceGAN arguments a settings file may give under [model]. The loss, seed, condition
# and country are run settings (top level); the values per day come from the data.
# tests/test_model.py checks this against PriceGAN's signature.
MODEL_SETTINGS = (
    "latent_dim",
    "generator_units",
    "discriminator_units",
    "d_steps",
    "gp_weight",
    "pac",
    "dropout",
    "residual",
    "batch_norm",
    "output_activation",
    "ema",
    "timezone",
    "season_jitter",
    "level_jitter",
)
TOP_LEVEL_IN_MODEL = ("loss", "seed", "condition", "country")

# what each annotation of TrainConfig accepts, and how a wrong value is described
_KINDS = {
    "str": ((str,), "text"),
    "int": ((int,), "a whole number"),
    "float": ((int, float), "a number"),
    "bool": ((bool,), "true or false"),
    "dict": ((dict,), "a table of model settings"),
    "tuple[str, ...]": ((tuple, list), "a list of paths"),
}


def _setting(
    default=None,
    help: str | None = None,
    *,
    flag: str | None = None,
    short: str | None = None,
    toml: str | None = None,
    metavar: str | None = None,
    choices: tuple[str, ...] | None = None,
):
    """A field of :class:`TrainConfig` and everything about it: its default, the command-line
    flag (``--field-name`` unless ``flag``; no ``help``: no flag), its key in ``config.toml``
    (the field's name unless ``toml``), and the values it may take (``choices``)."""
    cli = None
    if help is not None:
        cli = {"flag": flag, "short": short, "metavar": metavar, "help": help}
    return field(default=default, metadata={"cli": cli, "toml": toml, "choices": choices})


def _rate_help(network: str, index: int) -> str:
    """The help of a learning-rate setting, its defaults read from ``LEARNING_RATES``.

    Example:
        >>> _rate_help("generator", 1)
        "the generator's Adam learning rate (default wgan-gp: 0.0001; bce: 0.0002)"
    """
    defaults = "; ".join(f"{loss}: {rates[index]:g}" for loss, rates in LEARNING_RATES.items())
    return f"the {network}'s Adam learning rate (default {defaults})"


def toml_name(f: dataclasses.Field) -> str:
    """A setting's key in ``config.toml``: its field name, or the word of its flag.

    Example:
        >>> [toml_name(f) for f in dataclasses.fields(TrainConfig)][5:8]
        ['from', 'to', 'epochs']
    """
    return f.metadata.get("toml") or f.name


def flag_name(f: dataclasses.Field) -> str:
    """A setting's ``tsgan train`` flag: ``--field-name`` unless its definition says another.

    Example:
        >>> fields = {f.name: f for f in dataclasses.fields(TrainConfig)}
        >>> flag_name(fields["batch_size"]), flag_name(fields["gif_theme"])
        ('--batch-size', '--theme')
    """
    return (f.metadata.get("cli") or {}).get("flag") or "--" + f.name.replace("_", "-")


def _named(f: dataclasses.Field) -> str:
    """A setting as errors name it: its TOML key, and its flag when that is another word.

    Example:
        >>> fields = {f.name: f for f in dataclasses.fields(TrainConfig)}
        >>> _named(fields["gif_theme"]), _named(fields["loss"])
        ('gif_theme (--theme)', 'loss')
    """
    key, flag = toml_name(f), flag_name(f)
    plain = not f.metadata.get("cli") or flag == "--" + key.replace("_", "-")
    return key if plain else f"{key} ({flag})"


def _check(config: TrainConfig) -> None:
    """Every setting has the type its annotation says and one of its ``choices`` (settings
    files can hold anything; the command line gives text)."""
    for f in dataclasses.fields(config):
        value = getattr(config, f.name)
        annotation = str(f.type)
        optional = annotation.endswith(" | None")
        kinds, words = _KINDS[annotation.removesuffix(" | None")]
        if value is None and optional:
            continue
        ok = isinstance(value, kinds) and not (isinstance(value, bool) and bool not in kinds)
        if not ok:
            raise RunError(f"{_named(f)} must be {words}, got {value!r}")
        choices = f.metadata.get("choices")
        if choices and value not in choices:
            raise RunError(f"{_named(f)} must be one of {', '.join(choices)}, got {value!r}")
    unknown = sorted(set(config.model) - set(MODEL_SETTINGS))
    for key in unknown:
        if key in TOP_LEVEL_IN_MODEL:
            raise RunError(f"{key!r} is a top-level setting, not a [model] one: move it up")
        raise RunError(f"unknown [model] setting {key!r} (known: {', '.join(MODEL_SETTINGS)})")


@dataclass(frozen=True)
class TrainConfig:
    """Settings of one training run; saved as ``config.toml`` in the run directory.

    Each setting is defined once, here: its default, its ``tsgan train`` flag, its TOML key
    and the values it may take; the command line is built from these fields. Model
    hyperparameters go in ``model`` (keyword arguments of :class:`PriceGAN`).

    Example:
        >>> cfg = TrainConfig(demo=True, out="runs/démo 😀", epochs=5)
        >>> TrainConfig.from_toml(cfg.to_toml()) == cfg
        True
    """

    out: str = _setting("", "run directory", short="-o")
    sources: tuple[str, ...] = _setting((), "price file(s) or folder(s)", metavar="SOURCE")
    demo: bool = _setting(False, "train on the built-in demo market (synthetic)")
    zone: str | None = _setting(None, "bidding zone in multi-zone files (DE-LU, AT, FR...)")
    tz: str | None = _setting(
        None, "time zone of naive times and delivery days (default Europe/Berlin)"
    )
    date_from: str | None = _setting(
        None, "first delivery day (inclusive)", flag="--from", toml="from", metavar="DATE"
    )
    date_to: str | None = _setting(
        None, "last delivery day (inclusive)", flag="--to", toml="to", metavar="DATE"
    )
    # None: default_epochs, about DEFAULT_UPDATES updates (1500 epochs on 550 days of batch
    # 32); the run resolves it once its days are known and config.toml records the number
    epochs: int | None = _setting(
        None,
        f"passes over the training days (default: about {DEFAULT_UPDATES:,} updates, "
        "e.g. 1500 epochs on 550 days of batch 32)",
    )
    batch_size: int = _setting(32, "days per update")
    seed: int = _setting(0, "seed of the weights, the noise and the order of the days")
    loss: str | None = _setting(
        None,
        f"the GAN loss (default {DEFAULT_LOSS})",
        choices=LOSSES,
    )
    condition: str | None = _setting(
        None,
        "condition on the day type and season (calendar), and the daily mean price (+level)",
        choices=CONDITIONS,
    )
    country: str = _setting("DE", "holiday calendar of --condition")
    # None: the loss's rates in LEARNING_RATES
    d_learning_rate: float | None = _setting(None, _rate_help("discriminator", 0), metavar="RATE")
    g_learning_rate: float | None = _setting(None, _rate_help("generator", 1), metavar="RATE")
    gif: bool = _setting(True, "no animation", flag="--no-gif")
    gif_every: int | None = _setting(
        None, "render every N-th epoch (default: at most 300 frames, denser early)", metavar="N"
    )
    # the animation's look; None: TrainingAnimation's defaults (720x288, light, 2 s)
    gif_size: str | None = _setting(
        None, "pixels of a frame (default 720x288)", flag="--size", metavar="WIDTHxHEIGHT"
    )
    gif_theme: str | None = _setting(None, "light (default) or dark", flag="--theme")
    gif_title: str | None = _setting(None, "shown before the epoch counter", flag="--title")
    gif_hold: float | None = _setting(
        None, "the last frame stays (default 2)", flag="--hold", metavar="SECONDS"
    )
    # an instruction for this run, not a setting to repeat: not saved
    overwrite: bool = _setting(False, "replace the run in a non-empty RUN_DIR")
    model: dict = field(default_factory=dict)  # PriceGAN's keyword arguments ([model] in TOML)

    def __post_init__(self) -> None:
        _check(self)
        days = {}
        for name, text in (("from", self.date_from), ("to", self.date_to)):
            if text is not None:
                try:  # a day, or a month or year as pandas reads them ("2024-06", "2024")
                    days[name] = pd.Timestamp(text)
                except ValueError:
                    raise RunError(f"--{name} {text!r} is not a date (YYYY-MM-DD)") from None
        if len(days) == 2 and days["from"] > days["to"]:
            raise RunError(f"--from {self.date_from} is after --to {self.date_to}")
        if (
            (self.epochs is not None and self.epochs < 1)
            or self.batch_size < 2
            or (self.gif_every is not None and self.gif_every < 1)
        ):
            raise RunError("epochs and gif_every must be at least 1, batch_size at least 2")
        for rate in ("d_learning_rate", "g_learning_rate"):
            value = getattr(self, rate)
            if value is not None and not 0 < value < 1:
                raise RunError(f"{rate} must be between 0 and 1, got {value!r}")
        try:
            self._look()
        except ValueError as err:  # "theme must be ...": the setting is gif_theme
            word, rest = str(err).split(" ", 1)
            look = {f.name: f for f in dataclasses.fields(self)}[f"gif_{word}"]
            raise RunError(f"{_named(look)} {rest}") from None
        if not self.demo and not self.sources:
            raise RunError("give a data SOURCE or --demo")
        if self.demo and self.sources:
            raise RunError("give either data SOURCEs or --demo, not both")
        if not self.out:
            raise RunError("--out RUN_DIR is required")
        if self.loss is None:
            object.__setattr__(self, "loss", DEFAULT_LOSS)
        object.__setattr__(self, "country", str(self.country).upper())
        if self.condition is not None:
            import holidays

            if self.country not in holidays.list_supported_countries():
                raise RunError(
                    f"country {self.country!r} has no holiday calendar (e.g. DE, AT, FR)"
                )

    def _look(self) -> dict:
        from tsgan.renderer import animation_look

        return animation_look(
            size=self.gif_size, theme=self.gif_theme, title=self.gif_title, hold=self.gif_hold
        )

    @property
    def animation_settings(self) -> dict:
        """The animation's settings that were given, as ``TrainingAnimation`` arguments."""
        every = {} if self.gif_every is None else {"every": self.gif_every}
        return {**every, **self._look()}

    def to_toml(self) -> str:
        """The settings as TOML text (``None`` values are left out)."""
        lines, model = [], []
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name == "overwrite":  # an instruction for this run, not a setting to repeat
                continue
            if f.name == "model":
                model = [
                    f"{k} = {_toml_value(v)}" for k, v in sorted(value.items()) if v is not None
                ]
            elif value is not None:
                lines.append(f"{toml_name(f)} = {_toml_value(value)}")
        text = "\n".join(lines) + "\n"
        if model:
            text += "\n[model]\n" + "\n".join(model) + "\n"
        return text

    @classmethod
    def from_toml(cls, text: str, *, where: str = "config", **overrides) -> TrainConfig:
        """Settings from TOML text; ``overrides`` (e.g. command-line flags) win."""
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as err:
            raise RunError(f"{where}: not valid TOML ({err})") from None
        names = {toml_name(f): f.name for f in dataclasses.fields(cls)}
        values = {}
        for key, value in data.items():
            name = names.get(key.replace("-", "_"))
            if name is None:
                raise RunError(
                    f"{where}: unknown setting {key!r} (known: {', '.join(sorted(names))})"
                )
            values[name] = tuple(value) if name == "sources" else value
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    # a TOML basic string: JSON's escapes are TOML's, except that TOML has no surrogate
    # pairs, so characters outside ASCII are written as they are (TOML files are UTF-8)
    return json.dumps(str(value), ensure_ascii=False)
