"""Step through a computation: one picture per step, and one HTML page to project.

In the forward and backward views, frame 0 is the forward pass (values only) and frame k
outlines the k-th node backward processed, showing every gradient known at that moment.
In the lecture view the frames follow the lecture: the given inputs and parameters, the
forward pass box by box (z, a, L), the backward pass box by box (da, dz, dw1, dw2, db),
and with ``lr=`` the update step ``w := w − α·dw``. :func:`gradient_descent` strings
several iterations together.

Every frame of one page has the same layout: each box is given the size it needs in the
fullest frame, so no box moves while the class steps through; a gradient not known yet
keeps its row as ``da = ?``. The page scales the picture to the window and needs no
network; Prev/Next buttons and the arrow keys step through it.
"""

from __future__ import annotations

import html as _html
import json
import re
from dataclasses import dataclass
from pathlib import Path

from ..files import write_atomically
from ..tensor import Tensor
from .api import backprop, to_dot
from .backends import RendererNotFoundError, node_sizes, render_source
from .board import LARGEST, Board, BoardFrame, fmt, make_board
from .dot import wrap
from .graph import walk
from .labels import format_array
from .options import make_options


@dataclass
class Frame:
    """One step: its number, a caption and the picture's DOT source.

    ``current`` names the boxes outlined in this frame (node ids), ``kind`` says which
    part of the lecture it shows: ``"given"``, ``"forward"``, ``"backward"``, ``"update"``.
    """

    step: int
    caption: str
    dot: str
    kind: str = "backward"
    current: tuple = ()

    def render(self, path, dpi: float | None = None) -> Path:
        """Write this frame as an image (format from the suffix, as ``viz.render``)."""
        from .backends import write

        return write(self.dot, path, dpi=dpi)

    def _repr_mimebundle_(self, include=None, exclude=None, **_):
        """Jupyter shows a frame inline, as it shows ``viz.draw`` (SVG, or the install
        instructions where nothing can draw)."""
        from .backends import picture

        return picture(self.dot)._repr_mimebundle_(include=include, exclude=exclude)


def backward_frames(tensor, max_frames: int = 300, lr: float | None = None,
                    **options) -> list[Frame]:
    """The computation behind ``tensor`` as pictures, one per step.

    Runs ``backward(retain_grads=True)`` first unless a backward has already gone through
    ``tensor`` (which must then have kept its intermediate gradients). Options as in
    ``viz.to_dot``; the default view is ``"backward"`` (one frame per node backward
    processed). With ``view="lecture"`` the frames follow the lecture's board: inputs,
    forward box by box, backward box by box, and with ``lr`` (the learning rate α) the
    update step of every parameter. Graphs with more than ``max_frames`` steps are refused
    (a picture per step would be unreadable). Every frame has the same layout.

    >>> from tinygrad_lr import viz
    >>> frames = viz.backward_frames(viz.lecture_example(backward=False)["L"])
    >>> len(frames), frames[1].caption.split(":")[0]
    (10, 'Step 1 of 9')
    >>> board = viz.backward_frames(viz.lecture_example(backward=False)["L"],
    ...                             view="lecture", lr=0.1)
    >>> [f.kind for f in board].count("backward"), board[7].caption
    (5, 'Backward 4 of 5: dw2 = ∂L/∂w2 = x2·dz = 2·(−0.4502) = −0.9003')
    """
    if not isinstance(tensor, Tensor):
        raise TypeError(f"backward_frames() needs a Tensor, got {type(tensor).__name__}")
    for reserved in ("step", "highlight"):
        if reserved in options:
            raise TypeError(f"backward_frames() sets {reserved}= itself; do not pass it")
    _check_lr(lr)
    if tensor.visit_order is None:
        backprop(tensor)
    graph = walk(tensor)
    if not graph.grads_retained:
        raise ValueError(
            "this tensor went through backward() without retain_grads=True, so the gradients "
            "of its intermediate nodes are gone; rebuild it and call viz.backward_frames() "
            "before backward (it runs backward itself), or use backward(retain_grads=True)"
        )
    options.setdefault("view", "backward")
    if options["view"] == "lecture":
        frames = lecture_frames(tensor, lr=lr, **options)
        if len(frames) > max_frames + 1:
            raise ValueError(f"this board has {len(frames) - 1:,} steps, more than "
                             f"max_frames={max_frames}; raise max_frames")
        return same_layout(frames)
    if lr is not None:
        raise ValueError("lr= draws the update step on the board: use view='lecture'")
    visits = sum(1 for n in graph.nodes if n.visit_order is not None)
    if visits > max_frames:
        raise ValueError(
            f"backward visits {visits:,} nodes here, more than max_frames={max_frames} "
            "frames; step through a smaller graph or raise max_frames"
        )
    options.setdefault("order", True)
    precision = options.get("precision", 4)
    visited = sorted((n for n in graph.nodes if n.visit_order is not None),
                     key=lambda n: n.visit_order)
    expressions = _expressions(graph)
    frames = [Frame(0, "Forward pass: every value is known, no gradient yet. Press → to "
                       "start backward.", to_dot(tensor, step=0, **options), "forward")]
    for k, node in enumerate(visited, start=1):
        frames.append(Frame(k, _caption(graph, node, k, len(visited), precision, expressions),
                            to_dot(tensor, step=k, **options), "backward", (node.id,)))
    return same_layout(frames)


