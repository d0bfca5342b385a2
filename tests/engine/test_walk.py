"""The backward walk's fast path (``autograd._lean_walk``) against the general walk and numpy.

A plain ``backward()`` takes the lean walk; ``retain_grads=True`` takes the general one
(``_propagate``'s loop). Both must give the same numbers bit for bit, visit in the same
order, and raise the same errors; the gradients are also checked against numpy.
"""

from __future__ import annotations

import functools
import random
import threading
from collections import namedtuple

import numpy as np
import pytest
from thread_helpers import run_together

import tinygrad_lr as tg
from tinygrad_lr.registry import get_op, register_op, unregister_op
from tinygrad_lr.tensor import wrap


def test_a_gradient_summed_from_many_edges_is_numpys_sum():
    rng = np.random.default_rng(0)
    weights = rng.standard_normal((60, 3))
    x = tg.Tensor(rng.standard_normal(3), requires_grad=True)
    products = [x * w for w in weights]
    total = products[0]
    for p in products[1:]:
        total = total + p
    seed = rng.standard_normal(3)
    given = seed.copy()
    total.backward(seed)
    expected = np.zeros(3)
    for p in sorted(products, key=lambda p: p.visit_order):  # in the order of the walk
        expected = expected + seed * p.inputs[1]
    np.testing.assert_array_equal(x.grad.data, expected)
    np.testing.assert_allclose(x.grad.data, seed * weights.sum(axis=0), rtol=1e-13)
    np.testing.assert_array_equal(seed, given)  # the sums never write into the caller's seed


def test_a_gradient_passed_to_two_inputs_is_not_summed_into():
    # add's rule hands the same gradient tensor to both inputs; x gets it from two adds
    # and more, so its sum becomes the walk's own array while b's stays the shared one.
    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    b = tg.Tensor([3.0, 4.0], requires_grad=True)
    y = (x + b) + x + x * 2.0
    y.backward(np.ones(2))
    np.testing.assert_array_equal(x.grad.data, [4.0, 4.0])
    np.testing.assert_array_equal(b.grad.data, [1.0, 1.0])


def _random_graph(rng: random.Random, values: list[float]):
    """A random graph of adds, products (broadcasting too), exp and tanh over the leaves."""
    leaves = [tg.Tensor(np.full((2, 1) if i % 2 else (3,), v), requires_grad=True)
              for i, v in enumerate(values)]
    nodes = list(leaves)
    for _ in range(rng.randint(3, 25)):
        a, b = rng.choice(nodes), rng.choice(nodes)
        kind = rng.random()
        if kind < 0.35:
            nodes.append(a * b)
        elif kind < 0.7:
            nodes.append(a + b * 0.5)
        elif kind < 0.85:
            nodes.append((a * 0.1).tanh())
        else:
            nodes.append((a * 0.1).exp())
    out = nodes[-1]
    for n in nodes[len(leaves):-1]:
        if rng.random() < 0.3:
            out = out + n  # some tensors feed several ops
    return leaves, out.sum()


@pytest.mark.parametrize("seed", range(12))
def test_lean_and_general_walks_agree_bit_for_bit_and_match_finite_differences(seed):
    pick = random.Random(seed)
    values = [pick.uniform(-1, 1) for _ in range(3)]
    leaves, loss = _random_graph(random.Random(seed + 100), values)
    loss.backward(retain_graph=True)  # the lean walk
    lean = [np.zeros(t.shape) if t.grad is None else t.grad.data.copy() for t in leaves]
    lean_order = [t.visit_order for t in tg.topological_order([loss])]
    for t in leaves:
        t.grad = None
    loss.backward(retain_grads=True)  # the general walk
    for t, g in zip(leaves, lean):
        np.testing.assert_array_equal(np.zeros(t.shape) if t.grad is None else t.grad.data, g)
    assert [t.visit_order for t in tg.topological_order([loss])] == lean_order
    h = 1e-6
    for i, g in enumerate(lean):
        bumped = [list(values), list(values)]
        bumped[0][i] += h
        bumped[1][i] -= h
        with tg.no_grad():
            up, down = (_random_graph(random.Random(seed + 100), v)[1].item() for v in bumped)
        # the leaf's value is one number broadcast over its shape: d/dv = sum of its grad
        assert g.sum() == pytest.approx((up - down) / (2 * h), rel=1e-5, abs=1e-6)


