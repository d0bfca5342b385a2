"""What pictures say: user text drawn literally, the legend's colours with either renderer,
PNG resolution, stale values marked, and the graph command's steps page."""

import html
import re
import shutil
import struct

import pytest

import tinygrad_lr as tg
from tinygrad_lr import viz
from tinygrad_lr.cli import main as cli_main
from tinygrad_lr.optim import SGD
from tinygrad_lr.viz import wasm
from tinygrad_lr.viz.backends import render_source

HAS_DOT = shutil.which("dot") is not None
needs_dot = pytest.mark.skipif(not HAS_DOT, reason="Graphviz 'dot' is not installed")
needs_wasm = pytest.mark.skipif(not wasm.available(), reason="tinygrad-lr[svg] not installed")


def svg_lines(svg: bytes) -> list:
    """The text lines of an SVG, as a reader sees them."""
    text = svg.decode("utf-8")
    return [html.unescape(re.sub(r"<[^>]+>", "", t)).replace("\u00a0", " ")
            for t in re.findall(r"<text[^>]*>(.*?)</text>", text)]


def odd_names():
    x = tg.Tensor(2.0, requires_grad=True, name=r"C:\Nodes\Graph")
    y = x * tg.Tensor(3.0, name="&lt;b&gt;")
    y.name = "{count}"
    return viz.backprop(y)


def renderers_here():
    found = []
    if HAS_DOT:
        found.append(lambda source: render_source(source, "svg"))
    if wasm.available():
        found.append(wasm.render_svg)
    if not found:
        pytest.skip("no SVG renderer installed")
    return found


@pytest.mark.parametrize("view", ["forward", "backward", "lecture"])
def test_user_text_is_drawn_as_written(view):
    y = odd_names()
    for render in renderers_here():
        lines = svg_lines(render(viz.to_dot(y, view=view, title=r"\G & &amp; {frames}")))
        text = "\n".join(lines)
        assert r"C:\Nodes\Graph" in text, text
        assert "&lt;b&gt;" in text and "<b>" not in text
        assert r"\G & &amp; {frames}" in text
        assert "tinygrad_lr" not in text  # \G was not expanded to the graph's name


@needs_wasm
def test_pip_only_renderer_keeps_the_legend_swatches_and_red_gradients():
    svg = wasm.render_svg(viz.to_dot(viz.lecture_example()["L"], view="lecture")).decode()
    legend = next(t for t in re.findall(r"<text[^>]*>.*?</text>", svg) if "parameter" in t)
    assert '<tspan fill="#2b6cb0">■ </tspan>parameter' in legend
    assert '<tspan fill="#a93226">red text: a gradient' in legend
    grad = next(t for t in re.findall(r"<text[^>]*>.*?</text>", svg) if "dw1 = x1·dz" in t)
    assert 'fill="#a93226"' in grad
    assert svg.count('xml:space="preserve"') == len(re.findall(r"<text ", svg))
    import xml.dom.minidom

    xml.dom.minidom.parseString(svg.encode())  # still well-formed XML


def test_legend_says_what_red_means():
    source = viz.to_dot(viz.lecture_example()["L"], view="lecture")
    assert "red text: a gradient" in source
    assert "red text" not in viz.to_dot(viz.lecture_example(backward=False)["L"])


@needs_dot
def test_png_resolution(tmp_path):
    loss = viz.lecture_example()["L"]

    def size(path):
        width, height = struct.unpack(">II", path.read_bytes()[16:24])
        return width, height

    normal = size(viz.render(loss, tmp_path / "a.png", view="lecture"))
    sharp = size(viz.render(loss, tmp_path / "b.png", view="lecture", dpi=192))
    assert sharp[0] == pytest.approx(2 * normal[0], rel=0.02)
    assert sharp[1] == pytest.approx(2 * normal[1], rel=0.02)
    with pytest.raises(ValueError, match="dpi"):
        viz.render(loss, tmp_path / "c.svg", dpi=200)
    with pytest.raises(ValueError, match="dpi"):
        viz.render(loss, tmp_path / "c.png", dpi=0)
    frames = viz.backward_frames(viz.lecture_example(backward=False)["L"], view="lecture")
    assert size(frames[2].render(tmp_path / "f.png", dpi=192))[0] > normal[0]


