"""Run the notebooks at full size and export their figures, so visitors see them unrun.

Usage: python scripts/render_notebooks.py

Each notebook in ``notebooks/`` is executed (with ``../shared/data`` beside the repository,
as the test suite does, but not shrunk), and every PNG it displays is written to
``docs/notebooks/<notebook>-<n>.png``; ``docs/notebooks/README.md`` shows them in order,
with the notebook's markdown, printed text, tables and Markdown reports between them
(temporary folders named as such, not by their path). The notebooks in
``notebooks/`` stay without outputs. Run it again after changing a notebook.
"""

from __future__ import annotations

import argparse
import base64
import os
import re
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "notebooks"


def export(path: Path) -> list[str]:
    """Execute one notebook; write its PNGs; return its part of the index (markdown lines)."""
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(
        nb, timeout=1800, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    ).execute()
    lines = [f"# [{path.name}](../../notebooks/{path.name})", ""]
    n = 0
    for cell in nb.cells:
        if cell.cell_type == "markdown":  # headings one level down: under the notebook's
            lines += [_headings_down(cell.source), ""]
            continue
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                raise RuntimeError(f"{path.name}: {output.ename}: {output.evalue}")
            png = output.get("data", {}).get("image/png")
            if png:
                n += 1
                name = f"{path.stem}-{n}.png"
                (OUT / name).write_bytes(base64.b64decode(png))
                lines += [f"![{path.stem}, figure {n}]({name})", ""]
            elif output.output_type == "stream" and output.get("name") == "stdout":
                lines += ["```text", output.text.rstrip(), "```", ""]
            elif output.output_type == "stream" and output.get("name") == "stderr":
                continue  # warnings and progress: not part of the story
            elif "image/gif" in output.get("data", {}):  # animations: too big for docs/
                lines += ["*(an animation: run the notebook, or see the README's)*", ""]
            elif "text/markdown" in output.get("data", {}):  # reports: as the notebook shows them
                lines += [_headings_down(output["data"]["text/markdown"].rstrip()), ""]
            elif "text/html" in output.get("data", {}) and "<table" in output["data"]["text/html"]:
                lines += [plain_table(output["data"]["text/html"]), ""]  # GitHub shows HTML
            elif "text/plain" in output.get("data", {}):  # values
                text = output["data"]["text/plain"].rstrip()
                if not text.startswith("<"):  # not a bare object repr
                    lines += ["```text", text, "```", ""]
    print(f"{path.name}: {n} figures in {time.perf_counter() - start:.0f} s", flush=True)
    return [_no_temporary_paths(line) for line in lines]


def plain_table(html: str) -> str:
    """A DataFrame's HTML without Jupyter's ``<style>`` block and wrapping ``<div>`` (GitHub
    would print the style as text)."""
    html = re.sub(r"<style.*?</style>", "", html, flags=re.DOTALL)
    html = re.sub(r"^\s*<div>|</div>\s*$", "", html.strip())
    return html.strip()


def _headings_down(markdown: str) -> str:
    """Headings one level down: under the notebook's own."""
    return "\n".join("##" + ln if ln.startswith("#") else ln for ln in markdown.splitlines())


def _no_temporary_paths(text: str) -> str:
    """A temporary folder of the run (``/tmp/tsgan-...``) is nobody else's: named as such."""
    return re.sub(re.escape(tempfile.gettempdir()) + r"/[^\s'\"),]+", "<a temporary folder>", text)


def main() -> None:
    argparse.ArgumentParser(description=__doc__).parse_args()
    os.environ.pop("TSGAN_NOTEBOOK_SMALL", None)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    OUT.mkdir(parents=True, exist_ok=True)
    index = [
        "# The notebooks, run",
        "",
        "Figures and printed output of the notebooks in `notebooks/`, run in full on the real",
        "DE-LU data by `python scripts/render_notebooks.py` (the notebooks themselves are kept",
        "without outputs). Data: Bundesnetzagentur | SMARD.de (CC BY 4.0), via Energy-Charts.",
        "",
    ]
    for old in OUT.glob("*.png"):
        old.unlink()
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        index += export(path)
    (OUT / "README.md").write_text("\n".join(index) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
