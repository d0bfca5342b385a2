"""Step through the backward pass: one picture per node processed, and one HTML page.

Frame 0 is the forward pass (values only). Frame k outlines the k-th node backward
processed and shows every gradient known at that moment: the nodes already processed
and the gradients they sent along their edges. The HTML page holds every frame as
inline SVG and steps with Prev/Next buttons or the arrow keys; it needs no network.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ..tensor import Tensor
from .api import backprop, to_dot
from .backends import render_source
from .graph import walk
from .labels import format_array, html


@dataclass
class Frame:
    """One step of the backward pass: its number, a caption and the picture's DOT source."""

    step: int
    caption: str
    dot: str

    def render(self, path) -> Path:
        """Write this frame as an image (format from the suffix, as ``viz.render``)."""
        from .backends import write

        return write(self.dot, path)


def backward_frames(tensor, max_frames: int = 300, **options) -> list[Frame]:
    """The backward pass through ``tensor`` as pictures, one per node it processed.

    Runs ``backward(retain_grads=True)`` first unless a backward has already gone through
    ``tensor`` (which must then have kept its intermediate gradients). Options as in
    ``viz.to_dot``; the default view is ``"backward"``. Graphs whose backward visits more
    than ``max_frames`` nodes are refused (a picture per node would be unreadable).

    >>> from tinygrad_lr import viz
    >>> frames = viz.backward_frames(viz.lecture_example(backward=False)["L"])
    >>> len(frames), frames[1].caption.split(":")[0]
    (10, 'Step 1 of 9')
    """
    if not isinstance(tensor, Tensor):
        raise TypeError(f"backward_frames() needs a Tensor, got {type(tensor).__name__}")
    for reserved in ("step", "highlight"):
        if reserved in options:
            raise TypeError(f"backward_frames() sets {reserved}= itself; do not pass it")
    if tensor.visit_order is None:
        backprop(tensor)
    graph = walk(tensor)
    if not graph.grads_retained:
        raise ValueError(
            "this tensor went through backward() without retain_grads=True, so the gradients "
            "of its intermediate nodes are gone; rebuild it and call viz.backward_frames() "
            "before backward (it runs backward itself), or use backward(retain_grads=True)"
        )
    visits = sum(1 for n in graph.nodes if n.visit_order is not None)
    if visits > max_frames:
        raise ValueError(
            f"backward visits {visits:,} nodes here, more than max_frames={max_frames} "
            "frames; step through a smaller graph or raise max_frames"
        )
    options.setdefault("view", "backward")
    options.setdefault("order", True)
    precision = options.get("precision", 4)
    visited = sorted((n for n in graph.nodes if n.visit_order is not None),
                     key=lambda n: n.visit_order)
    frames = [Frame(0, "Forward pass: every value is known, no gradient yet. Press → to "
                       "start backward.", to_dot(tensor, step=0, **options))]
    for k, node in enumerate(visited, start=1):
        frames.append(Frame(k, _caption(graph, node, k, len(visited), precision),
                            to_dot(tensor, step=k, **options)))
    return frames


def _describe(node) -> str:
    if node.name:
        return node.name
    if node.op:
        return f"the {node.label or node.op} node"
    return "a parameter" if node.requires_grad else "a constant"


def _caption(graph, node, k: int, total: int, precision: int) -> str:
    grad = "—" if node.grad is None else format_array(node.grad, precision)
    text = f"Step {k} of {total}: backward reaches {_describe(node)}; its gradient is {grad}"
    if node.op is None:
        return text + " (a leaf: this is its .grad)."
    sent = [e for e in graph.edges if e.target == node.id and e.grad is not None]
    if not sent:
        return text + "."
    parts = [f"{_describe(graph.node(e.source))} gets {format_array(e.grad, precision)}"
             for e in sent]
    rule = f" by {node.formula}" if node.formula else ""
    return f"{text}. It sends to its inputs{rule}: " + "; ".join(parts) + "."


