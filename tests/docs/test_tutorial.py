"""The tutorial shows what the code computes today, and those numbers are right.

Two kinds of check: the tutorial's code is run again and must print what the page shows
(and the notebook must be the page's code); the printed numbers are compared with closed
forms and with a plain-numpy implementation written here, independent of the engine.
"""

import importlib.util
import json
import re
import sys
from pathlib import Path

import numpy as np
import pytest

from tinygrad_lr import viz
from tinygrad_lr.datasets import load_breast_cancer, train_test_split

ROOT = Path(__file__).resolve().parents[2]
NUMBER = re.compile(r"[-−]?\d+(?:\.\d+)?(?:e[-+]?\d+)?")


def load_generator():
    path = ROOT / "docs" / "make_tutorial.py"
    spec = importlib.util.spec_from_file_location("make_tutorial", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


make_tutorial = load_generator()
PAGE = make_tutorial.TUTORIAL.read_text(encoding="utf-8")
OUTPUTS = [s.text for s in make_tutorial.parse(PAGE) if s.kind == "output"]


def number(text: str) -> float:
    return float(text.replace("−", "-"))


def numbers(text: str) -> list[float]:
    return [number(n) for n in NUMBER.findall(text)]


def output_starting(prefix: str) -> str:
    """The one output block of the page whose text starts with ``prefix``."""
    found = [text for text in OUTPUTS if text.lstrip().startswith(prefix)]
    assert len(found) == 1, f"expected one output block starting {prefix!r}, found {len(found)}"
    return found[0]


def values_after(text: str, label: str) -> list[float]:
    """The numbers on the line that starts with ``label`` (after the label itself)."""
    line = next(line for line in text.splitlines() if line.lstrip().startswith(label))
    return numbers(line.lstrip()[len(label):])


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


# ------------------------------------------------------------- page == code today
def differences(committed: str, fresh: str) -> list[str]:
    """Where two texts differ beyond the last printed digit of a number."""
    if NUMBER.split(committed) != NUMBER.split(fresh):
        return ["the text around the numbers differs"]
    found = []
    for old, new in zip(NUMBER.findall(committed), NUMBER.findall(fresh)):
        if not np.isclose(number(old), number(new), rtol=1e-6, atol=1e-12):
            found.append(f"{old} on the page, {new} computed today")
    return found


def test_the_page_prints_bounds_not_rounding_noise():
    """A number below 1e-12 is rounding error whose digits vary from machine to machine:
    the page prints a bound (``< 1e-15``), so `make docs` leaves the page as it was."""
    noise = [(found.group(), text.splitlines()[0]) for text in OUTPUTS
             for found in NUMBER.finditer(text)
             if 0 < abs(number(found.group())) < 1e-12
             and not text[:found.start()].endswith("< ")]
    assert not noise, f"print a bound instead of {noise}"


def test_differences_sees_a_changed_number_and_a_changed_word():
    assert differences("dz -0.450166", "dz -0.450166") == []
    assert differences("diff 3.5e-17", "diff 2.8e-17") == []
    assert differences("dz -0.450166", "dz -0.450167") == ["-0.450166 on the page, -0.450167 "
                                                           "computed today"]
    assert differences("dz -0.45", "dw -0.45") == ["the text around the numbers differs"]


@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory):
    if "dot" not in viz.renderers():
        pytest.skip("the tutorial's pictures need the Graphviz 'dot' program")
    workdir = tmp_path_factory.mktemp("tutorial")
    page, book = make_tutorial.build(workdir)
    return workdir, page, book


def test_page_prints_what_the_code_computes_today(rebuilt):
    _, page, _ = rebuilt
    found = differences(PAGE, page)
    if found:
        import difflib

        diff = "".join(difflib.unified_diff(PAGE.splitlines(True), page.splitlines(True),
                                            "docs/tutorial.md", "computed today"))
        pytest.fail("docs/tutorial.md is out of date (run `python docs/make_tutorial.py`): "
                    f"{found[:5]}\n{diff}")


