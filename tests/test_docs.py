"""The examples in the docstrings run and print what they say."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "tsgan.atomic",
    "tsgan.callbacks",
    "tsgan.config",
    "tsgan.data.calendar",
    "tsgan.data.curves",
    "tsgan.data.demo",
    "tsgan.data.errors",
    "tsgan.data.formats",
    "tsgan.data.prices",
    "tsgan.data.zones",
    "tsgan.evaluate.baselines",
    "tsgan.evaluate.metrics",
    "tsgan.evaluate.report",
    "tsgan.gifwriter",
    "tsgan.model",
    "tsgan.plotting",
    "tsgan.train",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # examples that write files write them here
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"


def test_atomic_files_get_the_usual_permissions(tmp_path):
    import os

    from tsgan.atomic import write_atomic

    write_atomic(tmp_path / "a.txt", "x")
    mask = os.umask(0)
    os.umask(mask)
    assert (tmp_path / "a.txt").stat().st_mode & 0o777 == 0o666 & ~mask
