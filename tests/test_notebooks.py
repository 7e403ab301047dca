"""Every notebook runs end to end at a small setting."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def test_notebooks_are_there_without_outputs():
    assert [p.name for p in NOTEBOOKS] == [
        "01_explore_prices.ipynb",
        "02_train_and_animate.ipynb",
        "03_scenarios_for_a_day.ipynb",
        "04_scenarios_for_tomorrow.ipynb",
    ]
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), path.name


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs(path, shared_data, monkeypatch):
    monkeypatch.setenv("TSGAN_NOTEBOOK_SMALL", "1")
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "3")
    nb = nbformat.read(path, as_version=4)
    NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    ).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert any(
        "image/png" in o.get("data", {}) or "image/gif" in o.get("data", {}) for o in outputs
    )


def test_each_notebook_names_one_variable_for_your_own_file():
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        first = next(c for c in nb.cells if c.cell_type == "code")
        assert "\nDATA = " in "\n" + first.source, path.name
        assert "DATA" in nb.cells[0].source, path.name  # the first text says how


def test_rendered_copies_keep_reports_and_tables_and_name_no_temporary_folder():
    """docs/notebooks/README.md, as scripts/render_notebooks.py writes it."""
    import tempfile

    text = (NOTEBOOKS[0].parents[1] / "docs" / "notebooks" / "README.md").read_text()
    assert tempfile.gettempdir() + "/" not in text and "/tmp/" not in text
    part = text.split("# [03_scenarios_for_a_day.ipynb]", 1)[1]
    assert "| model |" in part or "| model " in part  # the Markdown report of the evaluation
    assert "outside" in part or "inside the 90% band" in part  # the band, said in a sentence
    assert "<table" in text  # DataFrames as tables