def test_every_picture_the_page_shows_is_drawn_by_its_code_and_committed(rebuilt):
    workdir, page, _ = rebuilt
    shown = make_tutorial.pictures(page)
    assert {"forward.png", "backward_da.png", "backward_dz.png", "backward.png", "batch.png",
            "loss_curve.png", "second_derivative.png", "steps.html"} <= set(shown)
    for name in shown:
        assert (workdir / name).stat().st_size > 1000, name
        assert (make_tutorial.IMAGES / name).is_file(), f"{name} is not committed"
    committed = {p.name for p in make_tutorial.IMAGES.iterdir()}
    assert committed == set(shown), "docs/images/tutorial holds files the page does not use"


def test_notebook_is_the_page_code_and_prose(rebuilt):
    _, _, book = rebuilt
    assert make_tutorial.NOTEBOOK.read_text(encoding="utf-8") == book, (
        "examples/tutorial.ipynb is out of date: run `python docs/make_tutorial.py`")


def test_notebook_draws_inline_where_the_page_writes_files():
    cells = json.loads(make_tutorial.NOTEBOOK.read_text(encoding="utf-8"))["cells"]
    code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    prose = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    assert 'viz.draw(L, view="lecture")' in code and "viz.render(L," not in code
    assert 'viz.draw(L, view="backward", step=2)' in code
    assert "images/tutorial/" not in prose
    assert "](out/steps.html)" in prose and "](out/batch_steps.html)" in prose
    assert "](../docs/autograd.md)" in prose


def test_parse_and_page_text_round_trip_and_refresh_outputs():
    page = ("# T\n\n```python\nprint(1)\n```\n\n```text\nold\n```\n\n"
            "prose\n\n```python\nx = 2\n```\n")
    segments = make_tutorial.parse(page)
    assert [s.kind for s in segments] == ["markdown", "code", "output", "markdown", "code",
                                          "markdown"]
    assert make_tutorial.page_text(segments, ["1", ""]) == page.replace("old", "1")
    assert make_tutorial.page_text(segments, ["", "2"]) == (
        "# T\n\n```python\nprint(1)\n```\n\nprose\n\n```python\nx = 2\n```\n\n```text\n2\n```\n")


def test_a_failing_block_is_named(tmp_path):
    segments = make_tutorial.parse("```python\nx = 1\n```\n\n```python\n1 / 0\n```\n")
    with pytest.raises(RuntimeError, match="tutorial code block 2 failed: ZeroDivisionError"):
        make_tutorial.run(segments, tmp_path)


def test_running_the_page_leaves_numpy_print_options_alone(tmp_path):
    before = np.get_printoptions()
    code = "import numpy as np\nnp.set_printoptions(precision=2)\nprint(np.pi * np.ones(1))"
    segments = make_tutorial.parse(f"```python\n{code}\n```")
    assert make_tutorial.run(segments, tmp_path) == ["[3.14]"]
    assert np.get_printoptions() == before


# ------------------------------------------------- numbers against closed forms
A = sigmoid(0.2)  # the lecture's example: z = 0.5·1 + (−0.2)·2 + 0.1 = 0.2, y = 1


def test_forward_values_are_the_closed_forms():
    table = output_starting("engine         by hand\nz")
    for label, expected in (("z", 0.2), ("a", A), ("L", -np.log(A))):
        np.testing.assert_allclose(values_after(table, label), [expected] * 2, atol=1e-12)


def test_backward_values_are_the_hand_derived_formulas():
    np.testing.assert_allclose(values_after(output_starting("da"), "da"), [-1 / A] * 2,
                               atol=1e-12)
    dz = output_starting("dz")
    last_on_each_line = [numbers(line)[-1] for line in dz.splitlines()]
    assert last_on_each_line == pytest.approx([A - 1] * 3, abs=1e-12)
    table = output_starting("engine         by hand\ndw1")
    for label, expected in (("dw1", A - 1), ("dw2", 2 * (A - 1)), ("db", A - 1)):
        np.testing.assert_allclose(values_after(table, label)[-2:], [expected] * 2, atol=1e-12)


def test_step_captions_name_the_gradients_backward_sends():
    captions = output_starting("Step 1 of 9")
    assert "a gets −1.819" in captions and "z gets −0.4502" in captions


