"""The lecture's board step by step, measured in a real browser at projector sizes.

One headless-Chromium run loads every page at 1366×768 and 1920×1080 (each in an iframe of
exactly that size), shows every frame and records where each box is drawn. The numbers
the board shows are checked against the lecture's hand-derived formulas.
"""

import html
import json
import math
import re
import shutil
import subprocess

import numpy as np
import pytest

import tinygrad_lr as tg
from tinygrad_lr import viz
from tinygrad_lr.formulas import Derivatives, Name
from tinygrad_lr.viz.labels import format_number

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SIZES = ((1366, 768), (1920, 1080))
LR = 0.1

needs_browser = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")

# Loads each page into iframes of the projector sizes and measures every frame.
HARNESS = """<!DOCTYPE html><html><body style="margin:0">
<script>
var pages = %(pages)s, sizes = %(sizes)s, results = {}, pending = 0;
function measure(win) {
  var out = [];
  for (var k = 0; k < win.stepThrough.count; k++) {
    win.stepThrough.show(k);
    var doc = win.document, frame = doc.querySelector(".frame.current");
    var graph = frame.querySelector("svg > g").getBoundingClientRect();
    var nodes = {}, smallest = 1e9;
    frame.querySelectorAll("g.node").forEach(function (g) {
      var r = g.getBoundingClientRect();
      g.querySelectorAll("text").forEach(function (t) {
        // The text's size on screen: its font size times the picture's scale.
        var size = parseFloat(t.getAttribute("font-size")) * t.getScreenCTM().a;
        if (t.textContent.trim()) { smallest = Math.min(smallest, size); }
      });
      nodes[g.querySelector("title").textContent] = {
        x: r.left, y: r.top, w: r.width, h: r.height,
        text: Array.prototype.map.call(g.querySelectorAll("text"),
          function (t) { return t.textContent; }).join("\\n")};
    });
    var caption = doc.getElementById("caption"), rect = caption.getBoundingClientRect();
    out.push({caption: caption.textContent,
              captionSize: parseFloat(win.getComputedStyle(caption).fontSize),
              captionBox: [rect.top, rect.bottom, caption.scrollHeight, caption.clientHeight],
              smallestText: smallest,
              kind: frame.getAttribute("data-kind"),
              view: [win.innerWidth, win.innerHeight],
              scroll: [doc.documentElement.scrollWidth, doc.documentElement.scrollHeight],
              graph: [graph.left, graph.top, graph.right, graph.bottom], nodes: nodes});
  }
  var api = win.stepThrough, probes = {};
  var asked = win.document.querySelectorAll(".frame")[7];
  if (asked && asked.getAttribute("data-answer")) {
    // Predict, then reveal: → shows the next step with "?", → again its number.
    api.show(6); api.predict(true); api.next();
    probes.asked = [api.asking(), api.current(), api.caption()];
    api.next();
    probes.revealed = [api.asking(), api.current(), api.caption()];
    api.predict(false); api.quiz(true); api.show(6); api.next();
    probes.quizShown = win.document.getElementById("quiz").classList.contains("open");
    var answer = asked.getAttribute("data-answer");
    probes.answer = answer;
    probes.checks = [answer, answer.replace("\u2212", "-"), "-0.9", "0.9003", "",
                     "banana"].map(function (t) { return api.check(t); });
    api.quiz(false); api.show(0);
  }
  out.probes = probes;
  return out;
}
Object.keys(pages).forEach(function (name) {
  sizes.forEach(function (size) {
    pending++;
    var f = document.createElement("iframe");
    f.style.cssText = "position:absolute;left:0;top:0;border:0;width:" + size[0] +
                      "px;height:" + size[1] + "px";
    f.onload = function () {
      var found = measure(f.contentWindow);
      results[name + "@" + size[0]] = found;
      results[name + "@" + size[0] + "/probes"] = found.probes;
      if (--pending === 0) {
        var pre = document.createElement("pre");
        pre.id = "result";
        pre.textContent = JSON.stringify(results);
        document.body.appendChild(pre);
      }
    };
    f.srcdoc = pages[name];
    document.body.appendChild(f);
  });
});
</script></body></html>
"""


def sigmoid(z):
    return 1.0 / (1.0 + math.exp(-z))


