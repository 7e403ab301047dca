"""Bidding-zone names as the publishers spell them, mapped to short codes."""

from __future__ import annotations

import re

# Canonical code -> the names SMARD (German and English), ENTSO-E and people use for it.
ZONE_NAMES: dict[str, tuple[str, ...]] = {
    "DE-LU": ("Deutschland/Luxemburg", "Germany/Luxembourg", "DE_LU", "D_LU", "DELU"),
    "DE-AT-LU": ("DE/AT/LU", "DE_AT_LU", "Deutschland/Österreich/Luxemburg"),
    "DE-LU-neighbours": ("∅ Anrainer DE/LU", "∅ DE/LU neighbours", "Anrainer DE/LU"),
    "AT": ("Österreich", "Austria"),
    "BE": ("Belgien", "Belgium"),
    "CH": ("Schweiz", "Switzerland"),
    "CZ": ("Tschechien", "Czech Republic", "Czechia"),
    "DK1": ("Dänemark 1", "Denmark 1"),
    "DK2": ("Dänemark 2", "Denmark 2"),
    "FR": ("Frankreich", "France"),
    "HU": ("Ungarn", "Hungary"),
    "IT-North": ("Italien (Nord)", "Italy (North)", "IT-Nord", "IT_North"),
    "NL": ("Niederlande", "Netherlands"),
    "NO2": ("Norwegen 2", "Norway 2"),
    "PL": ("Polen", "Poland"),
    "SE4": ("Schweden 4", "Sweden 4"),
    "SI": ("Slowenien", "Slovenia"),
}

# German zones in the order tsgan prefers them when a file holds several and none is asked for.
GERMAN_ZONES = ("DE-LU", "DE-AT-LU")


def _key(text: str) -> str:
    text = text.lower().removeprefix("bzn|").strip()
    return re.sub(r"[^0-9a-zäöüß∅]", "", text)


_LOOKUP = {_key(code): code for code in ZONE_NAMES} | {
    _key(name): code for code, names in ZONE_NAMES.items() for name in names
}


def canonical_zone(text: str) -> str | None:
    """The short code of a zone name, or None when the name is not known.

    Args:
        text: a zone as written in a file or by a user (``"BZN|DE-LU"``, ``"Österreich"``).

    Example:
        >>> canonical_zone("Deutschland/Luxemburg [€/MWh] Originalauflösungen")
        'DE-LU'
    """
    name = text.split("[")[0].split("(EUR")[0].strip()
    if (code := _LOOKUP.get(_key(name))) is not None:
        return code
    # "Day Ahead Preise D_LU": the zone is the last word.
    return _LOOKUP.get(_key(name.split()[-1])) if name.split() else None