def test_gradient_descent_step_lowers_the_loss_as_computed_by_hand():
    text = output_starting("w1 =")
    w1, w2, b = 0.5 - 0.5 * (A - 1), -0.2 - 0.5 * 2 * (A - 1), 0.1 - 0.5 * (A - 1)
    after = -np.log(sigmoid(w1 * 1 + w2 * 2 + b))
    assert numbers(text) == pytest.approx([1, w1, 2, w2, b, -np.log(A), after], abs=1e-6)


def test_vectorised_gradients_are_the_batch_formulas():
    text = output_starting("dZ")
    X = np.array([[1.0, 2.0], [-1.0, 0.5], [2.0, -1.0], [0.0, -2.0]])
    Y = np.array([1.0, 0.0, 1.0, 0.0])
    dZ = sigmoid(X @ [0.5, -0.2] + 0.1) - Y
    lines = text.splitlines()
    assert numbers(lines[0])[-4:] == pytest.approx(dZ, abs=1e-10)
    assert numbers(lines[1])[-4:] == pytest.approx(dZ, abs=1e-10)
    assert numbers(lines[2]) == pytest.approx(X.T @ dZ / 4, abs=1e-10)
    assert numbers(lines[3])[-2:] == pytest.approx(X.T @ dZ / 4, abs=1e-10)
    assert numbers(lines[4]) == pytest.approx([dZ.mean()], abs=1e-10)
    assert numbers(lines[5])[-1] == pytest.approx(dZ.mean(), abs=1e-10)


@pytest.fixture(scope="module")
def data():
    """The tutorial's split, standardised here with numpy."""
    X, y, _ = load_breast_cancer()
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=0)
    mean, std = X_train.mean(axis=0), X_train.std(axis=0)
    return (X_train - mean) / std, (X_test - mean) / std, y_train, y_test


def numpy_gradient_descent(X, y, steps=500, alpha=0.5):
    w, b, costs = np.zeros(X.shape[1]), 0.0, []
    for _ in range(steps):
        z = X @ w + b
        costs.append(np.mean(np.logaddexp(0, z) - y * z))  # the cross-entropy, stable form
        dZ = (sigmoid(z) - y) / len(y)
        w, b = w - alpha * X.T @ dZ, b - alpha * dZ.sum()
    return w, b, costs


def test_training_numbers_match_gradient_descent_written_in_numpy(data):
    X_train, X_test, y_train, y_test = data
    assert numbers(output_starting("455 training")) == [455, 30, 114]
    w, b, costs = numpy_gradient_descent(X_train, y_train)
    text = output_starting("cost: step 0")
    printed = values_after(text, "cost:")
    assert printed[1::2] == pytest.approx([costs[0], costs[100], costs[499]], abs=1e-6)

    def accuracy(X, y):
        return np.mean(((X @ w + b) > 0) == y)

    assert values_after(text, "accuracy:") == pytest.approx(
        [accuracy(X_train, y_train), accuracy(X_test, y_test)], abs=1e-4)
    estimator = output_starting("largest difference in the weights")
    assert estimator.startswith("largest difference in the weights: < 1e-12")
    assert numbers(estimator)[-1] == pytest.approx(accuracy(X_test, y_test), abs=1e-4)


def test_second_derivative_is_the_sigmoid_derivative():
    text = output_starting("dL/dz")
    assert values_after(text, "dL/dz") == pytest.approx([A - 1, A - 1], abs=1e-12)
    assert values_after(text, "d²L/dz²")[0] == pytest.approx(A * (1 - A), abs=1e-12)
    assert values_after(text, "d²L/dz²")[-1] == pytest.approx(A * (1 - A), abs=1e-12)


def test_training_set_is_linearly_separable_as_section_9_says(data):
    optimize = pytest.importorskip("scipy.optimize")
    X_train, _, y_train, _ = data
    assert "training set is linearly separable" in PAGE
    signs = 2 * y_train - 1  # find (w, b) with sign_i · (w·x_i + b) >= 1 for every example
    rows = -signs[:, None] * np.hstack([X_train, np.ones((len(X_train), 1))])
    found = optimize.linprog(np.zeros(rows.shape[1]), A_ub=rows, b_ub=-np.ones(len(rows)),
                             bounds=[(None, None)] * rows.shape[1])
    assert found.status == 0
    assert (signs * (X_train @ found.x[:-1] + found.x[-1]) > 0).all()


