"""Composite ops: registered from a function of other ops, one node in the graph, and a
value that agrees with the composition (so numpy's value and the composition's gradient
describe the same function)."""

import numpy as np
import pytest

import tinygrad_lr as tg
from tinygrad_lr.composite import is_composite
from tinygrad_lr.registry import registered_ops

COMPOSITES = sorted(name for name, found in registered_ops().items() if is_composite(found))
BASE_SHAPES = [(), (3,), (2, 3)]


def _cases(found):
    if found.cases is None:
        n = found.n_inputs
        return [(((),) * n, {}), (((3,),) + ((2, 3),) * (n - 1), {}), (((2, 3),) * n, {})]
    return [case for shape in BASE_SHAPES for case in found.cases(shape)]


@pytest.mark.parametrize("name", COMPOSITES)
def test_composition_computes_the_registered_value(name):
    found = tg.get_op(name)
    rng = np.random.default_rng(3)
    for shapes, params in _cases(found):
        domains = found.domain if not found.variadic else found.domain * len(shapes)
        inputs = [tg.Tensor(d.sample(rng, s)) for d, s in zip(domains, shapes)]
        expected = found(*inputs, **params)
        with tg.no_grad():
            composed = found.composition(*inputs, **params)
        assert composed.shape == expected.shape, (name, shapes, params)
        np.testing.assert_allclose(composed.data, expected.data, rtol=1e-10, atol=1e-12,
                                   err_msg=f"{name} {shapes} {params}")


def test_a_composite_is_one_node_whose_gradient_is_the_composition():
    @tg.composite("cube_plus_test", formula="x³ + x", replace=True, method=True)
    def cube_plus_test(x):
        "x³ + x."
        return x * x * x + x

    try:
        x = tg.Tensor([0.5, -2.0], requires_grad=True)
        y = x.cube_plus_test()
        assert y.op is tg.get_op("cube_plus_test") and y.inputs == (x,)
        np.testing.assert_allclose(y.data, x.data ** 3 + x.data)
        (g,) = tg.grad(y.sum(), x, create_graph=True)
        np.testing.assert_allclose(g.data, 3 * x.data ** 2 + 1)
        (h,) = tg.grad(g.sum(), x, create_graph=True)
        np.testing.assert_allclose(h.data, 6 * x.data)
        (third,) = tg.grad(h.sum(), x)
        np.testing.assert_allclose(third.data, [6.0, 6.0])
        assert "cube_plus_test" in dir(tg) and tg.cube_plus_test is y.op
    finally:
        tg.registry.unregister_op("cube_plus_test")


def test_composite_gives_each_input_position_its_own_gradient():
    # The same tensor twice, and an input computed from the other: the op's backward must
    # return partial derivatives, the engine adds the paths.
    x = tg.Tensor(0.7, requires_grad=True)
    for create_graph in (False, True):
        (g,) = tg.grad(tg.hypot(x, x * 2), x, create_graph=create_graph)
        assert g.item() == pytest.approx(np.sqrt(5.0))


def test_composite_value_keeps_float32():
    x = tg.Tensor(np.array([0.25, 0.5], dtype=np.float32), requires_grad=True)
    y = tg.logaddexp(x, 1.0)
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32


def test_a_composite_must_return_a_tensor():
    @tg.composite("broken_test", formula="none", replace=True)
    def broken_test(x):
        "Returns a number."
        return 1.0

    try:
        with pytest.raises(TypeError, match="composite 'broken_test' must return a Tensor"):
            broken_test(tg.Tensor(1.0, requires_grad=True)).backward()
    finally:
        tg.registry.unregister_op("broken_test")
