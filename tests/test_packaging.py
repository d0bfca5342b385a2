"""What the published files hold: the wheel and the sdist built from this checkout.

``.ci/run``'s artifact phase builds both once and names them in ``TINYGRAD_LR_WHEEL`` and
``TINYGRAD_LR_SDIST``; a developer's run builds them here (hatchling, no isolation: a
second or two).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

import tinygrad_lr as tg

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory) -> dict[str, Path]:
    given = {kind: os.environ.get(f"TINYGRAD_LR_{kind.upper()}") for kind in ("wheel", "sdist")}
    if all(given.values()):
        return {kind: Path(path) for kind, path in given.items()}
    pytest.importorskip("build")
    pytest.importorskip("hatchling")
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--wheel", "--sdist",
                    "--outdir", str(out), str(ROOT)], check=True, capture_output=True)
    return {"wheel": next(out.glob("*.whl")), "sdist": next(out.glob("*.tar.gz"))}


def _wheel_names(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def _sdist_names(sdist: Path) -> set[str]:
    with tarfile.open(sdist) as archive:
        return {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}


def test_the_wheel_holds_the_license_the_type_marker_the_dataset_and_the_stubs(artifacts):
    names = _wheel_names(artifacts["wheel"])
    dist_info = f"tinygrad_lr-{tg.__version__}.dist-info"
    assert f"{dist_info}/licenses/LICENSE" in names
    assert "tinygrad_lr/py.typed" in names
    assert "tinygrad_lr/datasets/data/breast_cancer.csv" in names
    stubs = {str(path.relative_to(ROOT)) for path in (ROOT / "tinygrad_lr").rglob("*.pyi")}
    assert stubs <= names, sorted(stubs - names)
    with zipfile.ZipFile(artifacts["wheel"]) as archive:
        metadata = archive.read(f"{dist_info}/METADATA").decode()
    assert f"Version: {tg.__version__}" in metadata.splitlines()
    assert "License-Expression: MIT" in metadata.splitlines()
    assert "Classifier: Typing :: Typed" in metadata.splitlines()
    # development tools are dependency groups, never extras a user sees
    extras = {line.split(":", 1)[1].strip() for line in metadata.splitlines()
              if line.startswith("Provides-Extra:")}
    assert extras == {"viz", "svg", "cli", "plot", "sklearn", "scipy", "dask", "demo",
                      "notebook"}


def test_the_sdist_leaves_out_regenerated_pictures_but_keeps_the_readme_one(artifacts):
    names = _sdist_names(artifacts["sdist"])
    assert "LICENSE" in names and "pyproject.toml" in names
    assert "tinygrad_lr/py.typed" in names
    # the README shows this picture; the rest of docs/images/tutorial is redrawn by make docs
    assert "docs/images/tutorial/backward.png" in (ROOT / "README.md").read_text()
    assert "docs/images/tutorial/backward.png" in names
    regenerated = [name for name in names if name.startswith("docs/images/")
                   and name not in {"docs/images/tutorial/backward.png",
                                    "docs/images/performance.png",
                                    "docs/images/traced_program.png",
                                    "docs/images/traced_program_before_rewrites.png"}]
    assert regenerated == []
    assert artifacts["sdist"].stat().st_size < 1_500_000


def test_version_comes_from_one_place_and_the_command_prints_it():
    result = subprocess.run([sys.executable, "-m", "tinygrad_lr", "--version"],
                            capture_output=True, text=True, check=True)
    assert result.stdout.strip() == f"tinygrad-lr {tg.__version__}"
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert 'dynamic = ["version"]' in pyproject
    assert tg.__version__ not in pyproject
