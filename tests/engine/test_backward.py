"""The backward pass: graph shapes, accumulation, retain_graph, no_grad, hooks, deep chains."""

import gc

import numpy as np
import pytest

import tinygrad_lr as tg


def test_x_times_x_has_two_edges_and_gradient_2x():
    x = tg.Tensor(3.0, requires_grad=True)
    y = x * x
    assert y.inputs == (x, x)
    y.backward()
    assert x.grad.item() == 6.0


def test_diamond_graph_sums_both_paths():
    x = tg.Tensor(0.7, requires_grad=True)
    a = x.exp()
    b = x.sin()
    c = a * b
    c.backward()
    expected = np.exp(0.7) * np.sin(0.7) + np.exp(0.7) * np.cos(0.7)
    assert x.grad.item() == pytest.approx(expected, rel=1e-12)


def test_shared_subexpression_visited_once():
    x = tg.Tensor(2.0, requires_grad=True)
    s = x * x
    y = s + s + s
    y.backward()
    assert x.grad.item() == pytest.approx(12.0)
    assert s.visit_order is not None


def test_unused_input_keeps_no_grad():
    x = tg.Tensor(1.0, requires_grad=True)
    unused = tg.Tensor(5.0, requires_grad=True)
    (x * 2).backward()
    assert x.grad.item() == 2.0 and unused.grad is None
    with pytest.raises(RuntimeError, match="not used"):
        tg.grad(x * 2, [x, unused])
    assert tg.grad(x * 2, [x, unused], allow_unused=True)[1] is None


def test_gradients_accumulate_until_reset():
    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.data, [3 + 2, 3 + 4])
    x.grad = None
    (x * 3).sum().backward()
    np.testing.assert_allclose(x.grad.data, [3, 3])


def test_leaf_grads_do_not_alias_each_other():
    a = tg.Tensor([1.0], requires_grad=True)
    b = tg.Tensor([2.0], requires_grad=True)
    (a + b).sum().backward()
    a.grad.data[0] = 100.0
    assert b.grad.item() == 1.0


def test_second_backward_needs_retain_graph():
    x = tg.Tensor(2.0, requires_grad=True)
    y = (x * x).exp()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()


def test_retain_graph_allows_a_second_backward():
    x = tg.Tensor(2.0, requires_grad=True)
    y = (x * x).exp()
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.item() == pytest.approx(2 * 4 * np.exp(4))


def test_backward_on_non_scalar_needs_grad():
    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match="needs grad="):
        y.backward()
    y.backward(np.array([1.0, 10.0]))
    np.testing.assert_allclose(x.grad.data, [2.0, 20.0])
    with pytest.raises(ValueError, match=r"shape \(3,\)"):
        (x * 2).backward(np.ones(3))


def test_backward_without_requires_grad_is_a_clear_error():
    with pytest.raises(RuntimeError, match="does not require grad"):
        tg.Tensor(1.0).exp().backward()


def test_no_grad_records_nothing():
    x = tg.Tensor(1.0, requires_grad=True)
    with tg.no_grad():
        y = x * 2 + 1
    assert not y.requires_grad and y.is_leaf and y.inputs == ()
    assert tg.is_grad_enabled()


def test_set_grad_enabled_and_enable_grad():
    x = tg.Tensor(1.0, requires_grad=True)
    with tg.set_grad_enabled(False):
        assert not (x * 2).requires_grad
        with tg.enable_grad():
            assert (x * 2).requires_grad


def test_detach_cuts_the_graph():
    x = tg.Tensor(3.0, requires_grad=True)
    y = x * x
    z = y.detach() * x
    z.backward()
    assert x.grad.item() == 9.0
    assert y.detach().data is y.data


def test_float32_is_preserved_through_forward_and_backward():
    x = tg.Tensor(np.array([0.5, -1.0], dtype=np.float32), requires_grad=True)
    w = tg.Tensor(np.array([[1.0], [2.0]], dtype=np.float32), requires_grad=True)
    y = ((x * 2.5 + 1).sigmoid().reshape(1, 2) @ w).tanh().mean()
    assert y.dtype == np.float32
    y.backward()
    assert x.grad.dtype == np.float32 and w.grad.dtype == np.float32


def test_python_numbers_and_lists_become_float64():
    assert tg.Tensor(1).dtype == np.float64
    assert tg.Tensor([[1, 2]]).dtype == np.float64
    assert tg.Tensor(np.array([1, 2])).dtype == np.int64


