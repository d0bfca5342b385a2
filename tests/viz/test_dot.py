"""DOT text: golden files for the lecture graph, and what every label must (not) show."""

import math
import os
import re
from pathlib import Path

import numpy as np
import pytest

import tinygrad_lr as tg
from tinygrad_lr import viz
from tinygrad_lr.viz.labels import format_number

GOLDEN = Path(__file__).parent / "golden"
# Regenerate after a deliberate change: UPDATE_GOLDEN=1 pytest tests/viz/test_dot.py
# (then render the files to PNG and look at them before committing).
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"


def lecture_numbers(x1=1.0, x2=2.0, y=1.0, w1=0.5, w2=-0.2, b=0.1):
    z = w1 * x1 + w2 * x2 + b
    a = 1.0 / (1.0 + math.exp(-z))
    loss = -(y * math.log(a) + (1 - y) * math.log(1 - a))
    dz = a - y
    return {"z": z, "a": a, "L": loss, "da": -y / a + (1 - y) / (1 - a), "dz": dz,
            "dw1": x1 * dz, "dw2": x2 * dz, "db": dz}


def labels(source):
    """node id -> its label text without markup."""
    found = {}
    for node_id, label in re.findall(r"^\t(n\d+) \[label=<(.*?)>, fillcolor", source, re.M):
        text = re.sub(r"</TR>", "\n", label)
        text = re.sub(r"<[^>]+>", "", text).replace("&amp;", "&").replace("\u00a0", " ")
        found[node_id] = text.strip()
    return found


@pytest.mark.parametrize("view", ["forward", "backward", "lecture"])
def test_lecture_graph_matches_golden(view):
    source = viz.to_dot(viz.lecture_example()["L"], view=view)
    path = GOLDEN / f"lecture_{view}.dot"
    if UPDATE:
        path.write_text(source, encoding="utf-8")
    assert source == path.read_text(encoding="utf-8")


def test_forward_view_shows_every_name_op_value_and_grad():
    t = viz.lecture_example()
    source = viz.to_dot(t["L"])
    text = "\n".join(labels(source).values())
    expected = lecture_numbers()
    for name in ("x1", "x2", "y", "w1", "w2", "b", "z", "a", "L"):
        assert re.search(rf"^{name}\b", text, re.M), name
    assert "σ" in text and "L(a, y)" in text and "×" in text and "+" in text
    for key in ("z", "a", "L"):
        assert f"value {format_number(expected[key])}" in text
    for key in ("dz", "dw1", "dw2", "da"):
        assert f"grad {format_number(expected[key])}" in text
    assert format_number(expected["dw2"]) == "−0.9003"  # an independent check of the format


def test_nothing_stale_before_backward():
    t = viz.lecture_example(backward=False)
    for view in ("forward", "backward", "lecture"):
        source = viz.to_dot(t["L"], view=view)
        assert "grad " not in source and "dw1" not in source, view
        assert "No gradients shown" in source


def test_options_choose_what_nodes_show():
    t = viz.lecture_example()
    bare = viz.to_dot(t["L"], values=False, grads=False, legend=False)
    assert "value " not in bare and "grad " not in bare and "parameter (requires" not in bare
    rich = viz.to_dot(t["L"], formulas=True, order=True, edge_grads=True, dtypes=True)
    assert "∂a/∂z = a(1−a)" in rich and "backward step 1" in rich and "float64" in rich
    assert 'label=" −0.4502 "' in rich  # the gradient z sends along its edges
    assert 'rankdir=RL' in viz.to_dot(t["L"], view="backward")  # landscape, read backward
    assert "value 0.549834" in viz.to_dot(t["L"], precision=6)


def test_shapes_dtypes_and_array_summaries():
    x = tg.Tensor(np.arange(12.0, dtype=np.float32).reshape(3, 4), requires_grad=True, name="X")
    small = tg.Tensor(np.array([1.0, -2.0]), name="v")
    y = (x.sum(axis=0)[:2] * small).sum()
    text = "\n".join(labels(viz.to_dot(y)).values())
    assert "(3, 4) float32" in text
    assert "mean 5.5, range [0, 11]" in text
    assert "[1, −2]" in text
    assert "axis=0" in text


