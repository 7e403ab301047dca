"""Run settings: a frozen dataclass saved as TOML in the run directory (no Keras import)."""

from __future__ import annotations

import dataclasses
import json
import tomllib
from dataclasses import dataclass, field
from typing import ClassVar

import pandas as pd

from tsgan.data.calendar import CONDITIONS

# The loss each kind of model trains best with, measured on validation days inside the
# training years (scripts/tune_defaults.py, scripts/tune_conditional.py): a calendar-
# conditioned GAN learned the per-day distribution far better with the non-saturating BCE
# loss (validation energy score 123.5 against 151.6 for WGAN-GP), with the level the two tie.
DEFAULT_LOSS = {None: "wgan-gp", "calendar": "bce", "calendar+level": "wgan-gp"}


def default_loss(condition: str | None) -> str:
    """The default loss of a model with this condition.

    Example:
        >>> default_loss(None), default_loss("calendar")
        ('wgan-gp', 'bce')
    """
    return DEFAULT_LOSS.get(condition, "wgan-gp")


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
    "ema",
    "timezone",
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


def _check_types(config: TrainConfig) -> None:
    """Every setting has the type its annotation says (settings files can hold anything)."""
    for f in dataclasses.fields(config):
        value = getattr(config, f.name)
        annotation = str(f.type)
        optional = annotation.endswith(" | None")
        kinds, words = _KINDS[annotation.removesuffix(" | None")]
        if value is None and optional:
            continue
        ok = isinstance(value, kinds) and not (isinstance(value, bool) and bool not in kinds)
        if not ok:
            name = TrainConfig._TOML_NAMES.get(f.name, f.name)
            raise RunError(f"{name} must be {words}, got {value!r}")
    unknown = sorted(set(config.model) - set(MODEL_SETTINGS))
    for key in unknown:
        if key in TOP_LEVEL_IN_MODEL:
            raise RunError(f"{key!r} is a top-level setting, not a [model] one: move it up")
        raise RunError(f"unknown [model] setting {key!r} (known: {', '.join(MODEL_SETTINGS)})")


@dataclass(frozen=True)
class TrainConfig:
    """Settings of one training run; saved as ``config.toml`` in the run directory.

    Model hyperparameters go in ``model`` (keyword arguments of :class:`PriceGAN`).

    Example:
        >>> cfg = TrainConfig(demo=True, out="runs/démo 😀", epochs=5)
        >>> TrainConfig.from_toml(cfg.to_toml()) == cfg
        True
    """

    out: str = ""
    sources: tuple[str, ...] = ()
    demo: bool = False
    zone: str | None = None
    tz: str | None = None  # the market's time zone (naive times, delivery days); None: Berlin
    date_from: str | None = None
    date_to: str | None = None
    # 1500 epochs of batch 32 (about 35,000 updates on 750 days): chosen on validation days
    # held out of the training days (scripts/results/quality.md), 5x the updates of 600 x 64
    epochs: int = 1500
    batch_size: int = 32
    seed: int = 0
    loss: str | None = None  # None: default_loss(condition)
    condition: str | None = None  # None, "calendar" or "calendar+level"
    country: str = "DE"  # the holiday calendar of the calendar condition
    gif: bool = True
    gif_every: int | None = None  # None: every epoch up to 300 frames, then denser early
    # the animation's look; None: TrainingAnimation's defaults (720x288, light, 2 s)
    gif_size: str | None = None  # WIDTHxHEIGHT of a frame, in pixels
    gif_theme: str | None = None  # "light" or "dark"
    gif_title: str | None = None  # shown before the epoch counter
    gif_hold: float | None = None  # seconds the last frame stays
    overwrite: bool = False
    model: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        _check_types(self)
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
            self.epochs < 1
            or self.batch_size < 2
            or (self.gif_every is not None and self.gif_every < 1)
        ):
            raise RunError("epochs and gif_every must be at least 1, batch_size at least 2")
        from tsgan.plotting import theme_rc
        from tsgan.renderer import check_hold, parse_size

        try:
            self.gif_size is None or parse_size(self.gif_size)
            self.gif_theme is None or theme_rc(self.gif_theme)
            self.gif_hold is None or check_hold(self.gif_hold)
        except ValueError as err:
            raise RunError(f"gif_{err}") from None
        if not self.demo and not self.sources:
            raise RunError("give a data SOURCE or --demo")
        if self.demo and self.sources:
            raise RunError("give either data SOURCEs or --demo, not both")
        if not self.out:
            raise RunError("--out RUN_DIR is required")
        if self.condition not in (None, *CONDITIONS):
            raise RunError(
                f"condition must be one of {', '.join(CONDITIONS)}, got {self.condition!r}"
            )
        if self.loss is None:
            object.__setattr__(self, "loss", default_loss(self.condition))
        object.__setattr__(self, "country", str(self.country).upper())
        if self.condition is not None:
            import holidays

            if self.country not in holidays.list_supported_countries():
                raise RunError(
                    f"country {self.country!r} has no holiday calendar (e.g. DE, AT, FR)"
                )

    # TOML: keys as on the command line ("from", "to", "batch_size"...)
    _TOML_NAMES: ClassVar[dict[str, str]] = {"date_from": "from", "date_to": "to"}

    @property
    def animation_settings(self) -> dict:
        """The animation's settings that were given, as ``TrainingAnimation`` arguments."""
        from tsgan.renderer import parse_size

        given = {
            "every": self.gif_every,
            "size": None if self.gif_size is None else parse_size(self.gif_size),
            "theme": self.gif_theme,
            "title": self.gif_title,
            "hold": self.gif_hold,
        }
        return {k: v for k, v in given.items() if v is not None}

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
                lines.append(f"{self._TOML_NAMES.get(f.name, f.name)} = {_toml_value(value)}")
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
        names = {v: k for k, v in cls._TOML_NAMES.items()}
        known = {f.name for f in dataclasses.fields(cls)}
        values = {}
        for key, value in data.items():
            name = names.get(key, key.replace("-", "_"))
            if name not in known:
                raise RunError(
                    f"{where}: unknown setting {key!r} (known: {', '.join(sorted(known))})"
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
