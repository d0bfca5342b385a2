"""The m-example board as a teacher uses it: from the CLI, examples as columns or rows, the
for-loop over the examples ending at the vectorised board's numbers."""

import re

import numpy as np
import pytest

from tinygrad_lr import viz
from tinygrad_lr.cli import main
from tinygrad_lr.viz.labels import format_number


def numpy_gradients(X, Y, w, b):
    """J, dw, db of the mean cross-entropy, by hand in numpy (the oracle)."""
    a = 1 / (1 + np.exp(-(X @ w + b)))
    J = -np.mean(Y * np.log(a) + (1 - Y) * np.log(1 - a))
    dz = a - Y
    return J, X.T @ dz / len(Y), dz.mean()


def number(text):
    return float(text.replace("−", "-"))


@pytest.mark.parametrize("columns", [True, False])
def test_the_for_loop_ends_at_the_vectorised_boards_numbers(columns):
    X, Y = viz.batch.lecture_examples(4)
    w, b = np.array([0.5, -0.2]), 0.1
    page = viz.batch_steps(X, Y, w, b, columns=columns, lr=None)
    loop = [f for f in page.frames if f.kind == "loop"]
    assert len(loop) == 5 and "example 1 of 4" in loop[0].caption
    after = dict(re.findall(r"(J|dw1|dw2|db) = (−?\d+(?:\.\d+)?(?:e−?\d+)?)", loop[-1].caption))
    J, dw, db = numpy_gradients(X, Y, w, b)
    assert number(after["J"]) == pytest.approx(J, rel=1e-3)
    assert [number(after["dw1"]), number(after["dw2"])] == pytest.approx(dw, rel=1e-3)
    assert number(after["db"]) == pytest.approx(db, rel=1e-3)
    # The vectorised board's last backward frame: the same numbers.
    board = [f for f in page.frames if f.kind == "backward"]
    assert board[-1].caption.endswith(f"= {format_number(db)}")
    assert format_number(dw[1]) in board[-2].caption
    tensors = viz.batch_example(X, Y, w, b, columns=columns)
    np.testing.assert_allclose(np.ravel(tensors["w"].grad.data), dw, rtol=1e-12)
    assert tensors["J"].item() == pytest.approx(J, rel=1e-12)


def test_batch_inputs_are_checked():
    with pytest.raises(ValueError, match="one label per example"):
        viz.batch_example([[1.0, 2.0], [3.0, 4.0]], [1.0])
    with pytest.raises(ValueError, match=r"labels Y must be in \[0, 1\]"):
        viz.batch_example([[1.0, 2.0], [3.0, 4.0]], [1.0, 2.0])
    with pytest.raises(ValueError, match="2 to 12 examples"):
        viz.batch_example(np.ones((13, 2)), np.ones(13))
    with pytest.raises(ValueError, match="m must be an int"):
        viz.batch.lecture_examples(1)
    X = np.array([[1.0, 2.0], [3.0, 4.0]])
    viz.batch_example(X, [1.0, 0.0])
    assert X.tolist() == [[1.0, 2.0], [3.0, 4.0]]  # not changed, not aliased


def test_cli_draws_the_m_example_board_from_a_csv(tmp_path, capsys):
    data = tmp_path / "examples.csv"
    data.write_text("x1,x2,y\n1,2,1\n0.5,-1,0\n2,0.3,1\n", encoding="utf-8")
    out = tmp_path / "board.dot"
    assert main(["graph", "--view", "batch", "--data", str(data), "--rows", "-o", str(out)]) == 0
    source = out.read_text(encoding="utf-8")
    X = np.array([[1, 2], [0.5, -1], [2, 0.3]])
    _, dw, _ = numpy_gradients(X, np.array([1.0, 0, 1]), np.array([0.5, -0.2]), 0.1)
    assert "Z = X@w + b" in source and "dv = ∂J/∂v" in source
    assert all(format_number(v) in source for v in dw)
    columns = tmp_path / "columns.dot"
    assert main(["graph", "--view", "batch", "--examples", "3", "-o", str(columns)]) == 0
    assert "Z = wᵀX + b" in columns.read_text(encoding="utf-8")
    capsys.readouterr()
    bad = tmp_path / "bad.csv"
    bad.write_text("x1,x2,y\n1,2,oops\n0,1,0\n", encoding="utf-8")
    assert main(["graph", "--view", "batch", "--data", str(bad), "-o", str(out)]) == 2
    assert "line 2, column 'y'" in capsys.readouterr().err
    assert main(["graph", "--view", "batch", "--examples", "40", "-o", str(out)]) == 2
    assert "from 2 to 12" in capsys.readouterr().err
