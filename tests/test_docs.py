"""The examples in the docstrings run and print what they say."""

from __future__ import annotations

import doctest
import importlib
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


def test_readme_python_example_runs_as_written(shared_data, tmp_path, monkeypatch):
    """The README's Python API block, verbatim, from a folder with ../shared beside it."""
    from .conftest import ROOT

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("## Python API", 1)[1].split("```python", 1)[1].split("```", 1)[0]
    work = tmp_path / "project"
    work.mkdir()
    (tmp_path / "shared").symlink_to(shared_data.parent, target_is_directory=True)
    monkeypatch.chdir(work)
    namespace: dict = {}
    exec(compile(block, "README.md (Python API)", "exec"), namespace)
    assert namespace["scenarios"].shape == (1000, 24)
    assert namespace["five"].shape == (5, 24) and 0 < namespace["five"].mean() < 300
    assert (work / "runs" / "api" / "model.keras").is_file()
    assert (work / "runs" / "api" / "training.gif").is_file()
    days = namespace["days"]
    np = namespace["np"]
    np.testing.assert_allclose(
        days.groupby("date")[[f"h{h:02d}" for h in range(24)]].mean().mean(axis=1),
        [60.0, 95.0],
        rtol=1e-6,
    )


def test_readme_animation_example_runs_as_written(curves, tmp_path, monkeypatch):
    """The README's render_animation block, on two tiny runs where the README's commands put theirs."""
    from PIL import Image

    from .conftest import ROOT

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("## Animations", 1)[1].split("```python", 1)[1].split("```", 1)[0]
    monkeypatch.chdir(tmp_path)
    tiny = {"latent_dim": 4, "generator_units": (16,), "discriminator_units": (16,)}
    for name, loss in (("bce", "bce"), ("wgan", "wgan-gp")):
        gan = tsgan.PriceGAN(**tiny, loss=loss)
        anim = tsgan.TrainingAnimation(f"runs/{name}/training.gif", real=curves)
        gan.fit(curves, epochs=3, batch_size=64, verbose=0, callbacks=[anim])
    exec(compile(block, "README.md (Animations)", "exec"), {"tsgan": tsgan})
    with Image.open(tmp_path / "runs" / "compare.gif") as gif:
        assert gif.size == (2 * 960, 400) and gif.n_frames == 3