def test_a_graph_built_in_two_threads_walks_in_order():
    x = tg.Tensor(np.array([0.5, -1.0]), requires_grad=True)
    lock = threading.Lock()
    chain = [x]

    def grow(scale):
        for _ in range(300):
            with lock:  # the two threads take turns on one chain
                chain.append(chain[-1] * scale + 0.01)

    run_together(*(functools.partial(grow, s) for s in (0.99, 1.01)))
    chain[-1].backward(np.ones(2))
    np.testing.assert_allclose(x.grad.data, np.full(2, 0.99 ** 300 * 1.01 ** 300), rtol=1e-12)


def test_tensors_made_by_a_create_graph_backward_walk_again():
    x = tg.Tensor(np.array([0.3, 2.0]), requires_grad=True)
    y = (x * x * x).sum()
    (dx,) = tg.grad(y, x, create_graph=True)
    dx.sum().backward()  # the lean walk through the graph the first walk recorded
    np.testing.assert_allclose(x.grad.data, 6 * x.data, rtol=1e-14)


@pytest.fixture
def temporary_op():
    made = []

    def make(backward):
        made.append(register_op("walk_test_op", lambda a, b: a * b, backward, replace=True))
        return made[-1]

    yield make
    if made:
        unregister_op("walk_test_op")


@pytest.mark.parametrize("retain_grads", [False, True])
def test_both_walks_raise_the_same_errors(temporary_op, retain_grads):
    a = tg.Tensor([1.0, 2.0], requires_grad=True)
    b = tg.Tensor([3.0, 4.0], requires_grad=True)
    op = temporary_op(lambda g, out, x, y: (g * y,))
    with pytest.raises(ValueError, match=r"'walk_test_op' returned 1 gradient\(s\) for 2"):
        op(a, b).sum().backward(retain_grads=retain_grads)
    op = temporary_op(lambda g, out, x, y: (g * y, None))
    with pytest.raises(RuntimeError, match="not differentiable with respect to input 1"):
        op(a, b).sum().backward(retain_grads=retain_grads)
    op = temporary_op(lambda g, out, x, y: (g * y, wrap(np.ones(3))))
    with pytest.raises(ValueError, match=r"'walk_test_op' returned a gradient of shape \(3,\)"):
        op(a, b).sum().backward(retain_grads=retain_grads)
    y = op(a, 2.0).sum()  # the number's odd gradient is never read
    y.backward(retain_grads=retain_grads)
    np.testing.assert_array_equal(a.grad.data, [2.0, 2.0])
    with pytest.raises(RuntimeError, match="a second time"):
        y.backward(retain_grads=retain_grads)


def test_a_rule_may_return_a_list_a_tuple_subclass_or_arrays(temporary_op):
    pair = namedtuple("pair", "first second")
    a = tg.Tensor([1.0, 2.0], requires_grad=True)
    b = tg.Tensor([3.0, 4.0], requires_grad=True)
    for rule in (lambda g, out, x, y: [g * y, g * x],
                 lambda g, out, x, y: pair(g * y, g * x),
                 lambda g, out, x, y: (g.data * y.data, g.data * x.data)):
        op = temporary_op(rule)
        a.grad = b.grad = None
        op(a, b).sum().backward()
        np.testing.assert_array_equal(a.grad.data, b.data)
        np.testing.assert_array_equal(b.grad.data, a.data)


