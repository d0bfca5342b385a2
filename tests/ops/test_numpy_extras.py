"""numpy's functions added to the engine: values against numpy, gradients against float64
finite differences (tg.gradcheck) for what the registry's generated tests cannot reach
(plain functions returning several tensors, index tricks, numpy's calling conventions)."""

import numpy as np
import pytest

import tinygrad_lr as tg

RNG = np.random.default_rng(20)


def leaf(values):
    return tg.Tensor(np.asarray(values, dtype=float), requires_grad=True)


@pytest.mark.parametrize("name", ["degrees", "radians", "fabs", "nan_to_num", "diff",
                                  "append", "rollaxis", "partition", "linspace", "select"])
def test_reachable_as_tg_and_through_numpy(name):
    assert name in tg.registered_ops() and callable(getattr(tg, name))


@pytest.mark.parametrize("call", [
    lambda m, x: m.degrees(x), lambda m, x: m.radians(x), lambda m, x: m.fabs(x),
    lambda m, x: m.diff(x, 2, axis=0, append=1.0), lambda m, x: m.append(x, x, axis=1),
    lambda m, x: m.rollaxis(x, 1), lambda m, x: m.partition(x, 1, axis=0),
    lambda m, x: m.linspace(x[0], x[1], 4, axis=-1),
    lambda m, x: m.select([x > 0, x < -0.5], [x, 2 * x], -1.0)])
def test_numpy_functions_dispatch_with_gradients(call):
    values = RNG.standard_normal((3, 4))
    expected = call(np, values)
    x = leaf(values)
    found = call(np, x)
    assert isinstance(found, tg.Tensor) and found.requires_grad
    np.testing.assert_allclose(found.data, expected)
    assert tg.gradcheck(lambda t: call(np, t), [x])


def test_nan_to_num_values_and_gradient():
    values = np.array([np.nan, np.inf, -np.inf, 1.5])
    x = leaf(values)
    out = np.nan_to_num(x, nan=2.0, posinf=7.0)
    np.testing.assert_array_equal(out.data, np.nan_to_num(values, nan=2.0, posinf=7.0))
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 0.0, 0.0, 1.0])


@pytest.mark.parametrize("args, kwargs", [
    ((), {}), ((0.5,), {}), ((0.5, 2.0), {"edge_order": 2}), ((), {"axis": 1}),
    (([0.0, 0.5, 2.0],), {"axis": 0}), (([0.0, 1.0, 1.5, 3.0],), {"axis": -1, "edge_order": 2})])
def test_gradient_matches_numpy(args, kwargs):
    values = RNG.standard_normal((3, 4))
    expected = np.gradient(values, *args, **kwargs)
    x = leaf(values)
    for found in (tg.gradient(x, *args, **kwargs), np.gradient(x, *args, **kwargs)):
        assert isinstance(found, tuple) == isinstance(expected, tuple)
        for part, reference in zip(found if isinstance(found, tuple) else [found],
                                   expected if isinstance(expected, tuple) else [expected]):
            np.testing.assert_allclose(part.data, reference, rtol=1e-12, atol=1e-12)

    def total(t):
        parts = tg.gradient(t, *args, **kwargs)
        parts = parts if isinstance(parts, tuple) else (parts,)
        return sum((p * (i + 1)).sum() for i, p in enumerate(parts))

    assert tg.gradcheck(total, [x]) and tg.gradgradcheck(total, [x])


def test_gradient_refuses_short_axes_and_bad_spacing():
    with pytest.raises(ValueError, match="too small"):
        tg.gradient(tg.Tensor([1.0, 2.0]), edge_order=2)
    with pytest.raises(TypeError, match="one per axis"):
        tg.gradient(tg.ones(2, 3), 1.0, 2.0, 3.0)


def test_linspace_retstep_and_gradient():
    start, stop = leaf(1.0), leaf([2.0, 5.0])
    samples, step = np.linspace(start, stop, 5, retstep=True)
    expected, expected_step = np.linspace(1.0, [2.0, 5.0], 5, retstep=True)
    np.testing.assert_allclose(samples.data, expected)
    np.testing.assert_allclose(step.data, expected_step)
    (samples * np.arange(10.0).reshape(5, 2)).sum().backward()
    fractions = np.linspace(0, 1, 5)[:, None]
    np.testing.assert_allclose(start.grad.data, ((1 - fractions) * np.arange(10.0).reshape(5, 2)
                                                 ).sum())
    np.testing.assert_allclose(stop.grad.data, (fractions * np.arange(10.0).reshape(5, 2)
                                                ).sum(axis=0))
    with pytest.raises(TypeError, match="dtype=int64 has no gradient"):
        tg.linspace(start, 2.0, num=3, dtype=np.int64)


def test_select_broadcasts_and_checks_its_lists():
    x = leaf([1.0, -2.0, 3.0])
    out = np.select([x > 2, np.array(True)], [x * 10, 0.5])
    np.testing.assert_array_equal(out.data, np.select([x.data > 2, True], [x.data * 10, 0.5]))
    with pytest.raises(ValueError, match="same length"):
        tg.select([x > 0], [x, x])
    with pytest.raises(TypeError, match="must be booleans"):
        tg.select([x], [x])


def test_diff_refuses_a_differentiable_prepend():
    with pytest.raises(TypeError, match="constant setting"):
        tg.diff(leaf([1.0, 2.0]), prepend=leaf([0.0]))


INDEX_TRICKS = [
    lambda m, a, b: m.r_[a, 0.0, 4:6], lambda m, a, b: m.r_[a, 0:1:3j],
    lambda m, a, b: m.c_[a, a], lambda m, a, b: m.c_[b, b], lambda m, a, b: m.r_["0,2,1", a, a],
    lambda m, a, b: m.r_["-1", b, b], lambda m, a, b: m.r_["0,2", a, b],
    lambda m, a, b: m.r_["1,3,0", a, a], lambda m, a, b: m.r_["0,3,-2", a, a]]


@pytest.mark.parametrize("build", INDEX_TRICKS)
def test_index_tricks_match_numpy_and_keep_gradients(build):
    a, b = RNG.standard_normal(3), RNG.standard_normal((2, 3))
    expected = build(np, a, b)
    ta, tb = leaf(a), leaf(b)
    found = build(tg, ta, tb)
    assert found.shape == expected.shape
    np.testing.assert_allclose(found.data, expected)
    assert tg.gradcheck(lambda u, v: build(tg, u, v), [ta, tb])


def test_index_tricks_refuse_matrix_directives():
    with pytest.raises(ValueError, match="matrix"):
        tg.r_["r", tg.ones(2)]