def _check_lr(lr) -> None:
    if lr is None:
        return
    if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not (
            0 < float(lr) < float("inf")):
        raise ValueError(f"lr (the learning rate α) must be a positive finite number, got {lr!r}")


def lecture_frames(tensor, lr: float | None = None, first_step: int = 0,
                   prefix: str = "", **options) -> list[Frame]:
    """The lecture view's frames of one iteration (layouts not yet made equal)."""
    from .lecture import lecture_lines

    opts = make_options(**options)
    board = make_board(tensor, opts)
    p = opts.precision
    forward, backward = board.forward_boxes(), board.backward_boxes()
    out = board.graph.outputs[0]
    loss = board.symbol(out)
    update = lr is not None
    frames = []

    def add(caption, kind, frame):
        frames.append(Frame(first_step + len(frames), prefix + caption,
                            wrap(lecture_lines(tensor, opts, frame)), kind, frame.current))

    given = [board.nodes[b] for b in board.boxes if board.nodes[b].op is None]
    inputs = ", ".join(f"{board.symbol(n.id)} = {fmt(n.value, p)}" for n in given)
    add(f"Given: {inputs}. Press → for the forward pass.", "given",
        BoardFrame(values=frozenset(), grads=frozenset(), update_legend=update))
    for k, box in enumerate(forward, start=1):
        add(f"Forward {k} of {len(forward)}: {board.value_step(box, p).text()}", "forward",
            BoardFrame(values=frozenset(forward[:k]), grads=frozenset(), current=(box,),
                       update_legend=update))
    for k, box in enumerate(backward, start=1):
        sym = board.symbol(box)
        meaning = f"m·∂{loss}/∂{sym}" if board.per_example(box) else f"∂{loss}/∂{sym}"
        step = board.grad_step(box, p)
        caption = " = ".join([step.name, meaning, *step.formulas,
                              *([step.arithmetic] if step.arithmetic else []), step.result])
        add(f"Backward {k} of {len(backward)}: {caption}", "backward",
            BoardFrame(grads=frozenset(backward[:k]), current=(box,), update_legend=update))
    if update:
        params = board.parameters()
        steps = "; ".join(board.update_text(b, lr, p) for b in params)
        add(f"Update (α = {format_array(lr, p)}): {steps}", "update",
            BoardFrame(current=tuple(params), lr=lr))
    return frames


def same_layout(frames: list[Frame]) -> list[Frame]:
    """Give every box the size it needs in the fullest frame, so no box moves between frames.

    Needs a renderer to measure the boxes; without one the frames are returned unchanged
    (their DOT text is still right, only the layout may vary).
    """
    if len(frames) < 2:
        return frames
    try:
        sizes = [node_sizes(f.dot) for f in frames]
    except RendererNotFoundError:  # no renderer here: the DOT text stays usable
        return frames
    largest = {}
    for found in sizes:
        for node, (width, height) in found.items():
            w, h = largest.get(node, (0.0, 0.0))
            largest[node] = (max(w, width), max(h, height))
    fixed = "".join(f"\t{node} [width={w:.3f}, height={h:.3f}, fixedsize=true]\n"
                    for node, (w, h) in largest.items())
    for f in frames:
        body, _, _ = f.dot.rpartition("}")
        f.dot = body + fixed + "}\n"
    return frames