def test_bad_options_name_the_problem():
    x = tg.Tensor(1.0, requires_grad=True)
    with pytest.raises(TypeError, match="colour"):
        viz.to_dot(x, colour="red")
    with pytest.raises(ValueError, match="view"):
        viz.to_dot(x, view="sideways")
    with pytest.raises(ValueError, match="precision"):
        viz.to_dot(x, precision=0)
    with pytest.raises(ValueError, match="max_nodes"):
        viz.to_dot(x, max_nodes=3)
    with pytest.raises(TypeError, match="grads"):
        viz.to_dot(x, grads="yes")
    with pytest.raises(ValueError, match="step"):
        viz.to_dot(x * 2, step=1)  # no backward yet


def test_lecture_view_reads_like_the_board():
    t = viz.lecture_example()
    source = viz.to_dot(t["L"], view="lecture")
    text = "\n".join(labels(source).values())
    n = lecture_numbers()
    assert "z = w1·x1 + w2·x2 + b" in text and "a = σ(z)" in text and "L(a, y)" in text
    assert f"dw1 = x1·dz = {format_number(n['dw1'])}" in text
    assert f"dw2 = x2·dz = {format_number(n['dw2'])}" in text
    assert f"db = dz = {format_number(n['db'])}" in text
    assert f"dz = a(1−a)·da = a − y = {format_number(n['dz'])}" in text
    assert f"da = −y/a + (1−y)/(1−a) = {format_number(n['da'])}" in text
    assert len(labels(source)) == 9  # x1 w1 x2 w2 b z a y L: the unnamed ops are folded in
    edges = re.findall(r"^\t(n\d+) -> (n\d+)$", source, re.M)
    assert len(edges) == 8


def test_lecture_view_with_numbers_for_inputs_and_no_names():
    w = tg.Tensor(0.5, requires_grad=True, name="w")
    out = (w * 3.0 - 1.0).sigmoid()
    out.backward(retain_grads=True)
    text = "\n".join(labels(viz.to_dot(out, view="lecture")).values())
    assert "σ(w·3 − 1)" in text
    expected = 3 * (1 / (1 + math.exp(-0.5))) * (1 - 1 / (1 + math.exp(-0.5)))
    assert format_number(expected) in text


def test_draw_returns_a_digraph_with_the_same_source():
    graphviz = pytest.importorskip("graphviz")
    t = viz.lecture_example()
    pic = viz.draw(t["L"], view="lecture")
    assert isinstance(pic, graphviz.Digraph)
    assert pic.source == viz.to_dot(t["L"], view="lecture")
    assert viz.draw(t["L"]).source == viz.to_dot(t["L"])
    # pictures are viz's functions, never Tensor methods: the core does not know viz
    assert not hasattr(t["L"], "to_dot") and not hasattr(t["L"], "draw")


def test_highlight_and_step_mark_the_current_node():
    t = viz.lecture_example()
    source = viz.to_dot(t["L"], highlight=t["z"])
    assert source.count("penwidth=3.5") == 1
    step2 = viz.to_dot(t["L"], step=2)
    text = labels(step2)
    assert sum("grad" in v for v in text.values()) == 2  # L and a are done, nothing else yet
    with pytest.raises(ValueError, match="from 0 to 9"):
        viz.to_dot(t["L"], step=10)
    with pytest.raises(ValueError, match="highlight"):
        viz.to_dot(t["L"], highlight=tg.Tensor(1.0))


def test_lecture_view_refuses_large_graphs_and_cuts_long_formulas():
    x = tg.Tensor(0.1, requires_grad=True, name="x")
    y = x
    for _ in range(600):
        y = y * 1.001
    with pytest.raises(ValueError, match="view='forward'"):
        viz.to_dot(y, view="lecture")
    terms = [tg.Tensor(float(i), requires_grad=True, name=f"w{i}") for i in range(60)]
    total = terms[0]
    for t in terms[1:]:
        total = total + t
    source = viz.to_dot(total, view="lecture")
    assert "w0 + w1 + w2" in source and "…" in source


def test_lecture_edges_carry_the_symbolic_gradient():
    t = viz.lecture_example()
    source = viz.to_dot(t["L"], view="lecture", edge_grads=True)
    n = lecture_numbers()
    ids = {v.split(" ")[0]: k for k, v in labels(source).items()}
    # decorate: each label is joined to its own edge by a line (not floating between two).
    assert (f'{ids["w1"]} -> {ids["z"]} [label=" x1·dz = {format_number(n["dw1"])} ", '
            "decorate=true]") in source
    assert f'{ids["b"]} -> {ids["z"]} [label=" dz = {format_number(n["db"])} ", decorate=true]' in (
        source)
    assert f'{ids["x1"]} -> {ids["z"]}\n' in source  # no gradient flows to an input
