"""What the README and the docs tell a reader to run works as written.

Every example script runs as its header says; every Python block of the README and of each
page runs, page by page, in a fresh interpreter; every shell command shown in a ```bash
block either runs here or has a stated reason not to (a new command needs one or the other).
The tutorial's code is run by tests/test_docs_tutorial.py.
"""

import ast
import csv
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tinygrad_lr import viz
from tinygrad_lr.datasets import breast_cancer_path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))
PAGES = [ROOT / "README.md", *sorted(p for p in (ROOT / "docs").glob("*.md")
                                     if p.name not in ("tutorial.md", "api.md"))]
FENCED = re.compile(r"^```(\w+)\n(.*?)^```", re.S | re.M)

# Commands shown in the docs that this file does not run, and why.
NOT_RUN = {
    "make test": "it is this test suite",
    "make demo": "it runs `tinygrad-lr demo`, which tests/test_cli.py runs end to end",
    "make docs": "it rewrites tracked files; its steps are tested here and in test_docs_*.py",
    "make bench": "it takes minutes; tests/test_benchmarks.py runs the suite's quick mode",
    "python -m benchmarks": "measurements; tests/test_benchmarks.py covers the CLI",
}


def run(argv, cwd, timeout=120, env=None) -> subprocess.CompletedProcess:
    result = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                            env=env)
    assert result.returncode == 0, (
        f"{' '.join(map(str, argv))} exited {result.returncode}\n{result.stdout[-2000:]}\n"
        f"{result.stderr[-3000:]}")
    return result


# ------------------------------------------------------------------- examples
def header_commands(path: Path) -> list[str]:
    """The ``python examples/NAME.py ...`` lines of a script's docstring, options in [] dropped."""
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    commands = []
    for line in doc.splitlines():
        found = re.search(rf"python (examples/{re.escape(path.name)}[^#\n]*)", line)
        if found:
            commands.append(re.sub(r"\[[^\]]*\]", "", found.group(1)).strip())
    return commands


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_header_says_what_it_shows_and_how_to_run_it(path):
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
    assert doc and len(doc.splitlines()[0]) > 20, f"{path.name} needs a header docstring"
    assert header_commands(path), f"{path.name}'s header should say `python examples/...`"


@pytest.mark.parametrize("command", [c for p in EXAMPLES for c in header_commands(p)])
def test_example_runs_as_its_header_says(command, tmp_path):
    argv = shlex.split(command)
    if argv[0] == "examples/render_graph.py" and not viz.renderers():
        pytest.skip("no Graphviz renderer: render_graph.py writes DOT only")
    result = run([sys.executable, ROOT / argv[0], *argv[1:]], cwd=tmp_path)
    assert result.stdout.strip(), f"{command} printed nothing"
    if "--plot" in argv:
        assert (tmp_path / argv[argv.index("--plot") + 1]).stat().st_size > 10_000
    if argv[0] == "examples/render_graph.py":
        assert {"forward.svg", "backward.svg", "lecture.svg", "steps.html"} <= {
            p.name for p in (tmp_path / "graphs").iterdir()}


def test_batch_example_gradients_equal_the_formulas_and_it_learns():
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "batch_logistic_regression", ROOT / "examples" / "batch_logistic_regression.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    result = module.main(["--steps", "60"])
    assert result["largest_gap"] < 1e-12
    assert result["costs"][0] == pytest.approx(0.6931471805599453)  # log 2 at w = 0, b = 0
    assert all(b < a for a, b in zip(result["costs"], result["costs"][1:]))
    assert result["test_accuracy"] > 0.95


# ---------------------------------------------------------- python blocks in docs
def python_blocks(page: Path) -> list[str]:
    return [code for language, code in FENCED.findall(page.read_text(encoding="utf-8"))
            if language == "python"]


@pytest.mark.parametrize("page", [p for p in PAGES if python_blocks(p)], ids=lambda p: p.name)
def test_python_blocks_of_the_page_run_in_order(page, tmp_path):
    script = "\n".join(f"# --- block {i} of {page.name}\n{code}"
                       for i, code in enumerate(python_blocks(page), 1))
    (tmp_path / "blocks.py").write_text(script, encoding="utf-8")
    env = {**os.environ, "MPLBACKEND": "Agg"}
    run([sys.executable, "blocks.py"], cwd=tmp_path, env=env)


# ------------------------------------------------------------ shell commands
def shell_commands() -> list[tuple[str, str]]:
    """(page, command) for every line of every ```bash block, comments removed."""
    found = []
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for language, code in FENCED.findall(page.read_text(encoding="utf-8")):
            if language in ("bash", "sh", "shell", "console"):
                for line in code.splitlines():
                    command = line.split(" #")[0].strip()
                    command = command.removeprefix(".venv/bin/")  # the venv's console script
                    if command and not command.startswith("#"):
                        found.append((page.name, command))
    return found


@pytest.fixture
def user_files(tmp_path):
    """The files the docs' commands name: data.csv with a 'diagnosis' column, new.csv."""
    with open(breast_cancer_path(), newline="", encoding="utf-8") as source:
        rows = list(csv.reader(source))
    header, body = rows[0], rows[1:]
    target = header.index("malignant")
    with open(tmp_path / "data.csv", "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow([*header[:target], "diagnosis", *header[target + 1:]])
        writer.writerows([*r[:target], "M" if r[target] == "1" else "B", *r[target + 1:]]
                         for r in body)
    with open(tmp_path / "new.csv", "w", newline="", encoding="utf-8") as out:
        csv.writer(out).writerows([header[:target] + header[target + 1:],
                                   *(r[:target] + r[target + 1:] for r in body[:20])])
    return tmp_path


def test_every_shell_command_in_the_docs_is_run_or_has_a_reason_not_to():
    unknown = [(page, command) for page, command in shell_commands()
               if not command.startswith("tinygrad-lr ") and command != "tinygrad-lr"
               and not any(command.startswith(prefix) for prefix in NOT_RUN)]
    assert not unknown, f"add these to the runner or to NOT_RUN with a reason: {unknown}"
    assert len(shell_commands()) >= 10


def test_cli_commands_in_the_docs_run_as_written(user_files):
    commands = [c for _, c in shell_commands() if c.split()[0] == "tinygrad-lr"]
    # Commands of the train -> predict walk-through come in the order the page shows them.
    assert commands.index("tinygrad-lr train data.csv --target diagnosis --standardize "
                          "-o model.npz") < commands.index("tinygrad-lr predict model.npz new.csv")
    for command in commands:
        argv = shlex.split(command)
        if any(a.endswith((".png", ".pdf")) for a in argv) and "dot" not in viz.renderers():
            continue  # PNG and PDF need Graphviz's dot program
        run([BIN / "tinygrad-lr", *argv[1:]], cwd=user_files)
        if "-o" in argv:
            assert (user_files / argv[argv.index("-o") + 1]).stat().st_size > 0, command
    predictions = (user_files / "predictions.csv").read_text(encoding="utf-8").splitlines()
    assert predictions[0].startswith("prediction,probability_") and len(predictions) == 21


def test_train_on_the_embedded_file_as_the_guide_shows(tmp_path):
    text = (ROOT / "docs" / "logistic_regression.md").read_text(encoding="utf-8")
    command = re.search(r"`(tinygrad-lr train \"\$\(python -c .*?\)\" [^`]*)`", text).group(1)
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    result = run(["bash", "-c", command], cwd=tmp_path, env=env)
    assert "accuracy" in (result.stdout + result.stderr).lower()