def _describe(node, expressions=None) -> str:
    if node.name:
        return node.name
    if node.op:
        text = f"the {node.label or node.op} node"
        expression = (expressions or {}).get(node.id)
        return f"{text} {expression}" if expression else text
    return "a parameter" if node.requires_grad else "a constant"


def _expressions(graph) -> dict:
    """Unnamed intermediate nodes as formulas in the named ones (``w1·x1``), for captions."""
    if len(graph.nodes) > LARGEST:
        return {}
    board = Board(graph)
    return {n.id: board.expression_text(n.id) for n in graph.nodes
            if n.op and not n.name and n.kind != "output"}


def _caption(graph, node, k: int, total: int, precision: int, expressions=None) -> str:
    grad = "—" if node.grad is None else format_array(node.grad, precision)
    text = (f"Step {k} of {total}: backward reaches {_describe(node, expressions)}; its "
            f"gradient is {grad}")
    if node.op is None:
        return text + " (a leaf: this is its .grad)."
    sent = [e for e in graph.edges if e.target == node.id and e.grad is not None]
    if not sent:
        return text + "."
    parts = [f"{_describe(graph.node(e.source), expressions)} gets "
             f"{format_array(e.grad, precision)}" for e in sent]
    rule = f" by {node.formula}" if node.formula else ""
    return f"{text}. It sends to its inputs{rule}: " + "; ".join(parts) + "."


class StepThrough:
    """A step-through page: frames, their SVG pictures, and the HTML that shows them.

    ``save(path)`` writes the self-contained page; in Jupyter the object shows itself
    inline (``_repr_html_``), with the same buttons and keys. ``frames`` are the
    :class:`Frame` objects, ``svgs`` their pictures.

    The pictures are rendered (with Graphviz, or the ``tinygrad-lr[svg]`` extra) the first
    time they are needed; the frames themselves need no renderer.

    >>> from tinygrad_lr import viz
    >>> page = viz.step_through(viz.lecture_example(backward=False)["L"], view="lecture")
    >>> len(page), page.frames[1].caption
    (9, 'Forward 1 of 3: z = w1·x1 + w2·x2 + b = 0.5·1 + (−0.2)·2 + 0.1 = 0.2')
    >>> "<iframe" in page._repr_html_()   # doctest: +SKIP
    True
    """

    def __init__(self, frames: list[Frame], title: str) -> None:
        self.frames = frames
        self.title = title
        self._svgs = None

    @property
    def svgs(self) -> list[str]:
        """Each frame's picture as inline SVG text."""
        if self._svgs is None:
            self._svgs = [_inline_svg(render_source(f.dot, "svg")) for f in self.frames]
        return self._svgs

    def __len__(self) -> int:
        return len(self.frames)

    def html(self) -> str:
        """The page's HTML text."""
        return page(self.frames, self.svgs, self.title)

    def save(self, path) -> Path:
        """Write the page to ``path`` (``.html``), atomically; returns the path."""
        path = _html_path(path)
        write_atomically(path, self.html())
        return path

    def _repr_html_(self) -> str:
        return (f'<iframe srcdoc="{_html.escape(self.html(), quote=True)}" '
                'style="width:100%;height:640px;border:1px solid #ccc" '
                f'title="{_html.escape(self.title)}"></iframe>')


def step_through(tensor, title: str | None = None, max_frames: int = 300,
                 lr: float | None = None, **options) -> StepThrough:
    """The step-through page of ``tensor`` as an object (shows inline in Jupyter).

    Frames as in :func:`backward_frames`; showing or saving the page renders each to SVG,
    which needs a renderer (Graphviz, or the ``tinygrad-lr[svg]`` extra).

    >>> from tinygrad_lr import viz
    >>> page = viz.step_through(viz.lecture_example(backward=False)["L"], view="lecture",
    ...                         lr=0.1)
    >>> [f.kind for f in page.frames][-2:], page.title
    (['backward', 'update'], "The lecture's board, step by step (with the update step)")
    >>> page.save("board_steps.html")                     # doctest: +SKIP
    """
    frames = backward_frames(tensor, max_frames=max_frames, lr=lr, **options)
    return StepThrough(frames, title or _default_title(options.get("view"), lr))


