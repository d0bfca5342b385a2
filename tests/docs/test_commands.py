"""What the README and the docs tell a reader to run works as written.

Every example script runs as its header says; every Python block of the README and of each
page runs, page by page, in a fresh interpreter; every shell command shown in a ```bash
block either runs here or has a stated reason not to (a new command needs one or the other).
Shell commands run as a reader types them after `. .venv/bin/activate`: in bash, in a
folder outside the repository. What needs Graphviz's dot (PNG, PDF) or any renderer skips
with the reason when it is missing, or draws SVG with the pip-only renderer.
The tutorial's code is run by tests/docs/test_tutorial.py.
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

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))
PAGES = [ROOT / "README.md", *sorted(p for p in (ROOT / "docs").glob("*.md")
                                     if p.name not in ("tutorial.md", "api.md"))]
FENCED = re.compile(r"^```(\w+)\n(.*?)^```", re.S | re.M)

# Commands shown in the docs that this file does not run, and why.
NOT_RUN = {
    "make test": "it is this test suite",
    "make demo": "it runs `tinygrad-lr demo`, which tests/cli/test_cli.py runs end to end",
    "make docs": "it rewrites tracked files; its steps are tested here and in tests/docs/",
    "make notebook": "it starts JupyterLab; tests/docs/test_tutorial.py runs the notebook",
    "make bench": "it takes minutes; tests/benchmarks/test_benchmarks.py runs its quick mode",
    "python -m benchmarks": "measurements; tests/benchmarks/test_benchmarks.py covers the CLI",
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


# Pictures a page's Python writes as PNG or PDF (Graphviz's dot only): without dot, as SVG.
IMAGE_FILE = re.compile(r'"([\w./-]+)\.(png|pdf)"')


@pytest.mark.parametrize("page", [p for p in PAGES if python_blocks(p)], ids=lambda p: p.name)
def test_python_blocks_of_the_page_run_in_order(page, tmp_path):
    script = "\n".join(f"# --- block {i} of {page.name}\n{code}"
                       for i, code in enumerate(python_blocks(page), 1))
    if "viz." in script and not viz.renderers():
        pytest.skip(f"{page.name} draws pictures: no Graphviz renderer here (neither the "
                    "'dot' program nor the [svg] extra's WebAssembly build)")
    if "dot" not in viz.renderers():
        script = IMAGE_FILE.sub(r'"\1.svg"', script)  # the pip-only renderer makes SVG only
    for command in shell_lines(page):  # the page's own `mkdir -p out`, as a reader ran it
        if command.startswith("mkdir "):
            run(["bash", "-c", command], cwd=tmp_path)
    (tmp_path / "blocks.py").write_text(script, encoding="utf-8")
    env = {**os.environ, "MPLBACKEND": "Agg"}
    run([sys.executable, "blocks.py"], cwd=tmp_path, env=env)


# ------------------------------------------------------------ shell commands
ACTIVATE = ". .venv/bin/activate"
# What the runner below runs, besides the commands in NOT_RUN: the CLI, the venv's
# activation, a folder for the outputs.
RUN = ("tinygrad-lr", ACTIVATE, "mkdir -p ", "printf ")


def shell_lines(page: Path) -> list[str]:
    """Every command line of the page's ```bash blocks, in order, comments removed."""
    found = []
    for language, code in FENCED.findall(page.read_text(encoding="utf-8")):
        if language in ("bash", "sh", "shell", "console"):
            for line in code.splitlines():
                command = line.split(" #")[0].strip()
                if command and not command.startswith("#"):
                    found.append(command)
    return found


SHELL_PAGES = [p for p in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
               if shell_lines(p)]


def shell_commands() -> list[tuple[str, str]]:
    """(page, command) for every line of every ```bash block of the README and the docs."""
    return [(page.name, command) for page in SHELL_PAGES for command in shell_lines(page)]