def lecture_numbers(x1=1.0, x2=2.0, y=1.0, w1=0.5, w2=-0.2, b=0.1):
    """The lecture's formulas, by hand: z, a, L, da, dz, dw1, dw2, db."""
    z = w1 * x1 + w2 * x2 + b
    a = sigmoid(z)
    dz = a - y
    return {"z": z, "a": a, "da": -y / a + (1 - y) / (1 - a), "dz": dz,
            "dw1": x1 * dz, "dw2": x2 * dz, "db": dz,
            "w1": w1, "w2": w2, "b": b}


def batch_graph(columns=False):
    """m = 4 examples, two features: Z = X@w + b (rows) or Z = wᵀX + b (columns)."""
    X = np.array([[1.0, 2.0], [0.5, -1.0], [2.0, 0.3], [-1.0, 0.4]])
    Y = np.array([1.0, 0.0, 1.0, 0.0])
    b = tg.Tensor(0.1, requires_grad=True, name="b")
    if columns:
        Xt = tg.Tensor(X.T, name="X")
        w = tg.Tensor(np.array([[0.5], [-0.2]]), requires_grad=True, name="w")
        Z = w.T @ Xt + b
        Yt = tg.Tensor(Y[None, :], name="Y")
    else:
        Xt = tg.Tensor(X, name="X")
        w = tg.Tensor(np.array([0.5, -0.2]), requires_grad=True, name="w")
        Z = Xt @ w + b
        Yt = tg.Tensor(Y, name="Y")
    Z.name = "Z"
    A = Z.sigmoid()
    A.name = "A"
    J = tg.binary_cross_entropy(A, Yt)
    J.name = "J"
    return J, X, Y


@pytest.fixture(scope="module")
def measured(browser):
    """Page@width -> the measurements of each of its frames."""
    return {k: v for k, v in browser.items() if "/" not in k}


@pytest.fixture(scope="module")
def probes(browser):
    """Page@width -> what the predict and quiz keys did."""
    return {k.split("/")[0]: v for k, v in browser.items() if k.endswith("/probes")}


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    if CHROMIUM is None:
        pytest.skip("chromium is not installed")
    if not viz.renderers():
        pytest.skip("no SVG renderer (Graphviz or tinygrad-lr[svg]) installed")
    t = viz.lecture_example(backward=False)
    pages = {"board": viz.step_through(t["L"], view="lecture", lr=LR).html()}
    d = viz.lecture_example(backward=False)
    build = _builder(d)
    pages["descent"] = viz.gradient_descent(build, lr=0.5, iterations=2).html()
    pages["batch"] = viz.step_through(batch_graph()[0], view="lecture", lr=LR).html()
    pages["columns"] = viz.step_through(batch_graph(True)[0], view="lecture", lr=LR).html()
    X, Y = viz.batch.lecture_examples(4)
    pages["loop"] = viz.batch_steps(X, Y, columns=True, lr=LR).html()
    backward = viz.lecture_example(backward=False)["L"]
    pages["backward"] = viz.step_through(backward, view="backward").html()
    forward = viz.lecture_example(backward=False)["L"]
    pages["forward"] = viz.step_through(forward, view="forward").html()
    folder = tmp_path_factory.mktemp("chromium")
    harness = folder / "harness.html"
    harness.write_text(HARNESS % {"pages": json.dumps(pages).replace("</", "<\\/"),
                                  "sizes": json.dumps(SIZES)},
                       encoding="utf-8")
    profile = folder / "profile"
    profile.mkdir()
    command = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
               "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--hide-scrollbars", f"--user-data-dir={profile}",
               "--window-size=1920,1080", "--virtual-time-budget=20000", "--dump-dom",
               harness.as_uri()]
    result = subprocess.run(command, capture_output=True, text=True, timeout=180)
    found = re.search(r'<pre id="result">(.*?)</pre>', result.stdout, re.S)
    assert found, result.stderr[-2000:]
    return json.loads(html.unescape(found.group(1)))


def _builder(t):
    def build():
        z = t["w1"] * t["x1"] + t["w2"] * t["x2"] + t["b"]
        z.name = "z"
        a = z.sigmoid()
        a.name = "a"
        loss = tg.binary_cross_entropy(a, t["y"])
        loss.name = "L"
        return loss
    return build


def number(text):
    return float(text.replace("−", "-"))