def step_through_html(tensor, path, title: str | None = None, max_frames: int = 300,
                      lr: float | None = None, **options) -> Path:
    """Write one self-contained HTML page stepping through the computation of ``tensor``.

    Each frame of :func:`backward_frames` is rendered to SVG (this needs a renderer:
    Graphviz, or the ``tinygrad-lr[svg]`` extra) and embedded; Prev/Next buttons and the
    arrow keys move between them, and the picture scales to the window. With
    ``view="lecture"`` it steps through the lecture's board; ``lr`` adds the update step.
    Returns the path written.

    >>> import os, tempfile
    >>> import tinygrad_lr as tg
    >>> from tinygrad_lr import viz
    >>> x = tg.Tensor(3.0, requires_grad=True, name="x")
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = viz.step_through_html((x * x).sigmoid(), os.path.join(folder, "steps.html"))
    ...     print(path.name, path.read_text(encoding="utf-8").count('class="frame'))
    steps.html 4
    """
    path = _html_path(path)
    return step_through(tensor, title=title, max_frames=max_frames, lr=lr, **options).save(path)


def gradient_descent(build, lr: float = 0.1, iterations: int = 3, title: str | None = None,
                     **options) -> StepThrough:
    """Gradient descent drawn on the board: several iterations as frames of one page.

    ``build()`` makes the graph from the current parameters and returns the loss (the same
    graph every time). The first iteration is drawn step by step (given, forward, backward,
    update); every later one as one frame with its gradients and its update; a last frame
    shows the forward pass after the final update. The parameters (the graph's leaves that
    require grad) are updated in place by :class:`tinygrad_lr.optim.SGD`, ``w := w − α·dw``.

    >>> import tinygrad_lr as tg
    >>> from tinygrad_lr import viz
    >>> w = tg.Tensor(0.5, requires_grad=True, name="w")
    >>> def build():
    ...     z = w * 2.0
    ...     z.name = "z"
    ...     return tg.binary_cross_entropy(z.sigmoid(), 1.0)
    >>> page = viz.gradient_descent(build, lr=0.5, iterations=2)
    >>> len(page.frames), page.frames[-1].caption
    (8, 'After 2 updates, a new forward pass: out went 0.3133 → 0.1946 → 0.1405.')
    """
    from ..optim import SGD

    _check_lr(lr)
    if isinstance(iterations, bool) or not isinstance(iterations, int) or not (
            1 <= iterations <= 100):
        raise ValueError(f"iterations must be an int from 1 to 100, got {iterations!r}")
    if not callable(build):
        raise TypeError("build must be a function that makes the graph and returns the loss")
    if options.setdefault("view", "lecture") != "lecture":
        raise ValueError("gradient_descent() draws the lecture view; drop view=")
    for reserved in ("step", "highlight"):
        if reserved in options:
            raise TypeError(f"gradient_descent() sets {reserved}= itself; do not pass it")
    from .lecture import lecture_lines

    opts = make_options(**options)
    p = opts.precision
    frames, losses, shape = [], [], None
    params = None
    for iteration in range(1, iterations + 2):
        loss = _built(build)
        final = iteration == iterations + 1
        if not final:
            backprop(loss)
        board = make_board(loss, opts)
        here = (tuple(board.boxes), tuple(board.edges))
        if shape is not None and here != shape:
            raise ValueError("build() made a different graph in iteration "
                             f"{iteration}: it must build the same graph every time")
        shape = here
        losses.append(float(loss.data.sum()))
        trend = " → ".join(format_array(v, p) for v in losses)
        name = board.symbol(board.graph.outputs[0])
        if final:
            after = BoardFrame(grads=frozenset(), update_legend=True, pending=True)
            frames.append(Frame(
                len(frames),
                f"After {iterations} update{'s' if iterations > 1 else ''}, a new forward "
                f"pass: {name} went {trend}.", wrap(lecture_lines(loss, opts, after)), "forward"))
            break
        if params is None:
            params = [board.graph.tensors[b] for b in board.parameters()]
            optimizer = SGD(params, lr=lr)
        if iteration == 1:
            frames.extend(lecture_frames(loss, lr=lr, first_step=0,
                                         prefix=f"Iteration 1 of {iterations}. ", **options))
        else:
            steps = "; ".join(board.update_text(b, lr, p) for b in board.parameters())
            frames.append(Frame(
                len(frames), f"Iteration {iteration} of {iterations}: {name} = "
                f"{format_array(loss.data, p)} ({name}: {trend}). Update: {steps}",
                wrap(lecture_lines(loss, opts, BoardFrame(current=tuple(board.parameters()),
                                                          lr=lr))),
                "update", tuple(board.parameters())))
        optimizer.step()
        optimizer.zero_grad()
    return StepThrough(same_layout(frames),
                       title or f"Gradient descent, α = {format_array(lr, p)}")


