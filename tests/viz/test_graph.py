"""The graph walk behind every picture: plain data, any depth, no stale gradients."""

import math

import numpy as np
import pytest

import tinygrad_lr as tg
from tinygrad_lr import viz
from tinygrad_lr.viz.graph import GROUP, INPUT, OP, OUTPUT, PARAMETER


def sigmoid(z):
    return 1.0 / (1.0 + math.exp(-z))


def by_name(graph):
    return {n.name: n for n in graph.nodes if n.name}


def test_walk_kinds_order_and_one_edge_per_use():
    x = tg.Tensor(3.0, requires_grad=True, name="x")
    c = tg.Tensor([1.0, 2.0], name="c")
    y = (x * x + c).sum()
    g = viz.walk(y)
    kinds = {n.name or n.op: n.kind for n in g.nodes}
    assert kinds == {"x": PARAMETER, "mul": OP, "c": INPUT, "add": OP, "sum": OUTPUT}
    position = {n.id: i for i, n in enumerate(g.nodes)}
    assert all(position[e.source] < position[e.target] for e in g.edges)
    square = next(n for n in g.nodes if n.op == "mul")
    into_square = [e for e in g.edges if e.target == square.id]
    assert [e.position for e in into_square] == [0, 1]
    assert {e.source for e in into_square} == {by_name(g)["x"].id}


def test_walk_is_iterative_for_deep_graphs():
    x = tg.Tensor(0.1, requires_grad=True, name="x")
    y = x
    for _ in range(5000):
        y = y * 1.0001
    g = viz.walk(y)
    assert len(g.nodes) == 5001 and len(g.edges) == 5000
    assert viz.to_dot(y).startswith("digraph")


def test_numbers_are_kept_inline_as_constants():
    x = tg.Tensor(2.0, requires_grad=True, name="x")
    y = 1 - x * 3.0
    g = viz.walk(y)
    ops = {n.op: n for n in g.nodes if n.op}
    assert ops["mul"].constants == ((1, "b", 3.0),)
    assert ops["sub"].constants == ((0, "a", 1),)
    assert len(g.nodes) == 3  # no boxes for the numbers


def test_no_gradients_before_backward_and_none_from_another_graph():
    t = viz.lecture_example(backward=False)
    g = viz.walk(t["L"])
    assert not g.backward_done
    assert all(n.grad is None and n.visit_order is None for n in g.nodes)
    t["L"].backward()
    # A new graph on the same weights: w1.grad is real, but it belongs to the first loss.
    second = (t["w1"] * 2.0).sigmoid()
    g2 = viz.walk(second)
    assert t["w1"].grad is not None
    assert all(n.grad is None for n in g2.nodes)
    assert "No gradients shown" in viz.to_dot(second)
    assert "grad " not in viz.to_dot(second)


def test_grads_match_the_hand_derived_formulas():
    t = viz.lecture_example(x1=1.5, x2=-2.0, y=0.0, w1=0.3, w2=0.7, b=-0.1)
    g = by_name(viz.walk(t["L"]))
    z = 0.3 * 1.5 + 0.7 * -2.0 - 0.1
    a = sigmoid(z)
    dz = a - 0.0
    expected = {"a": 1 / (1 - a), "z": dz, "w1": 1.5 * dz, "w2": -2.0 * dz, "b": dz, "L": 1.0}
    for name, value in expected.items():
        assert g[name].grad == pytest.approx(value, rel=1e-12), name
    assert g["x1"].grad is None and g["y"].grad is None
    assert g["L"].visit_order == 0 and g["a"].visit_order == 1 and g["z"].visit_order == 2


def test_edge_grads_are_what_each_use_received():
    x = tg.Tensor(3.0, requires_grad=True, name="x")
    y = viz.backprop(x * x)
    g = viz.walk(y)
    grads = [float(e.grad) for e in g.edges]
    assert grads == [3.0, 3.0]  # d(x*x) = x dx + x dx: each edge carries x
    assert float(by_name(g)["x"].grad) == 6.0


