"""The installed package: its metadata matches what the code needs and supports."""

from __future__ import annotations

import ast
import importlib.metadata
import importlib.resources
import os
import re
import subprocess
import sys

from .conftest import ROOT


def metadata():
    return importlib.metadata.metadata("tsgan")


def declared(*extras: str) -> set[str]:
    """The distributions tsgan requires, and those of these extras."""
    requires = metadata().get_all("Requires-Dist") or []
    chosen = [
        r for r in requires if "extra ==" not in r or any(f'extra == "{e}"' in r for e in extras)
    ]
    return {re.split(r"[<>=!~ ;\[]", r, maxsplit=1)[0].lower() for r in chosen}


def test_python_range_matches_the_code():
    meta = metadata()
    assert meta["Requires-Python"] == ">=3.11"  # tomllib (tsgan/settings.py) is 3.11+
    assert sys.version_info >= (3, 11)
    versions = [
        c.rsplit(" :: ", 1)[1]
        for c in meta.get_all("Classifier")
        if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)
    ]
    assert min(versions, key=lambda v: tuple(map(int, v.split(".")))) == "3.11"
    # the suite passed on each listed version (3.11 in CI; 3.13, the newest TensorFlow 2.21
    # has wheels for, in a fresh venv): a Python it runs on must be listed
    assert "{}.{}".format(*sys.version_info[:2]) in versions


def test_every_third_party_import_is_a_declared_dependency():
    modules = set()
    for path in (ROOT / "tsgan").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                modules |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.add(node.module.split(".")[0])
    third_party = modules - set(sys.stdlib_module_names) - {"tsgan"}
    dists = importlib.metadata.packages_distributions()
    missing = {
        name: dists.get(name)
        for name in third_party
        if not {d.lower() for d in dists.get(name, [name])} & declared("forecast", "video", "ray")
    }
    assert not missing, f"imported but not declared in pyproject.toml: {missing}"
    # an extra's library is imported where it is used (Keras itself imports scikit-learn
    # when it is installed, so the check is on the modules that do not import Keras)
    lazy = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, tsgan.evaluation.lear, tsgan.evaluation.backtest; print('sklearn' in sys.modules)",
        ],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    assert lazy.stdout.strip() == "False"


def test_licence_and_typing_marker_ship_with_the_package():
    meta = metadata()
    assert meta["License"] == "MIT"
    assert "LICENSE" in (meta.get_all("License-File") or [])
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
    assert importlib.resources.files("tsgan").joinpath("py.typed").is_file()


def test_extras_and_citation():
    extras = set(metadata().get_all("Provides-Extra") or [])
    assert {"test", "video", "notebooks", "dev"} <= extras
    citation = (ROOT / "CITATION.cff").read_text(encoding="utf-8")
    assert citation.startswith("cff-version: 1.2.0")
    # every data source tsgan credits is cited
    for publisher in ("Bundesnetzagentur | SMARD.de", "ENTSO-E", "Energy-Charts", "Lago"):
        assert publisher in citation, publisher