@needs_browser
def test_every_frame_fits_the_window_and_no_box_moves(measured):
    assert len(measured) == 14
    for key, frames in measured.items():
        first = frames[0]
        for k, frame in enumerate(frames):
            width, height = frame["view"]
            assert width == int(key.split("@")[1]) and [width, height] in map(list, SIZES)
            assert frame["scroll"][0] <= width and frame["scroll"][1] <= height, (key, k)
            left, top, right, bottom = frame["graph"]
            assert left >= -1 and top >= -1 and right <= width + 1 and bottom <= height + 1, (
                key, k, frame["graph"])
            for node in frame["nodes"].values():
                assert node["x"] >= -1 and node["y"] + node["h"] <= height + 1, (key, k)
            # One layout per part of a page (the m-example page: the for-loop's board,
            # then the vectorised board), so compare with the part's first frame.
            part = frame.get("kind") == "loop"
            start_frame = next(f for f in frames if (f.get("kind") == "loop") == part)
            assert frame["nodes"].keys() == start_frame["nodes"].keys(), (key, k)
            for name, node in frame["nodes"].items():
                start = start_frame["nodes"][name]
                assert abs(node["x"] - start["x"]) <= 1 and abs(node["y"] - start["y"]) <= 1, (
                    key, k, name)
                assert abs(node["w"] - start["w"]) <= 1 and abs(node["h"] - start["h"]) <= 1
        # The picture uses the window: at least 70% of its width or of the space left
        # under the caption.
        left, top, right, bottom = first["graph"]
        width, height = first["view"]
        assert right - left >= 0.7 * width or bottom - top >= 0.6 * height, key


@needs_browser
def test_text_is_legible_from_the_back_of_the_room(measured):
    """At 1366×768: box text at least 22 CSS px, the current step (the caption) at least 24,
    and the caption never cut off."""
    sizes = {}
    for page in ("board", "batch", "columns", "loop", "descent"):
        frames = measured[f"{page}@1366"]
        sizes[page] = round(min(f["smallestText"] for f in frames), 1)
        for k, frame in enumerate(frames):
            assert frame["captionSize"] >= 24, (page, k)
            top, bottom, scroll, client = frame["captionBox"]
            assert scroll <= client + 1, (page, k, frame["caption"])
    assert min(sizes.values()) >= 22, sizes


@needs_browser
def test_predict_shows_a_question_mark_before_the_number(probes):
    found = probes["board@1366"]
    asking, at, caption = found["asked"]
    assert asking and at == 6 and caption.endswith("= 2·(−0.4502) = ?")
    asking, at, caption = found["revealed"]
    assert not asking and at == 7 and caption.endswith("= 2·(−0.4502) = −0.9003")


@needs_browser
def test_the_quiz_accepts_the_right_number_and_refuses_a_wrong_one(probes):
    found = probes["board@1366"]
    assert found["quizShown"] and found["answer"] == "−0.9003"
    # As shown, typed with an ASCII minus, too coarse, the wrong sign, empty, not a number.
    assert found["checks"] == [True, True, False, False, False, False]


def _known(frames, names):
    """For each gradient name, the first frame whose box shows its number."""
    first = {}
    for k, frame in enumerate(frames):
        for node in frame["nodes"].values():
            # A long row goes on as a second line: "da = −y/a + (1−y)/(1−a) =", "−1.819".
            text = node["text"].replace("=\n", "= ")
            for line in text.split("\n"):
                for name in names:
                    if re.match(rf"d{name} = .*[0-9]$", line) and name not in first:
                        first[name] = k
    return first


