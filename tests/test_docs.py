"""The examples in the docstrings run and print what they say."""

from __future__ import annotations

import doctest
import importlib
import json
import pkgutil

import pytest

import tsgan

# every module of the package (a new module's examples run without anyone listing it)
MODULES = sorted(
    m.name
    for m in pkgutil.walk_packages(tsgan.__path__, prefix="tsgan.")
    if not m.name.endswith("__main__")
)


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


def readme_block(heading: str) -> str:
    """The first Python block of the README section under ``## heading``."""
    from .conftest import ROOT

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return text.split(f"## {heading}\n", 1)[1].split("```python", 1)[1].split("```", 1)[0]


def project_folder(tmp_path, shared_data):
    """A folder with ../shared beside it, as a clone of the repository has."""
    work = tmp_path / "project"
    work.mkdir()
    (tmp_path / "shared").symlink_to(shared_data.parent, target_is_directory=True)
    return work


@pytest.mark.slow
def test_readme_python_example_runs_as_written(shared_data, tmp_path, monkeypatch):
    """The README's Python API block, verbatim, from a folder with ../shared beside it."""
    work = project_folder(tmp_path, shared_data)
    monkeypatch.chdir(work)
    namespace: dict = {}
    exec(compile(readme_block("Python API"), "README.md (Python API)", "exec"), namespace)
    assert namespace["scenarios"].shape == (1000, 24)
    assert list(namespace["scenarios"].columns) == tsgan.hour_columns()
    assert namespace["scores"]["energy_distance"] > 0  # the held-out days' scores
    assert namespace["five"].shape == (5, 24) and 0 < namespace["five"].mean() < 300
    assert (work / "runs" / "api" / "model.keras").is_file()
    assert (work / "runs" / "api" / "training.gif").is_file()
    days = namespace["days"]
    np = namespace["np"]
    np.testing.assert_allclose(
        days.groupby("date")[tsgan.hour_columns()].mean().mean(axis=1),
        [60.0, 95.0],
        rtol=1e-6,
    )


@pytest.mark.slow
def test_readme_animation_example_runs_as_written(curves, tmp_path, monkeypatch):
    """The README's render_animation block, on two tiny runs where the README's commands put theirs."""
    from PIL import Image

    block = readme_block("Animations")
    monkeypatch.chdir(tmp_path)
    tiny = {"latent_dim": 4, "generator_units": (16,), "discriminator_units": (16,)}
    for name, loss in (("bce", "bce"), ("wgan", "wgan-gp")):
        gan = tsgan.PriceGAN(**tiny, loss=loss)
        anim = tsgan.TrainingAnimation(f"runs/{name}/training.gif", real=curves)
        gan.fit(curves, epochs=3, batch_size=64, verbose=0, callbacks=[anim])
    exec(compile(block, "README.md (Animations)", "exec"), {"tsgan": tsgan})
    with Image.open(tmp_path / "runs" / "compare.gif") as gif:
        assert gif.size == (2 * 720, 288) and gif.n_frames == 3  # the default frame size


@pytest.mark.slow
def test_readme_evaluation_example_runs_as_written(shared_data, tmp_path, monkeypatch, capsys):
    """The README's tsgan.evaluate_generator block, with a small model where the README's command puts one."""
    work = project_folder(tmp_path, shared_data)
    monkeypatch.chdir(work)
    curves = tsgan.daily_curves(tsgan.load_prices(shared_data / "energy_charts_de_lu"))
    gan = tsgan.PriceGAN(latent_dim=4, generator_units=(16,), discriminator_units=(16,))
    gan.fit(curves.loc["2023":"2024"], epochs=2, batch_size=64, verbose=0)
    (work / "runs" / "de-lu").mkdir(parents=True)
    gan.save(work / "runs" / "de-lu" / "model.keras")
    namespace: dict = {}
    exec(compile(readme_block("How good are the scenarios?"), "README.md", "exec"), namespace)
    results = namespace["results"]
    assert {"model", "gaussian_copula", "bootstrap"} <= set(results["full"])
    printed = capsys.readouterr().out  # the score table: a row per generator
    table = results.to_frame()
    assert printed.strip() == str(table).strip()
    assert table.loc["model", "delta_es"] == results["matched"]["model"]["delta_es"]["mean"]
    assert json.loads(json.dumps(results)) == results  # JSON-ready, as the README says
    assert (work / "runs" / "profile_bands.png").stat().st_size > 10_000


def readme_commands() -> list[list[str]]:
    """Every ``tsgan`` and ``python scripts/...`` command in the README's shell blocks."""
    import re
    import shlex

    from .conftest import ROOT

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", text, re.S):
        for line in block.replace("\\\n", " ").splitlines():
            for part in line.split("  #", 1)[0].split("&&"):
                argv = shlex.split(part.strip())
                if argv and argv[0] in ("tsgan", "python"):
                    commands.append(argv)
    return commands


def test_readme_shell_commands_are_valid():
    """Each README command names a real script, or parses with tsgan's own parser: a renamed
    or removed flag fails here, not in a reader's terminal (running them all would mean
    training for minutes and fetching from the network)."""
    from tsgan.cli import build_parser

    from .conftest import ROOT

    commands = readme_commands()
    assert sum(c[0] == "tsgan" for c in commands) >= 15
    for argv in commands:
        if argv[0] == "python":
            assert (ROOT / argv[1]).is_file() or argv[1] == "-m", argv
            continue
        try:
            build_parser().parse_args(argv[1:])
        except SystemExit as stop:
            raise AssertionError(f"README: {' '.join(argv)}: not a valid command") from stop