def not_run(command: str) -> bool:
    return any(command.startswith(prefix) for prefix in NOT_RUN) or (
        command.startswith(".venv/bin/") and not_run(command.removeprefix(".venv/bin/")))


@pytest.fixture
def user_files(tmp_path):
    """A reader's folder: the files the docs' commands name (data.csv with a 'diagnosis'
    column, new.csv) and .venv, the project's virtual environment (this test's own)."""
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
    if (BIN / "activate").is_file():
        (tmp_path / ".venv").symlink_to(BIN.parent, target_is_directory=True)
    else:  # tests run from an interpreter that is not a venv: activation = PATH only
        (tmp_path / ".venv" / "bin").mkdir(parents=True)
        (tmp_path / ".venv" / "bin" / "activate").write_text(f'PATH="{BIN}:$PATH"\n')
    return tmp_path


def test_every_shell_command_in_the_docs_is_run_or_has_a_reason_not_to():
    unknown = [(page, command) for page, command in shell_commands()
               if not not_run(command) and not command.startswith(RUN)]
    assert not unknown, f"add these to the runner or to NOT_RUN with a reason: {unknown}"
    assert len(shell_commands()) >= 10


def test_the_readme_says_how_to_activate_the_venv_before_its_commands():
    commands = shell_lines(ROOT / "README.md")
    first_cli = next(i for i, c in enumerate(commands) if c.startswith("tinygrad-lr"))
    assert ACTIVATE in commands[:first_cli]
    assert not any(c.startswith(".venv/bin/") for c in commands), "say it once: activate"


def renderer_for(command: str) -> bool:
    """Whether a renderer that this command's picture needs is installed here."""
    argv = shlex.split(command)
    if argv[:2] != ["tinygrad-lr", "graph"]:
        return True
    output = argv[argv.index("-o") + 1] if "-o" in argv else "graph.svg"
    if output.endswith((".dot", ".gv")):
        return True  # DOT text needs no renderer
    if output.endswith((".png", ".pdf")):
        return "dot" in viz.renderers()  # PNG and PDF need Graphviz's dot program
    return bool(viz.renderers())  # SVG, and the step-through page of SVG frames


@pytest.mark.parametrize("page", [p for p in SHELL_PAGES
                                  if not all(map(not_run, shell_lines(p)))],
                         ids=lambda p: p.name)
def test_shell_commands_run_as_a_reader_types_them_after_activating_the_venv(page,
                                                                           user_files):
    """Each line as typed, in bash, in a folder outside the repository, after activation."""
    commands = [c for c in shell_lines(page) if not not_run(c)]
    skipped = []
    for command in commands:
        if not renderer_for(command):
            skipped.append(command)
            continue
        run(["bash", "-c", f"{ACTIVATE} && {command}"], cwd=user_files)
        argv = shlex.split(command)
        if "-o" in argv:
            written = user_files / argv[argv.index("-o") + 1]
            assert written.stat().st_size > 0, command
    if page.name == "logistic_regression.md":  # the train -> predict walk-through
        train = ("tinygrad-lr train data.csv --target diagnosis --standardize "
                 "-o model.safetensors")
        assert commands.index(train) < commands.index(
            "tinygrad-lr predict model.safetensors new.csv")
        predictions = (user_files / "predictions.csv").read_text(encoding="utf-8")
        lines = predictions.splitlines()
        assert lines[0].startswith("prediction,probability_") and len(lines) == 21
    if skipped and len(skipped) == len(commands):
        pytest.skip(f"no Graphviz renderer for {skipped}")


def test_train_on_the_embedded_file_as_the_guide_shows(tmp_path):
    text = (ROOT / "docs" / "logistic_regression.md").read_text(encoding="utf-8")
    command = re.search(r"`(tinygrad-lr train \"\$\(python -c .*?\)\" [^`]*)`", text).group(1)
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    result = run(["bash", "-c", command], cwd=tmp_path, env=env)
    assert "accuracy" in (result.stdout + result.stderr).lower()
