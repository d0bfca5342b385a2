"""Regression tests for the defects found by holding the engine against other libraries'
test suites: each case is compared with numpy (values) or float64 finite differences
(gradients)."""

import subprocess
import sys
import warnings

import numpy as np
import pytest

import tinygrad_lr as tg
from tinygrad_lr.models.logistic_regression import LogisticRegression


def leaf(values):
    return tg.Tensor(np.asarray(values, dtype=float), requires_grad=True)


def test_one_array_is_the_sequence_of_its_rows():
    assert np.vstack(tg.Tensor(np.arange(2.0))).shape == np.vstack(np.arange(2.0)).shape == (2, 1)
    assert np.hstack(tg.ones((3, 2))).shape == (6,)
    x = np.arange(6.0).reshape(3, 2)
    np.testing.assert_array_equal(tg.column_stack(tg.Tensor(x)).data, np.column_stack(x))


def test_einsum_sublist_form():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((2, 3)), rng.standard_normal((3, 4))
    expected = np.einsum(a, [0, 1], b, [1, 2], [0, 2])
    found = np.einsum(leaf(a), [0, 1], leaf(b), [1, 2], [0, 2])
    np.testing.assert_allclose(found.data, expected)
    expected = np.einsum(a, [0, 1], b, [1, 2])
    np.testing.assert_allclose(tg.einsum(a, [0, 1], b, [1, 2]).data, expected)
    np.testing.assert_allclose(tg.einsum(a, [Ellipsis, 1], [Ellipsis]).data, a.sum(axis=1))
    assert tg.gradcheck(lambda u, v: tg.einsum(u, [0, 1], v, [1, 2], [2, 0]), [leaf(a), leaf(b)])
    with pytest.raises(ValueError, match="labels must be integers in"):
        tg.einsum(a, [0, 99])


@pytest.mark.parametrize("shapes, settings", [
    (((2, 3), (3,)), {"axis": None}), (((3, 2), (2, 3)), {"axisa": 0, "axisc": 0}),
    (((2, 3), (3, 2)), {"axisb": 0}), (((3, 2), (3, 2)), {"axis": 0})])
def test_cross_axes(shapes, settings):
    rng = np.random.default_rng(1)
    a, b = (rng.standard_normal(s) for s in shapes)
    expected = np.cross(a, b, **settings)
    np.testing.assert_allclose(np.cross(leaf(a), leaf(b), **settings).data, expected)
    np.testing.assert_allclose(tg.cross(a, b, **settings).data, expected)
    assert tg.gradcheck(lambda u, v: tg.cross(u, v, **settings), [leaf(a), leaf(b)])


def test_concatenate_axis_none_backward():
    a, b = leaf(np.arange(4.0).reshape(2, 2)), leaf([5.0, 6.0])
    out = np.concatenate([a, b], axis=None)
    np.testing.assert_array_equal(out.data, np.concatenate([a.data, b.data], axis=None))
    (out * np.arange(6.0)).sum().backward()
    np.testing.assert_array_equal(a.grad.data, [[0.0, 1.0], [2.0, 3.0]])
    np.testing.assert_array_equal(b.grad.data, [4.0, 5.0])
    assert tg.concatenate([a, b], None).shape == (6,)


@pytest.mark.parametrize("combine", [
    lambda m, t: m + t, lambda m, t: t + m, lambda m, t: np.add(m, t), lambda m, t: m * t,
    lambda m, t: np.concatenate([m, t]), lambda m, t: np.ma.exp(t) + m])
def test_masked_arrays_do_not_drop_the_graph(combine):
    masked = np.ma.masked_array([1.0, 2.0], mask=[False, True])
    with pytest.raises(TypeError, match="masked"):
        combine(masked, leaf([1.0, 2.0]))


def test_reductions_with_an_empty_result():
    empty = np.ones((3, 0))
    assert tg.mean(tg.Tensor(empty), axis=0).shape == np.mean(empty, axis=0).shape == (0,)
    lse = tg.logsumexp(tg.Tensor(np.ones((4, 0, 4))), axis=2)
    assert lse.shape == (4, 0)
    x = leaf(np.ones((3, 0, 2)))
    out = tg.var(x, axis=0)
    assert out.shape == np.var(x.data, axis=0).shape == (0, 2)
    out.sum().backward()
    assert x.grad.shape == (3, 0, 2)
    with pytest.raises(ValueError, match="empty"):
        tg.mean(tg.Tensor(np.ones((0, 3))), axis=0)  # empty groups: numpy's NaN, refused


def test_functions_with_several_results_dispatch():
    x = leaf(np.arange(5.0))
    parts = np.array_split(x, 2)
    assert [p.shape for p in parts] == [(3,), (2,)]
    (parts[0].sum() * 2 + parts[1].sum()).backward()
    np.testing.assert_array_equal(x.grad.data, [2, 2, 2, 1, 1])
    assert [p.tolist() for p in np.split(tg.Tensor(np.arange(4.0)), 2)] == [[0, 1], [2, 3]]
    a = leaf([[2.0, 1.0], [1.0, 3.0]])
    sign, value = np.linalg.slogdet(a)
    expected = np.linalg.slogdet(a.data)
    assert sign.item() == expected[0] and value.item() == pytest.approx(expected[1])
    value.backward()
    np.testing.assert_allclose(a.grad.data, np.linalg.inv(a.data).T)


@pytest.mark.parametrize("scale", [1e308, 1e200, 1e160])
def test_newton_on_huge_features_raises_the_named_error(scale):
    rng = np.random.default_rng(0)
    X = rng.choice([-1.0, 1.0], size=(20, 3)) * scale
    y = np.arange(20) % 2
    with warnings.catch_warnings(), pytest.raises(FloatingPointError, match="huge values"):
        warnings.simplefilter("ignore", RuntimeWarning)
        LogisticRegression().fit(X, y)


def test_cli_newton_on_huge_features(tmp_path):
    data = tmp_path / "huge.csv"
    rows = ["x1,x2,y"] + [f"{s * 1e308},{-s * 1e308},{i % 2}"
                          for i, s in enumerate([1, -1, 1, 1, -1, -1])]
    data.write_text("\n".join(rows) + "\n")
    result = subprocess.run(
        [sys.executable, "-m", "tinygrad_lr", "train", str(data), "--target", "y",
         "--solver", "newton", "-o", str(tmp_path / "m.npz")],
        capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "huge values" in result.stderr and "Traceback" not in result.stderr
