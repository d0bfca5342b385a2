"""The documentation site builds without a warning and its API page covers every public name."""

import importlib
import inspect
import re
import subprocess
import sys
from pathlib import Path

import pytest

import tinygrad_lr as tg

ROOT = Path(__file__).resolve().parents[2]
PUBLIC_PACKAGES = ["tinygrad_lr", "tinygrad_lr.nn", "tinygrad_lr.optim", "tinygrad_lr.models",
                   "tinygrad_lr.datasets", "tinygrad_lr.viz"]
# Public names outside an __all__: the losses of functional, the derivation helpers, the CLI.
MORE_PUBLIC_NAMES = [
    "tinygrad_lr.functional.binary_cross_entropy",
    "tinygrad_lr.functional.binary_cross_entropy_with_logits",
    "tinygrad_lr.functional.mse_loss", "tinygrad_lr.functional.cross_entropy",
    "tinygrad_lr.registry.unregister_op", "tinygrad_lr.models.derivation.LECTURE_EXAMPLE",
    "tinygrad_lr.cli.main", "tinygrad_lr.cli.build_parser",
]


def public_names() -> list[str]:
    names = [f"{package}.{name}" for package in PUBLIC_PACKAGES
             for name in importlib.import_module(package).__all__]
    derivation = importlib.import_module("tinygrad_lr.models.derivation")
    names += [f"{derivation.__name__}.{name}" for name, value in vars(derivation).items()
              if not name.startswith("_") and callable(value)
              and getattr(value, "__module__", None) == derivation.__name__]
    return names + MORE_PUBLIC_NAMES


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    pytest.importorskip("mkdocs")
    pytest.importorskip("mkdocstrings")
    out = tmp_path_factory.mktemp("site")
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q",
                             "--site-dir", str(out)], cwd=ROOT, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, f"mkdocs build --strict failed:\n{result.stderr}"
    return out, result


def test_site_builds_without_warnings(site):
    out, result = site
    assert "WARNING" not in result.stderr, result.stderr
    for page in ("index.html", "tutorial/index.html", "api/index.html",
                 "autograd/index.html", "extending/index.html", "visualization/index.html",
                 "logistic_regression/index.html", "performance/index.html"):
        assert (out / page).is_file(), page
    assert (out / "images" / "tutorial" / "steps.html").is_file()


def test_api_reference_covers_every_public_name(site):
    out, _ = site
    api = (out / "api" / "index.html").read_text(encoding="utf-8")
    anchors = set(re.findall(r'id="(tinygrad_lr[\w.]*)"', api))
    missing = [name for name in public_names() if name not in anchors]
    assert not missing, f"docs/api.md does not document {missing}"
    assert len(public_names()) > 80


def test_api_reference_lists_every_registered_op_from_the_registry(site):
    out, _ = site
    api = (out / "api" / "index.html").read_text(encoding="utf-8")
    start = api.index("<th>op</th>")
    table = api[start:api.index("</table>", start)]
    listed = re.findall(r"<tr>\s*<td><code>(\w+)</code></td>", table)
    assert listed == list(tg.registered_ops())
    # The columns come from the registration: the sigmoid's method and local derivative.
    row = table[table.index("<code>sigmoid</code>"):].split("</tr>")[0]
    assert "<code>sigmoid</code></td>" in row and "∂a/∂z = a(1−a)" in row


def test_docstring_examples_show_as_code(site):
    out, _ = site
    api = (out / "api" / "index.html").read_text(encoding="utf-8")
    assert 'class="language-pycon"' in api
    assert "&gt;&gt;&gt; w = tg.Tensor([1.0, -2.0], requires_grad=True" in api
    assert "<blockquote>" not in api  # ">>>" read as Markdown would nest quotes


def test_api_page_summary_names_exist_in_their_modules():
    """The table at the top of api.md, read on a code host where the directives show raw."""
    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    table = text[text.index("| module |"):text.index("\n\n", text.index("| module |"))]
    rows = [row.split("|")[1:-1] for row in table.splitlines()[2:]]
    assert {re.findall(r"`([\w.]+)`", module)[0] for module, _, _ in rows} >= set(
        PUBLIC_PACKAGES) | {"tinygrad_lr.functional", "tinygrad_lr.cli"}
    for module, _, names in rows:
        found = importlib.import_module(re.findall(r"`([\w.]+)`", module)[0])
        missing = [n for n in re.findall(r"`(\w+)`", names) if not hasattr(found, n)]
        assert not missing, f"api.md's summary names {missing}, not in {found.__name__}"
    assert text.index("| module |") < text.index("::: ")


def test_every_public_name_has_a_docstring():
    undocumented = []
    for dotted in public_names():
        module, _, name = dotted.rpartition(".")
        value = getattr(importlib.import_module(module), name)
        if isinstance(value, (str, tuple, dict)):
            continue  # constants: described in the pages and api.md
        if not inspect.getdoc(value):
            undocumented.append(dotted)
    assert not undocumented


def test_doctest_fences_wrap_prompts_and_leave_code_blocks_alone():
    spec = importlib.util.spec_from_file_location("doctest_blocks",
                                                  ROOT / "docs" / "hooks" / "doctest_blocks.py")
    hook = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hook)
    lines = ["Text.", "", ">>> 1 + 1", "2", "", "```python", ">>> kept", "```", "  >>> x", "  1"]
    assert hook.DoctestFences(None).run(lines) == [
        "Text.", "", "```pycon", ">>> 1 + 1", "2", "```", "", "```python", ">>> kept", "```",
        "  ```pycon", "  >>> x", "  1", "  ```"]


def test_readme_states_the_number_of_built_in_ops():
    # (an op's forward may be a numpy ufunc, whose module is numpy's: its rule is ours)
    built_in = [name for name, found in tg.registered_ops().items()
                if any(f.__module__.startswith("tinygrad_lr.ops.")
                       for f in (found.forward, found.backward))]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    stated = f"numpy arrays, {len(built_in)} built-in ops"
    assert stated in readme, (
        f"the registry has {len(built_in)} built-in ops: write {stated!r} in README.md's "
        "comparison table (docs/extending.md, 'Adding an op to the package itself')")


def test_readme_and_pages_link_only_to_files_that_exist():
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        text = page.read_text(encoding="utf-8")
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
            if target.startswith(("http://", "https://", "mailto:")):
                continue
            assert (page.parent / target).exists(), f"{page.name} links to missing {target}"