def test_intermediate_grads_not_kept_are_not_shown_and_a_note_says_so():
    t = viz.lecture_example(backward=False)
    t["L"].backward()
    g = viz.walk(t["L"])
    assert g.backward_done and not g.grads_retained
    assert by_name(g)["z"].grad is None and by_name(g)["w1"].grad is not None
    assert all(e.grad is None for e in g.edges)
    source = viz.to_dot(t["L"])
    assert "Intermediate gradients were not kept" in source


def test_stale_edge_grads_from_an_earlier_backward_are_not_shown():
    x = tg.Tensor(2.0, requires_grad=True, name="x")
    y = x * x
    y.backward(retain_graph=True, retain_grads=True)
    x.grad = None
    y.grad = None
    y.backward()  # no retain_grads: y's stored edge grads are from the first pass
    g = viz.walk(y)
    assert all(e.grad is None for e in g.edges)


def test_create_graph_draws_backward_ops_as_nodes():
    x = tg.Tensor(2.0, requires_grad=True, name="x")
    (dx,) = tg.grad(x ** 3, x, create_graph=True)
    g = viz.walk(dx)
    ops = [n.op for n in g.nodes if n.op]
    assert len(ops) >= 2 and "mul" in ops
    assert float(dx.data) == 12.0
    assert "<B>x</B>" in viz.to_dot(dx)


def test_walk_rejects_non_tensors():
    with pytest.raises(TypeError, match="list"):
        viz.walk([tg.Tensor(1.0), [1]])
    with pytest.raises(TypeError, match="int"):
        viz.to_dot(3)
    with pytest.raises(ValueError, match="empty"):
        viz.walk([])


def test_several_outputs_drawn_together():
    x = tg.Tensor(np.array([1.0, 2.0]), requires_grad=True, name="x")
    g = viz.walk([x.sum(), x.mean()])
    assert len(g.outputs) == 2 and [n.kind for n in g.nodes].count(OUTPUT) == 2


def test_collapse_by_scope_and_runs_says_what_it_did():
    rng = np.random.default_rng(0)
    h = tg.Tensor(rng.standard_normal((4, 3)), name="x")
    for i in range(60):
        w = tg.Tensor(rng.standard_normal((3, 3)), requires_grad=True, name=f"layer{i}.weight")
        b = tg.zeros(3, requires_grad=True, name=f"layer{i}.bias")
        h = (h @ w + b).tanh()
    loss = h.mean()
    full = viz.walk(loss)
    assert len(full.nodes) == 60 * 5 + 2
    small = viz.collapse(full, 20)
    assert len(small.nodes) <= 20
    assert any(n.kind == GROUP for n in small.nodes)
    assert any("module box" in note for note in small.notes)
    assert sum(n.members for n in small.nodes) == len(full.nodes)
    source = viz.to_dot(loss, max_nodes=20)
    assert "layer0" in source and "Collapsed" in source
    assert len(viz.walk(loss).nodes) == 302  # the graph itself is untouched


def test_collapse_keeps_nodes_nearest_the_output_when_nothing_repeats():
    rng = np.random.default_rng(1)
    pool = [tg.Tensor(float(v), requires_grad=True, name=f"p{i}")
            for i, v in enumerate(rng.standard_normal(20))]
    for i in range(200):
        a, b = rng.integers(0, len(pool), 2)
        pool.append(pool[a] * pool[b] if i % 3 else (pool[a] + pool[b]).tanh())
    out = pool[-1] + pool[-2]
    small = viz.collapse(viz.walk(out), 30)
    assert len(small.nodes) <= 30
    assert any("nearest the output" in note for note in small.notes)
    assert sum(n.members for n in small.nodes) == len(viz.walk(out).nodes)


def test_collapse_runs_with_side_branches_and_fan_in():
    xs = [tg.Tensor(float(i), requires_grad=True) for i in range(300)]
    s = xs[0]
    for x in xs[1:]:
        s = s + x * 2.0
    small = viz.collapse(viz.walk(s), 40)
    assert len(small.nodes) <= 40
    text = " ".join(small.notes)
    assert "+ (with · × 2)" in text and "leaves" in text
