"""How a setting is declared and checked: a dataclass field that carries its default, its
command-line flag, its TOML key and the values it may take (:func:`setting`), and the checks
every settings dataclass of :mod:`tsgan.settings` runs on itself. No Keras import."""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import json
from collections.abc import Iterable
from dataclasses import field


class RunError(ValueError):
    """Settings that cannot be used, or a run that cannot start or finish as asked."""


def setting(
    default=None,
    help: str | None = None,
    *,
    flag: str | None = None,
    short: str | None = None,
    toml: str | None = None,
    metavar: str | None = None,
    choices: tuple[str, ...] | None = None,
    positional: bool = False,
):
    """A settings field and everything about it: its default, its ``tsgan train`` flag
    (``--field-name`` unless ``flag``; no ``help``, no flag), its TOML key (the field's name
    unless ``toml``) and the values it may take. A flagged model setting's TOML key is at the
    top of ``config.toml``, the others under ``[model]``.

    Example:
        >>> from tsgan.settings import ModelSettings
        >>> fields = {f.name: f for f in dataclasses.fields(ModelSettings)}
        >>> flag_name(fields["timezone"]), toml_name(fields["timezone"])
        ('--tz', 'timezone')
    """
    cli = None
    if help is not None:
        cli = {"flag": flag, "short": short, "metavar": metavar, "help": help}
        cli["positional"] = positional
    meta = {"cli": cli, "toml": toml, "choices": choices, "top": help is not None}
    return field(default=default, metadata=meta)


def toml_name(f: dataclasses.Field) -> str:
    """A setting's key in ``config.toml``: its field name, or the word of its flag
    (``date_from``: ``from``)."""
    return f.metadata.get("toml") or f.name


def flag_name(f: dataclasses.Field) -> str:
    """A setting's ``tsgan train`` flag: ``--field-name`` unless its definition says another
    (``gif_theme``: ``--theme``)."""
    return (f.metadata.get("cli") or {}).get("flag") or "--" + f.name.replace("_", "-")


_GIVEN_AS_FLAGS: contextvars.ContextVar[frozenset[str]] = contextvars.ContextVar(
    "given_as_flags", default=frozenset()
)


@contextlib.contextmanager
def flag_names(given: Iterable[str]):
    """Within the block, errors name the settings ``given`` on the command line by their
    flags (``--epochs``): the user's own words. Settings from a file keep their TOML keys.
    The CLI runs each command in it.

    Example:
        >>> from tsgan.settings import TrainConfig
        >>> epochs = {f.name: f for f in dataclasses.fields(TrainConfig)}["epochs"]
        >>> with flag_names({"epochs"}):
        ...     named(epochs)
        '--epochs'
        >>> named(epochs)
        'epochs'
    """
    token = _GIVEN_AS_FLAGS.set(frozenset(given))
    try:
        yield
    finally:
        _GIVEN_AS_FLAGS.reset(token)


def named(f: dataclasses.Field) -> str:
    """A setting as errors name it: its TOML key, and its flag when that is another word
    (``gif_theme (--theme)``); within :func:`flag_names`, a setting given as a flag by its
    flag."""
    cli = f.metadata.get("cli")
    if cli and not cli.get("positional") and f.name in _GIVEN_AS_FLAGS.get():
        return flag_name(f)
    key, flag = toml_name(f), flag_name(f)
    plain = not f.metadata.get("cli") or flag == "--" + key.replace("_", "-")
    return key if plain else f"{key} ({flag})"


# what each annotation accepts, and how a wrong value is described
_KINDS = {
    "str": ((str,), "text"),
    "int": ((int,), "a whole number"),
    "float": ((int, float), "a number"),
    "bool": ((bool,), "true or false"),
    "ModelSettings": ((dict,), "a table of model settings"),
    "tuple[str, ...]": ((tuple, list), "a list of names"),
    "tuple[int, ...]": ((tuple, list), "a list of whole numbers"),
}


def check_types(settings) -> None:
    """Every field of a settings dataclass has the type its annotation says and one of its
    ``choices`` (settings files can hold anything; the command line gives text); a
    ``RunError`` names the setting, what it must be and what it got."""
    for f in dataclasses.fields(settings):
        value = getattr(settings, f.name)
        annotation = str(f.type)
        kinds, words = _KINDS[annotation.removesuffix(" | None")]
        if dataclasses.is_dataclass(value) or (value is None and annotation.endswith("None")):
            continue
        ok = isinstance(value, kinds) and not (isinstance(value, bool) and bool not in kinds)
        if annotation == "tuple[int, ...]" and ok:
            ok = all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value)
            words = "a list of positive whole numbers"
        if not ok:
            raise RunError(f"{named(f)} must be {words}, got {value!r}")
        choices = f.metadata.get("choices")
        if choices and value not in choices:
            raise RunError(f"{named(f)} must be one of {', '.join(choices)}, got {value!r}")


def toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, list, tuple)):
        return (
            repr(value)
            if not isinstance(value, (list, tuple))
            else "[" + ", ".join(map(toml_value, value)) + "]"
        )
    # a TOML basic string: JSON's escapes are TOML's, except that TOML has no surrogate
    # pairs, so characters outside ASCII are written as they are (TOML files are UTF-8)
    return json.dumps(str(value), ensure_ascii=False)