def test_values_changed_after_forward_are_marked_and_gradients_called_stale():
    t = viz.lecture_example()
    SGD([t["w1"], t["w2"], t["b"]], lr=0.1).step()
    for view in ("forward", "lecture"):
        source = viz.to_dot(t["L"], view=view)
        assert "w1, w2, b changed after this graph" in source
        assert "0.545 (changed after the forward pass)" in source
        grads = [g for g in re.findall(r'COLOR="#a93226">([^<]*)<', source)
                 if not g.startswith("red text")]
        assert grads and all(g.endswith("(stale)") for g in grads), grads
    edges = re.findall(r'label=" ([^"]*) "', viz.to_dot(t["L"], view="backward"))
    assert edges and all(e.endswith("(stale)") for e in edges), edges
    fresh = viz.to_dot(viz.lecture_example()["L"], view="lecture")
    assert "stale" not in fresh and "changed after" not in fresh


def test_changing_an_input_marks_it_too():
    x = tg.Tensor(2.0, name="x")
    w = tg.Tensor(0.5, requires_grad=True, name="w")
    loss = ((w * 3.0) * x).sigmoid()  # x is the only leaf the second product reads
    assert not viz.walk(loss).stale
    x.data = x.data + 1.0
    assert [n.name for n in viz.walk(loss).nodes if n.changed] == ["x"]


def test_cli_refuses_non_finite_inputs(tmp_path, capsys):
    for value in ("nan", "inf", "-inf"):
        with pytest.raises(SystemExit) as stop:
            cli_main(["graph", f"--x1={value}", "-o", str(tmp_path / "g.dot")])
        assert stop.value.code == 2
        assert "--x1: expected a finite number" in capsys.readouterr().err
    assert not (tmp_path / "g.dot").exists()


@pytest.mark.skipif(not (HAS_DOT or wasm.available()), reason="no SVG renderer installed")
def test_cli_steps_page_is_the_lecture_board_with_the_update(tmp_path, capsys):
    out = tmp_path / "steps.html"
    assert cli_main(["graph", "--view", "steps", "--lr", "0.5", "-o", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert text.count('class="frame"') == 10
    assert 'data-kind="update"' in text and "α = 0.5" in text
    out = tmp_path / "descent.html"
    assert cli_main(["graph", "--view", "steps", "--iterations", "3", "-o", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert text.count('data-kind="update"') == 3 and "After 3 updates" in text
    assert cli_main(["graph", "--view", "steps", "--dpi", "200", "-o", str(out)]) == 2
    with pytest.raises(SystemExit):
        cli_main(["graph", "--view", "steps", "--lr", "0", "-o", str(out)])
    assert "--lr: expected a finite number > 0" in capsys.readouterr().err


@needs_dot
def test_cli_png_dpi(tmp_path):
    out = tmp_path / "board.png"
    assert cli_main(["graph", "--view", "lecture", "--dpi", "200", "-o", str(out)]) == 0
    width = struct.unpack(">I", out.read_bytes()[16:20])[0]
    assert width > 1500


def test_frames_without_any_renderer_are_still_made(monkeypatch, tmp_path):
    from tinygrad_lr.viz import backends

    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    monkeypatch.setattr(wasm, "available", lambda: False)
    frames = viz.backward_frames(viz.lecture_example(backward=False)["L"], view="lecture",
                                 lr=0.1)
    assert len(frames) == 10 and "fixedsize" not in frames[0].dot
    with pytest.raises(viz.RendererNotFoundError):
        backends.node_sizes(frames[0].dot)
    page = viz.step_through(viz.lecture_example(backward=False)["L"], view="lecture")
    with pytest.raises(viz.RendererNotFoundError):
        page.html()