def test_deep_chain_of_100_000_ops_backward_without_recursion():
    x = tg.Tensor(1.0, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 0.9999 + 0.0001
    y.backward()
    assert x.grad.item() == pytest.approx(0.9999 ** 100_000, rel=1e-9)


def test_recording_operators_leave_the_cyclic_collector_alone_and_restore_its_state():
    # A loop of operators builds its graph without a collection (each would rescan the
    # whole graph), and the collector's on/off state is what it was, even after an error.
    collections = []

    def count(phase, info):
        if phase == "start":
            collections.append(info["generation"])

    x = tg.Tensor(np.ones(3), requires_grad=True)
    gc.callbacks.append(count)
    try:
        y = x
        for _ in range(5_000):  # 15,000 nodes: without the pause, ~40 collections
            y = (y * 0.999 + 0.001).tanh()
        assert collections == []
    finally:
        gc.callbacks.remove(count)
    assert gc.isenabled()
    with pytest.raises(ValueError, match="mul: cannot apply"):
        x * tg.Tensor(np.ones(2))
    assert gc.isenabled()
    y.sum().backward()
    assert gc.isenabled()
    gc.disable()
    try:
        _ = x * 2
        (x * x).sum().backward()
        assert not gc.isenabled()  # the user's choice stays
    finally:
        gc.enable()
    chain = np.ones(3)
    for _ in range(5_000):
        chain = np.tanh(chain * 0.999 + 0.001)
    assert np.allclose(y.data, chain, rtol=1e-12)


def test_tensor_attributes_set_rarely_have_defaults_and_stay_per_tensor():
    a, b = tg.Tensor(1.0, requires_grad=True), tg.Tensor(2.0, requires_grad=True)
    c = a * b
    assert (c.name, c.visit_order, c.edge_grads) == (None, None, None)
    c.name = "c"
    _ = c.retain_grad()
    c.register_hook(lambda g: g * 3)
    (c * 1).backward(retain_grads=True)
    assert c.name == "c" and c.grad.item() == 3.0 and c.visit_order == 1
    assert [g.item() for g in c.edge_grads] == [6.0, 3.0]
    d = a * b  # another result of the same op shares none of it
    assert (d.name, d.grad, d.visit_order, d.edge_grads) == (None, None, None, None)
    assert not d._retains_grad and d._hooks is None


def test_register_hook_sees_and_can_replace_the_gradient():
    x = tg.Tensor(2.0, requires_grad=True)
    y = x * x
    seen = []
    y.register_hook(lambda g: seen.append(g.item()))
    handle = x.register_hook(lambda g: g * 0.5)
    (y * 3).backward()
    assert seen == [3.0]
    assert x.grad.item() == pytest.approx(6.0)
    handle.remove()
    x.grad = None
    (x * x * 3).backward()
    assert x.grad.item() == pytest.approx(12.0)


def test_retain_grad_and_retain_grads_keep_intermediate_gradients():
    x = tg.Tensor(2.0, requires_grad=True)
    y = x * x
    z = y * 3
    z.backward(retain_graph=True)
    assert y.grad is None
    y.retain_grad()
    z.backward(retain_graph=True)
    assert y.grad.item() == 3.0
    w = tg.Tensor(1.0, requires_grad=True)
    out = (w * 2).exp()
    out.backward(retain_grads=True)
    middle = out.inputs[0]
    assert middle.grad.item() == pytest.approx(np.exp(2.0))
    assert out.edge_grads[0].item() == pytest.approx(np.exp(2.0))
    assert middle.edge_grads == (middle.grad * 2, None) or middle.edge_grads[1] is None
    assert out.visit_order == 0 and middle.visit_order == 1 and w.visit_order == 2


def test_grad_does_not_touch_dot_grad_and_create_graph_gives_higher_orders():
    x = tg.Tensor(1.5, requires_grad=True)
    y = x ** 4
    (d1,) = tg.grad(y, x, create_graph=True)
    (d2,) = tg.grad(d1, x, create_graph=True)
    (d3,) = tg.grad(d2, x)
    assert x.grad is None
    assert d1.item() == pytest.approx(4 * 1.5 ** 3)
    assert d2.item() == pytest.approx(12 * 1.5 ** 2)
    assert d3.item() == pytest.approx(24 * 1.5)


def test_backward_with_create_graph_makes_grad_differentiable():
    x = tg.Tensor(0.3, requires_grad=True)
    x.tanh().backward(create_graph=True)
    first = x.grad
    assert first.requires_grad
    x.grad = None
    first.backward()
    t = np.tanh(0.3)
    assert x.grad.item() == pytest.approx(-2 * t * (1 - t * t), rel=1e-12)


def test_grad_without_create_graph_records_nothing():
    x = tg.Tensor(0.3, requires_grad=True)
    (g,) = tg.grad(x.exp() * x, x)
    assert not g.requires_grad and g.is_leaf


def test_grad_with_grad_outputs_and_several_outputs():
    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    (g,) = tg.grad([x * 2, x * x], x, grad_outputs=[np.ones(2), np.array([1.0, 0.5])])
    np.testing.assert_allclose(g.data, [2 + 2, 2 + 2])


def test_detect_anomaly_names_the_op_and_the_user_line():
    x = tg.Tensor([1.0, -1.0], requires_grad=True)
    with tg.detect_anomaly(), pytest.raises(FloatingPointError, match="op 'log'"):
        x.log()
    y = tg.Tensor(0.0, requires_grad=True)
    with tg.detect_anomaly():
        out = y.sqrt()  # fine forward (0), infinite gradient backward
        with pytest.raises(FloatingPointError) as info:
            out.backward()
    assert "op 'sqrt'" in str(info.value) and "test_backward.py" in str(info.value)


def test_inputs_are_never_mutated():
    X = np.arange(6.0).reshape(2, 3)
    before = X.copy()
    w = tg.Tensor(np.ones(3), requires_grad=True)
    t = tg.Tensor(X)
    loss = ((t @ w).sigmoid() * 2 - X.sum()).sum() + t[0, [0, 0]].sum()
    loss.backward()
    np.testing.assert_array_equal(X, before)
    tg.gradcheck(lambda a: (a * 2).sum(), [tg.Tensor(X, requires_grad=True)])
    np.testing.assert_array_equal(X, before)


def test_topological_order_puts_inputs_before_outputs():
    a = tg.Tensor(1.0, requires_grad=True)
    b = a * 2
    c = b + a
    order = tg.topological_order([c])
    assert order.index(a) < order.index(b) < order.index(c)


def test_hook_changing_the_gradient_shape_is_an_error_naming_the_hook():
    t = tg.Tensor([1.0, 2.0, 3.0], requires_grad=True, name="t")
    t.register_hook(lambda g: 5.0)
    with pytest.raises(ValueError, match=r"tensor 't' changed the gradient's shape from \(3,\)"):
        (t * 2).sum().backward()
    u = tg.Tensor([1.0, 2.0], requires_grad=True)
    u.register_hook(lambda g: g.data * 0 + 7)  # arrays are fine when the shape is kept
    (u * 2).sum().backward()
    assert u.grad.tolist() == [7.0, 7.0]


def test_grad_for_an_intermediate_target_leaves_its_graph_usable():
    a = tg.Tensor([1.0, 2.0], requires_grad=True)
    h = a * a
    y = (h * 3).sum()
    (dh,) = tg.grad(y, h)
    assert dh.tolist() == [3.0, 3.0]
    h.sum().backward()  # h's own backward was not run (or released) by grad()
    assert a.grad.tolist() == [2.0, 4.0]
    b = tg.Tensor([1.0, 2.0], requires_grad=True)
    g = b * b
    dg, db = tg.grad((g * 3).sum(), [g, b])
    assert dg.tolist() == [3.0, 3.0] and db.tolist() == [6.0, 12.0]


def test_a_later_pass_without_retain_grads_drops_stale_intermediate_gradients():
    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    h = x * 2.0
    y1, y2 = (h * h).sum(), (h * 3.0).sum()
    y1.backward(retain_grads=True, retain_graph=True)
    assert h.grad.tolist() == [4.0, 8.0] and h.edge_grads is not None
    y2.backward()
    assert h.grad is None and h.edge_grads is None


def test_grad_names_its_own_argument_in_errors():
    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="needs grad_outputs="):
        tg.grad(x * 2, x)
    with pytest.raises(ValueError, match=r"grad_outputs has shape \(3,\)"):
        tg.grad(x * 2, x, grad_outputs=np.ones(3))