def test_newton_numbers_match_newton_written_in_numpy(data):
    X_train, X_test, y_train, y_test = data
    m, n = X_train.shape
    X1 = np.hstack([X_train, np.ones((m, 1))])
    penalty = 0.01 * np.diag([1.0] * n + [0.0])
    theta = np.zeros(n + 1)
    for _ in range(20):  # the closed-form gradient and Hessian, to convergence
        a = sigmoid(X1 @ theta)
        gradient = X1.T @ (a - y_train) / m + penalty @ theta
        if np.abs(gradient).max() < 1e-13:
            break
        hessian = X1.T @ (X1 * (a * (1 - a))[:, None]) / m + penalty
        theta = theta - np.linalg.solve(hessian, gradient)
    a = sigmoid(X1 @ theta)
    optimum = -np.mean(y_train * np.log(a) + (1 - y_train) * np.log(1 - a)) + 0.01 / 2 * (
        theta[:n] @ theta[:n])

    rows = [numbers(line) for line in output_starting("step  cost").splitlines()[1:]]
    assert [row[0] for row in rows] == list(range(len(rows))) and len(rows) <= 10
    assert rows[0][1:] == pytest.approx([np.log(2), np.abs(X1.T @ (0.5 - y_train) / m).max()],
                                        rel=1e-3)
    assert rows[-1][1] == pytest.approx(optimum, abs=1e-9)
    gradient_norms = [row[2] for row in rows]
    # The last step's gradient is rounding error: the page prints only its bound.
    assert output_starting("step  cost").splitlines()[-1].endswith("< 1e-12")
    assert gradient_norms[-1] == 1e-12 and all(g > 1e-12 for g in gradient_norms[:-1])
    assert gradient_norms[-1] < gradient_norms[-2] ** 1.5  # quadratic convergence

    text = output_starting("largest difference:")
    assert text.startswith("largest difference: < 1e-15")  # rounding only: a bound, stable
    test_accuracy = np.mean(((X_test @ theta[:n] + theta[n]) > 0) == y_test)
    assert numbers(text)[-1] == pytest.approx(test_accuracy, abs=1e-4)


# ------------------------------------------------------------ the notebook runs
def test_notebook_runs_top_to_bottom(tmp_path):
    if not viz.renderers():
        pytest.skip("the notebook writes the step-through page, which needs a Graphviz "
                    "renderer (the 'dot' program, or the [svg] extra on Python 3.11+)")
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    notebook = nbformat.read(make_tutorial.NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    client = nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    printed = "".join(output.get("text", "") for cell in notebook.cells
                      if cell.cell_type == "code" for output in cell.outputs)
    for expected in ("-0.450166002688", "0.247516572712", "455 training examples"):
        assert expected in printed
    # It ends with the step-through page inline (buttons and keys), after the live board.
    last = notebook.cells[-1].outputs[-1]["data"]
    assert last["text/html"].startswith("<iframe srcdoc=") and "stepThrough" in last["text/html"]
    live = notebook.cells[-3].outputs[-1]["data"]
    assert "application/vnd.jupyter.widget-view+json" in live or "notebook" in str(live)
    # Everything the notebook writes goes into out/, beside it.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert (tmp_path / "out" / "loss_curve.png").is_file()
    assert (tmp_path / "out" / "steps.html").is_file()


# ------------------------------------------------------------ the learner's path
@pytest.mark.parametrize("script", sorted((ROOT / "examples").glob("*.py")), ids=lambda p: p.name)
def test_every_example_script_prints_its_help(script, tmp_path):
    """`python examples/x.py --help` prints help and writes nothing (no folder named --help)."""
    import subprocess

    result = subprocess.run([sys.executable, str(script), "--help"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage:") and script.name in result.stdout
    assert list(tmp_path.iterdir()) == []