@needs_browser
def test_board_frames_follow_the_lecture(measured):
    n = lecture_numbers()
    for size in SIZES:
        frames = measured[f"board@{size[0]}"]
        assert [f["kind"] for f in frames] == (["given"] + ["forward"] * 3 + ["backward"] * 5
                                               + ["update"])
        texts = [json.dumps(f["nodes"], sort_keys=True) for f in frames]
        assert all(a != b for a, b in zip(texts, texts[1:]))  # every step changes the board
        first = _known(frames, ["a", "z", "w1", "w2", "b"])
        assert [first[k] for k in ("a", "z", "w1", "w2", "b")] == [4, 5, 6, 7, 8]
        # Before a gradient is known its row is there, as "da = ?".
        assert any(line == "da = ?" for node in frames[3]["nodes"].values()
                   for line in node["text"].split("\n"))
        # Forward: values appear in the order z, a, L.
        assert "z = ?" in json.dumps(frames[0]["nodes"], ensure_ascii=False)
        assert frames[1]["caption"].endswith(f"= {viz_number(n['z'])}")
        z, a, dz = (viz_number(n[k]) for k in ("z", "a", "dz"))
        assert frames[2]["caption"] == f"Forward 2 of 3: a = σ(z) = σ({z}) = {a}"
        # Each backward caption names the lecture's quantity, formula, arithmetic and number.
        assert frames[4]["caption"] == ("Backward 1 of 5: da = ∂L/∂a = −y/a + (1−y)/(1−a) = "
                                        f"−1/{a} + 0/(1 − {a}) = {viz_number(n['da'])}")
        assert frames[5]["caption"].endswith(f"a − y = {a} − 1 = {dz}")
        assert frames[6]["caption"] == (f"Backward 3 of 5: dw1 = ∂L/∂w1 = x1·dz = 1·({dz}) = "
                                        f"{viz_number(n['dw1'])}")


def viz_number(x):
    return format_number(x)


@needs_browser
def test_update_frame_shows_w_minus_alpha_dw(measured):
    n = lecture_numbers()
    update = measured["board@1366"][-1]
    # The caption has the arithmetic, each parameter's box its new value in place.
    assert update["caption"].startswith("Update (α = 0.1): ")
    found = {}
    for part in update["caption"].split(": ", 1)[1].split("; "):
        parts = re.fullmatch(r"(\w+) := (\S+) − (\S+)·\(?(\S+?)\)? = (\S+)", part)
        assert parts, part
        found[parts.group(1)] = [number(p) for p in parts.groups()[1:]]
        boxes = [" ".join(n["text"].replace("\u00a0", " ").split())
                 for n in update["nodes"].values()]
        assert any(b.startswith(f"{parts.group(1)} := {parts.group(5)} ") for b in boxes), boxes
    assert found.keys() == {"w1", "w2", "b"}
    for name, (old, lr, grad, new) in found.items():
        assert old == pytest.approx(n[name], abs=1e-12)
        assert lr == LR
        assert grad == pytest.approx(n[f"d{name}"], rel=1e-3)
        assert new == pytest.approx(n[name] - LR * n[f"d{name}"], rel=1e-3)


@needs_browser
def test_descent_page_lowers_the_loss(measured):
    frames = measured["descent@1920"]
    kinds = [f["kind"] for f in frames]
    assert kinds == ["given"] + ["forward"] * 3 + ["backward"] * 5 + ["update"] * 2 + [
        "forward"]
    losses = [number(v) for v in re.findall(r"−?\d+(?:\.\d+)?",
                                              frames[-1]["caption"].split("went")[1])]
    assert len(losses) == 3 and losses[0] > losses[1] > losses[2]
    # By hand: two steps of w := w − α·dw on the lecture's example.
    w1, w2, b = 0.5, -0.2, 0.1
    history = []
    for _ in range(3):
        a = sigmoid(w1 * 1.0 + w2 * 2.0 + b)
        history.append(-math.log(a))
        dz = a - 1.0
        w1, w2, b = w1 - 0.5 * dz, w2 - 0.5 * 2.0 * dz, b - 0.5 * dz
    assert losses == pytest.approx(history, rel=1e-3)


@needs_browser
def test_m_example_board_in_the_browser(measured):
    J, X, Y = batch_graph()
    frames = measured["batch@1366"]
    final = " ".join(" ".join(n["text"].replace("\u00a0", " ").split())
                     for n in frames[-2]["nodes"].values())
    dZ = 1 / (1 + np.exp(-(X @ np.array([0.5, -0.2]) + 0.1))) - Y
    # Vectors as grids: dZ's numbers one per cell, after its formula.
    assert "dZ = A − Y = " + " ".join(format_number(v) for v in dZ) in final
    assert "dw = (1/m)·Xᵀ·dZ = " in final and "db = (1/m)·Σ dZ = " in final
    assert frames[-2]["caption"].startswith("Backward 4 of 4: db = ∂J/∂b = (1/m)·Σ dZ = 0.25·")


