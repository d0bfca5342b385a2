"""The architecture page and its picture follow the layers pyproject.toml declares: every
module of the package sits in one layer, the page names each one, and the imports the
picture draws all point down."""

import importlib.util
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "tinygrad_lr"
# not layers: the package's face, ``python -m tinygrad_lr``, the stub writer and the stub
OUTSIDE_THE_LAYERS = {"__init__", "__main__", "_stubgen", "_registered"}


def _script():
    spec = importlib.util.spec_from_file_location("make_architecture",
                                                  ROOT / "docs" / "make_architecture.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _package_modules() -> set[str]:
    names = {p.stem for p in PACKAGE.glob("*.py")} | {p.stem for p in PACKAGE.glob("*.pyi")}
    names |= {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}
    return names - OUTSIDE_THE_LAYERS


def test_every_module_of_the_package_sits_in_exactly_one_layer():
    placed = [module for layer in _script().layers() for module in layer]
    assert len(placed) == len(set(placed)), "a module is in two layers"
    missing = _package_modules() - set(placed)
    assert not missing, f"add {sorted(missing)} to a layer of [tool.importlinter]"
    assert set(placed) <= _package_modules(), "the contract names a module that is gone"


def test_the_documented_groups_cover_the_contract_bottom_to_top():
    script = _script()
    groups = script.groups()
    assert [name for name, _, _ in groups] == [
        "base", "core", "ops", "transforms", "building blocks", "models", "viz", "cli"]
    assert sorted(m for _, _, modules in groups for m in modules) == sorted(
        m for layer in script.layers() for m in layer)


def test_every_import_between_layers_points_down():
    script = _script()
    pairs = script.group_imports()
    assert pairs, "the import walk found nothing"
    assert all(upper > lower for upper, lower in pairs), sorted(pairs)
    imports = script.top_level_imports()
    # a few imports known to exist, read from the code (including one inside a function)
    assert {"tensor", "registry", "broadcasting"} <= imports["autograd"]
    assert "autograd" not in imports["tensor"] and "viz" not in imports["tensor"]
    assert "cli" in imports["__main__"]


def test_the_page_names_every_module_and_shows_the_picture():
    page = (ROOT / "docs" / "architecture.md").read_text()
    for module in _package_modules():
        assert f"`{module}" in page, f"docs/architecture.md does not mention {module}"
    assert "images/architecture.png" in page
    assert (ROOT / "docs" / "images" / "architecture.png").is_file()
    assert "architecture.md" in (ROOT / "mkdocs.yml").read_text()


def test_the_dot_source_lays_out_with_graphviz(tmp_path):
    dot = shutil.which("dot")
    if dot is None:
        pytest.skip("Graphviz's dot is not on PATH")
    source = _script().dot_source()
    assert "#cc3333" not in source  # no import going up
    out = tmp_path / "layers.png"
    subprocess.run([dot, "-Tpng", "-o", str(out)], input=source, text=True, check=True)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
