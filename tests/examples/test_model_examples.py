"""The model examples run with small settings and reach the numbers they promise."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def load(name):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("argv", [["--solver", "newton"], ["--solver", "sgd", "--batch-size",
                                                          "64", "--max-iter", "30"]])
def test_logistic_regression_example(capsys, argv):
    result = load("logistic_regression").main(argv)
    out = capsys.readouterr().out
    assert result["test_accuracy"] > 0.95 and "largest weights" in out
    if "sklearn_test_accuracy" in result:
        assert abs(result["test_accuracy"] - result["sklearn_test_accuracy"]) <= 0.01 + 1e-12


def test_newton_example_converges_quadratically(capsys):
    result = load("newton_logistic_regression").main(["--rows", "200", "--l2", "0.05"])
    norms = result["gradient_norms"]
    assert norms[-1] < 1e-10 and result["steps"] <= 15
    # Quadratic convergence: near the optimum each gradient norm is ~ the square of the last.
    assert norms[-1] < norms[-2] ** 1.5
    np.testing.assert_allclose(result["theta"], result["estimator_theta"], atol=1e-9)
    assert "max|gradient|" in capsys.readouterr().out


def test_mlp_moons_example_beats_a_straight_line(capsys):
    result = load("mlp_moons").main(["--epochs", "150", "--samples", "200"])
    assert result["losses"][-1] < 0.25 * result["losses"][0]
    assert result["mlp_test_accuracy"] >= 0.95
    assert result["mlp_test_accuracy"] > result["linear_test_accuracy"]
    assert "0.weight, 0.bias, 2.weight" in capsys.readouterr().out