def test_lecture_view_steps_show_gradients_in_the_lectures_order():
    t = viz.lecture_example()
    sources = [viz.to_dot(t["L"], view="lecture", step=k) for k in range(6)]
    assert len(set(sources)) == 6
    assert "da = ?" in sources[0] and "dw1 = ?" in sources[0]
    order = ["da = −y/a", "dz = a(1−a)", "dw1 = x1·dz", "dw2 = x2·dz", "db = dz ="]
    for k in range(6):
        assert [o in sources[k] for o in order] == [i < k for i in range(5)]
    with pytest.raises(ValueError, match="from 0 to 5"):
        viz.to_dot(t["L"], view="lecture", step=6)


@pytest.mark.parametrize("columns", [False, True])
def test_m_example_board_has_the_lectures_vectorised_formulas(columns):
    J, X, Y = batch_graph(columns)
    viz.backprop(J)
    source = board_text(viz.to_dot(J, view="lecture"))
    m = len(Y)
    w = np.array([0.5, -0.2])
    A = 1 / (1 + np.exp(-(X @ w + 0.1)))
    dZ = A - Y
    dw = X.T @ dZ / m
    def grid(values):  # a grid's cells, as the board's text reads them
        return " ".join(format_number(v) for v in np.ravel(values))

    # Vectors and matrices as grids: dw's two cells, dZ's m cells, X's 2·m cells.
    if columns:
        assert "Z = wᵀX + b" in source and f"X = {grid(X.T)} " in source
        assert f"dw = (1/m)·X·dZᵀ = {grid(dw)} " in source
    else:
        assert "Z = X@w + b" in source and f"X = {grid(X)} " in source
        assert f"dw = (1/m)·Xᵀ·dZ = {grid(dw)} " in source
    assert f"dZ = A − Y = {grid(dZ)} " in source
    assert f"db = (1/m)·Σ dZ = {format_number(dZ.mean())}" in source
    assert "J = (1/m)·Σ L(A, Y)" in source and f"m = {m} examples" in source
    assert "dv = ∂J/∂v" in source  # the legend speaks of the board's J


def board_text(source):
    """The board's text, rows joined by spaces (a long row is written as two)."""
    text = re.sub(r"</T[RD]>", " ", source)
    return " ".join(re.sub(r"<[^>]+>", "", text).replace("\u00a0", " ").split())


def test_for_loop_over_examples_matches_the_vectorised_board():
    J, X, Y = batch_graph()
    viz.backprop(J)
    graph = {n.name: n for n in viz.walk(J).nodes if n.name}
    cost, dw1, dw2, db = 0.0, 0.0, 0.0, 0.0
    for (x1, x2), y in zip(X, Y):
        a = sigmoid(0.5 * x1 - 0.2 * x2 + 0.1)
        cost += -(y * math.log(a) + (1 - y) * math.log(1 - a))
        dz = a - y
        dw1, dw2, db = dw1 + x1 * dz, dw2 + x2 * dz, db + dz
    m = len(Y)
    assert graph["J"].value == pytest.approx(cost / m, rel=1e-12)
    assert graph["w"].grad == pytest.approx([dw1 / m, dw2 / m], rel=1e-12)
    assert graph["b"].grad == pytest.approx(db / m, rel=1e-12)


def test_formulas_come_from_the_graphs_names():
    u = tg.Tensor(0.3, requires_grad=True, name="u")
    p = u.sigmoid()
    p.name = "p"
    loss = tg.binary_cross_entropy(p, tg.Tensor(1.0, name="t"))
    loss.name = "J"
    viz.backprop(loss)
    source = viz.to_dot(loss, view="lecture")
    assert "du = p(1−p)·dp = p − t" in source
    assert "dp = −t/p + (1−t)/(1−p)" in source
    assert "J = L(p, t)" in source
    assert "L(a, y)" not in source


def test_a_user_ops_registered_formula_is_on_the_board():
    @tg.op("viz_steps_cube", label="cube", replace=True,
           derivatives=Derivatives("c", x=3 * Name("x") ** 2))
    class cube:
        def forward(x):
            return x ** 3

        def backward(grad, out, x):
            return grad * 3 * x * x

    try:
        w = tg.Tensor(0.5, requires_grad=True, name="w")
        c = cube(w)
        c.name = "c"
        out = c * 2.0
        viz.backprop(out)
        source = viz.to_dot(out, view="lecture")
    finally:
        tg.registry.unregister_op("viz_steps_cube")
    assert "dw = 3·w²·dc = 1.5" in source, source
    assert cube.formula == "∂c/∂x = 3·x²"  # the human-facing text, made from the same rule