def test_hooks_and_retain_grad_on_the_lean_walk():
    x = tg.Tensor([1.0, -2.0], requires_grad=True)
    h = x * 3.0
    h.retain_grad()
    seen = []
    h.register_hook(lambda g: seen.append(g.data.copy()))
    x.register_hook(lambda g: g * 10)
    (h * h).sum().backward()
    np.testing.assert_array_equal(h.grad.data, 2 * h.data)
    np.testing.assert_array_equal(seen[0], 2 * h.data)
    np.testing.assert_array_equal(x.grad.data, 10 * 3 * 2 * h.data)


@pytest.mark.parametrize("record", [True, False])
def test_an_op_result_fills_the_slots_wrap_fills(record):
    # Op._run writes wrap's slots out inline (one call less per op): the same values.
    a = tg.Tensor([1.0, 2.0], requires_grad=record)
    result = a * 2.0
    mul = get_op("mul")
    expected = wrap(result.data, mul, (a, 2.0), None) if record else wrap(result.data)
    for slot in tg.Tensor.__slots__:
        if slot in ("__dict__", "__weakref__"):
            continue
        assert getattr(result, slot) is getattr(expected, slot) or \
            getattr(result, slot) == getattr(expected, slot), slot
    assert type(result) is tg.Tensor and not result.__dict__


def _reference_order(outputs):
    """The depth-first order as written before leaves skipped their second push."""
    order, state, stack = [], {}, list(outputs)
    while stack:
        t = stack.pop()
        done = state.get(t)
        if done is None:
            state[t] = False
            stack.append(t)
            for parent in t._inputs:
                if isinstance(parent, tg.Tensor) and parent._requires_grad and parent not in state:
                    stack.append(parent)
        elif not done:
            state[t] = True
            order.append(t)
    return order


@pytest.mark.parametrize("seed", range(6))
def test_the_topological_order_is_the_two_push_depth_first_order(seed):
    values = [random.Random(seed).uniform(-1, 1) for _ in range(3)]
    leaves, loss = _random_graph(random.Random(seed + 200), values)
    assert tg.topological_order([loss]) == _reference_order([loss])
    x = tg.Tensor(1.0, requires_grad=True)
    y = x * x + x  # a parent twice, and one already seen
    assert tg.topological_order([y]) == _reference_order([y])


def test_leading_axes_are_what_broadcasting_added_in_front():
    from tinygrad_lr.broadcasting import leading_axes

    assert leading_axes((256, 16), (16,)) == (0,)
    assert leading_axes((2, 3, 4), (4,)) == (0, 1)
    assert leading_axes((9, 8, 7, 6, 5, 4, 3, 2, 1), (1,)) == tuple(range(8))
    for stretched in [((4, 3), (1, 3)), ((4, 3), (4, 3)), ((3,), (2, 3)), ((2, 4), (3,))]:
        assert leading_axes(*stretched) is None


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_bias_gradients_on_both_walks_are_numpys_column_sums(dtype):
    rng = np.random.default_rng(7)
    x = rng.standard_normal((64, 5)).astype(dtype)
    x[:, 0] = -0.0  # a column summing to −0.0
    b = tg.Tensor(rng.standard_normal(5).astype(dtype), requires_grad=True)
    c = tg.Tensor(rng.standard_normal((3, 1, 5)).astype(dtype), requires_grad=True)
    g = rng.standard_normal((2, 3, 64, 5)).astype(dtype)
    g[..., 0] = -0.0
    for retain_grads in (False, True):  # the lean walk, then the general one
        b.grad = c.grad = None
        ((tg.Tensor(x) + b + c) * tg.Tensor(g)).sum().backward(retain_grads=retain_grads)
        at_sum = np.add.reduce(g, axis=0)  # each add's edge sums its new leading axis
        expected_b = np.add.reduce(np.add.reduce(at_sum, axis=0), axis=0)
        assert b.grad.data.tobytes() == expected_b.tobytes()
        expected_c = np.add.reduce(at_sum, axis=1, keepdims=True)
        assert c.grad.data.tobytes() == expected_c.tobytes()
