"""Every registered op, gradchecked and gradgradchecked from its registry entry alone.

The shapes come from hypothesis (mutually broadcastable shapes for elementwise ops, the
op's own ``cases`` otherwise) and the values from each input's ``Domain``, so an op that is
registered gets tested here with no new test code.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, mutually_broadcastable_shapes

import tinygrad_lr as tg
from tinygrad_lr.registry import registered_ops

OP_NAMES = sorted(registered_ops())
SETTINGS = settings(max_examples=20, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow], derandomize=True)


def draw_case(op, data, max_side=3):
    if op.cases is None:
        shapes = data.draw(mutually_broadcastable_shapes(
            num_shapes=op.n_inputs, min_dims=0, max_dims=2, min_side=1, max_side=max_side))
        return tuple(shapes.input_shapes), {}
    base = data.draw(array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=max_side))
    return data.draw(st.sampled_from(op.cases(base)))


def make_inputs(op, shapes, seed):
    rng = np.random.default_rng(seed)
    inputs = []
    for position, shape in enumerate(shapes):
        domain = op.domain[0] if op.variadic else op.domain[position]
        values = domain.sample(rng, shape)
        inputs.append(tg.Tensor(values, requires_grad=domain.kind == "float"))
    return inputs


@pytest.mark.parametrize("name", OP_NAMES)
@SETTINGS
@given(data=st.data(), seed=st.integers(0, 2**16))
def test_gradcheck_every_registered_op(name, data, seed):
    op = tg.get_op(name)
    shapes, params = draw_case(op, data)
    inputs = make_inputs(op, shapes, seed)
    assert tg.gradcheck(lambda *xs: op(*xs, **params), inputs)


@pytest.mark.parametrize("name", OP_NAMES)
@settings(SETTINGS, max_examples=8)
@given(data=st.data(), seed=st.integers(0, 2**16))
def test_gradgradcheck_every_registered_op(name, data, seed):
    op = tg.get_op(name)
    shapes, params = draw_case(op, data, max_side=2)
    inputs = make_inputs(op, shapes, seed)
    assert tg.gradgradcheck(lambda *xs: op(*xs, **params), inputs, seed=seed)


@pytest.mark.parametrize("name", OP_NAMES)
def test_every_op_documents_itself(name):
    op = tg.get_op(name)
    assert op.__doc__ and op.formula and op.label
    assert all(isinstance(d, tg.Domain) for d in op.domain)


def test_gradcheck_rejects_a_wrong_backward():
    @tg.op("wrong_square_test", replace=True)
    class wrong_square_test:
        def forward(x):
            return x * x

        def backward(grad, out, x):
            return grad * x  # should be 2x

    try:
        x = tg.Tensor([0.5, 2.0], requires_grad=True, name="x")
        with pytest.raises(tg.GradcheckError) as info:
            tg.gradcheck(wrong_square_test, [x])
        message = str(info.value)
        assert "input 0 ('x')" in message and "element (0,)" in message
        assert "analytic 0.5," in message and "numeric 0.99999" in message
        assert tg.gradcheck(wrong_square_test, [x], raise_exception=False) is False
    finally:
        tg.registry.unregister_op("wrong_square_test")


def test_gradgradcheck_rejects_a_backward_that_is_not_differentiable():
    @tg.op("detached_cube_test", replace=True)
    class detached_cube_test:
        def forward(x):
            return x ** 3

        def backward(grad, out, x):
            # Right value, but computed outside the graph: no second derivative.
            return grad * tg.Tensor(3 * x.data ** 2)

    try:
        x = tg.Tensor([0.5, 2.0], requires_grad=True)
        assert tg.gradcheck(detached_cube_test, [x])
        with pytest.raises(tg.GradcheckError, match="second derivatives.*tensor operations"):
            tg.gradgradcheck(detached_cube_test, [x])
    finally:
        tg.registry.unregister_op("detached_cube_test")


@pytest.mark.parametrize("name", [n for n in OP_NAMES if tg.get_op(n).cases is None])
def test_elementwise_ops_on_zero_dimensional_inputs(name):
    op = tg.get_op(name)
    inputs = make_inputs(op, [()] * op.n_inputs, seed=7)
    out = op(*inputs)
    assert out.shape == () and isinstance(out.data, np.ndarray)
    assert tg.gradcheck(op, inputs) and tg.gradgradcheck(op, inputs)


@pytest.mark.parametrize("name", [n for n in OP_NAMES if tg.get_op(n).cases is not None])
def test_every_case_of_every_op_is_gradchecked(name):
    # hypothesis samples a few cases per op; this walks all of them once, so no setting
    # (a ddof, an ord, an einsum pattern) is left to chance.
    op = tg.get_op(name)
    for base in [(), (2, 3)]:
        for position, (shapes, params) in enumerate(op.cases(base)):
            inputs = make_inputs(op, shapes, seed=position)

            def fn(*xs, params=params):
                return op(*xs, **params)

            assert tg.gradcheck(fn, inputs), (shapes, params)
            assert tg.gradgradcheck(fn, inputs), (shapes, params)