def _built(build):
    loss = build()
    if not isinstance(loss, Tensor):
        raise TypeError(f"build() must return the loss Tensor, got {type(loss).__name__}")
    return loss


def _default_title(view, lr) -> str:
    if view == "lecture":
        return "The lecture's board, step by step" + (" (with the update step)" if lr else "")
    return "Backward pass, step by step"


def _html_path(path) -> Path:
    path = Path(path)
    if path.suffix.lower() not in (".html", ".htm"):
        raise ValueError(f"step-through pages are .html files, got {str(path)!r}")
    if not path.parent.exists():
        raise FileNotFoundError(f"cannot write {str(path)!r}: folder {str(path.parent)!r} "
                                "does not exist")
    return path


def _inline_svg(svg: bytes) -> str:
    text = svg.decode("utf-8")
    start = text.find("<svg")
    return text[start:] if start >= 0 else text


_PLACEHOLDER = re.compile(r"\{(title|frames|count)\}")


def page(frames: list[Frame], svgs: list[str], title: str) -> str:
    """The HTML of the step-through page (frames and their SVG pictures).

    The template's placeholders are filled in one pass, so user text (a tensor named
    ``{count}``, a title ``{frames}``) is shown as written.
    """
    blocks = "\n".join(
        f'<figure class="frame" id="step-{f.step}" data-kind="{f.kind}" '
        f'data-caption="{_html.escape(f.caption)}">{svg}</figure>' for f, svg in zip(frames, svgs)
    )
    values = {"title": _html.escape(title), "frames": blocks, "count": json.dumps(len(frames))}
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], _TEMPLATE)


_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
  html, body { height: 100%; margin: 0; }
  body { display: flex; flex-direction: column; overflow: hidden; box-sizing: border-box;
         padding: 1.2vh 1.5vw; font-family: Helvetica, Arial, sans-serif; color: #222;
         background: #fff; }
  header { flex: none; display: flex; flex-wrap: wrap; align-items: center; gap: .4em 1.4em; }
  h1 { font-size: clamp(16px, 2.6vh, 32px); margin: 0; }
  nav { display: flex; gap: .7em; align-items: center; font-size: clamp(14px, 2.1vh, 26px); }
  button { font-size: 1em; padding: .2em .8em; cursor: pointer; }
  #counter { min-width: 6.5em; text-align: center; font-variant-numeric: tabular-nums; }
  .hint { color: #777; font-size: .8em; }
  #caption { flex: none; box-sizing: border-box; height: 4.05em; line-height: 1.35em;
             overflow: hidden; margin: .5vh 0 .8vh; font-size: clamp(15px, 2.6vh, 34px);
             border-left: 5px solid #c0392b; padding-left: .6em; }
  #stage { flex: 1 1 auto; min-height: 0; position: relative; }
  .frame { display: none; position: absolute; top: 0; left: 0; right: 0; bottom: 0;
           margin: 0; }
  .frame.current { display: block; }
  .frame svg { display: block; width: 100%; height: 100%; }
</style>
</head>
<body>
<header>
<h1>{title}</h1>
<nav>
  <button id="prev" type="button">&#9664; Prev</button>
  <span id="counter"></span>
  <button id="next" type="button">Next &#9654;</button>
  <span class="hint">or the arrow keys</span>
</nav>
</header>
<p id="caption"></p>
<main id="stage">
{frames}
</main>
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
    var moves = {ArrowRight: 1, ArrowDown: 1, PageDown: 1, " ": 1,
                 ArrowLeft: -1, ArrowUp: -1, PageUp: -1};
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