def step_through_html(tensor, path, title: str | None = None, max_frames: int = 300,
                      **options) -> Path:
    """Write one self-contained HTML page stepping through the backward pass of ``tensor``.

    Each frame of :func:`backward_frames` is rendered to SVG (this needs a renderer:
    Graphviz, or the ``tinygrad-lr[svg]`` extra) and embedded; Prev/Next buttons and the
    arrow keys move between them. Returns the path written.

    >>> import os, tempfile
    >>> import tinygrad_lr as tg
    >>> from tinygrad_lr import viz
    >>> x = tg.Tensor(3.0, requires_grad=True, name="x")
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = viz.step_through_html((x * x).sigmoid(), os.path.join(folder, "steps.html"))
    ...     print(path.name, path.read_text(encoding="utf-8").count('class="frame"'))
    steps.html 4
    """
    path = Path(path)
    if path.suffix.lower() not in (".html", ".htm"):
        raise ValueError(f"step_through_html writes an .html file, got {str(path)!r}")
    frames = backward_frames(tensor, max_frames=max_frames, **options)
    svgs = [_inline_svg(render_source(f.dot, "svg")) for f in frames]
    path.write_text(page(frames, svgs, title or "Backward pass, step by step"),
                    encoding="utf-8")
    return path


def _inline_svg(svg: bytes) -> str:
    text = svg.decode("utf-8")
    start = text.find("<svg")
    return text[start:] if start >= 0 else text


def page(frames: list[Frame], svgs: list[str], title: str) -> str:
    """The HTML of the step-through page (frames and their SVG pictures)."""
    blocks = "\n".join(
        f'<figure class="frame" id="step-{f.step}" data-caption="{html(f.caption)}">'
        f"{svg}</figure>" for f, svg in zip(frames, svgs)
    )
    return _TEMPLATE.replace("{title}", html(title)).replace("{frames}", blocks).replace(
        "{count}", json.dumps(len(frames)))


_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<style>
  body { font-family: Helvetica, Arial, sans-serif; margin: 1.5em; color: #222; }
  h1 { font-size: 1.3em; margin: 0 0 .5em; }
  nav { display: flex; gap: .8em; align-items: center; margin-bottom: .6em; }
  button { font-size: 1em; padding: .3em .9em; }
  #caption { min-height: 2.6em; max-width: 60em; }
  .frame { display: none; margin: 0; }
  .frame.current { display: block; }
  .frame svg { max-width: 100%; height: auto; }
  .hint { color: #777; font-size: .85em; }
</style>
</head>
<body>
<h1>{title}</h1>
<nav>
  <button id="prev" type="button">&#9664; Prev</button>
  <span id="counter"></span>
  <button id="next" type="button">Next &#9654;</button>
  <span class="hint">or use the arrow keys</span>
</nav>
<p id="caption"></p>
{frames}
<script>
(function () {
  var frames = Array.prototype.slice.call(document.querySelectorAll(".frame"));
  var prev = document.getElementById("prev"), next = document.getElementById("next");
  var counter = document.getElementById("counter");
  var caption = document.getElementById("caption");
  var current = 0;
  function show(k) {
    current = Math.max(0, Math.min(frames.length - 1, k));
    frames.forEach(function (f, j) { f.classList.toggle("current", j === current); });
    counter.textContent = "Step " + current + " / " + (frames.length - 1);
    caption.textContent = frames[current].getAttribute("data-caption");
    prev.disabled = current === 0;
    next.disabled = current === frames.length - 1;
  }
  prev.addEventListener("click", function () { show(current - 1); });
  next.addEventListener("click", function () { show(current + 1); });
  document.addEventListener("keydown", function (e) {
    var moves = {ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1};
    if (e.key in moves) { show(current + moves[e.key]); e.preventDefault(); }
    else if (e.key === "Home") { show(0); }
    else if (e.key === "End") { show(frames.length - 1); }
  });
  window.stepThrough = {show: show, current: function () { return current; }, count: {count}};
  show(0);
})();
</script>
</body>
</html>
"""