def test_update_frame_without_the_browser():
    frames = viz.backward_frames(viz.lecture_example(backward=False)["L"], view="lecture",
                                 lr=LR)
    n = lecture_numbers()
    update = frames[-1]
    assert update.kind == "update" and len(update.current) == 3
    new = n["w1"] - LR * n["dw1"]
    assert f"w1 := 0.5 − 0.1·({viz_number(n['dw1'])}) = {viz_number(new)}" in update.caption
    assert f"{viz_number(new)}<" in update.dot  # the new value, in w1's box
    with pytest.raises(ValueError, match="lr"):
        viz.backward_frames(viz.lecture_example(backward=False)["L"], view="lecture", lr=-1)
    with pytest.raises(ValueError, match="view='lecture'"):
        viz.backward_frames(viz.lecture_example(backward=False)["L"], lr=0.1)


def test_page_draws_user_text_literally(tmp_path):
    if not viz.renderers():
        pytest.skip("no SVG renderer (Graphviz or tinygrad-lr[svg]) installed")
    x = tg.Tensor(2.0, requires_grad=True, name="{count}")
    page = viz.step_through_html(x * x, tmp_path / "p.html", title="{frames} & {title}")
    text = page.read_text(encoding="utf-8")
    assert "<title>{frames} &amp; {title}</title>" in text
    assert text.count('class="frame"') == 3
    assert "{count}" in text  # the name, drawn as written
    assert re.search(r"count: 3\}", text)


def test_step_through_shows_inline_in_jupyter():
    if not viz.renderers():
        pytest.skip("no SVG renderer (Graphviz or tinygrad-lr[svg]) installed")
    page = viz.step_through(viz.lecture_example(backward=False)["L"], view="lecture")
    shown = page._repr_html_()
    assert shown.startswith("<iframe srcdoc=") and "&lt;svg" in shown
    assert len(page) == 9 and len(page.svgs) == 9


def test_gradient_descent_checks_its_arguments():
    t = viz.lecture_example(backward=False)
    with pytest.raises(ValueError, match="iterations"):
        viz.gradient_descent(_builder(t), iterations=0)
    with pytest.raises(ValueError, match="lr"):
        viz.gradient_descent(_builder(t), lr=float("nan"))
    with pytest.raises(TypeError, match="loss Tensor"):
        viz.gradient_descent(lambda: 1.0)


def test_a_frame_shows_itself_in_jupyter_like_viz_draw():
    """Jupyter displays a frame inline: the SVG of its DOT, or the install text."""
    pytest.importorskip("graphviz")
    t = viz.lecture_example(backward=False)
    frame = viz.backward_frames(t["L"], view="lecture")[5]
    bundle = frame._repr_mimebundle_()
    if viz.renderers():
        svg = bundle["image/svg+xml"]
        assert svg.lstrip().startswith(("<?xml", "<svg", "<!--")) and "dz" in svg
    else:
        assert "Graphviz" in bundle["text/plain"]


@needs_browser
def test_printing_the_page_gives_a_handout_one_frame_per_page(tmp_path):
    if not viz.renderers():
        pytest.skip("no SVG renderer (Graphviz or tinygrad-lr[svg]) installed")
    page = viz.step_through(viz.lecture_example(backward=False)["L"], view="lecture", lr=LR)
    path = page.save(tmp_path / "board.html")
    text = path.read_text(encoding="utf-8")
    # Under each picture, the question it leaves open (the next step's, with "?").
    assert '<figcaption class="printed">Backward 4 of 5: dw2 = ∂L/∂w2 = x2·dz = 2·(−0.4502) = ?' \
        in text
    pdf = tmp_path / "handout.pdf"
    subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                    f"--user-data-dir={tmp_path / 'profile'}", "--no-pdf-header-footer",
                    f"--print-to-pdf={pdf}", path.as_uri()],
                   capture_output=True, timeout=120, check=True)
    pages = re.findall(rb"/Type\s*/Page[^s]", pdf.read_bytes())
    assert len(pages) == len(page.frames) == 10
