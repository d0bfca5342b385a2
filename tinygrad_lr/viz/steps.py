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
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..atomic_write import write_atomically
from ..tensor import Tensor
from .api import backprop, to_dot
from .backends import RendererNotFoundError, node_sizes, render_source
from .board import LARGEST, Board, BoardFrame, make_board, written
from .chart import descent_chart
from .dot import wrap
from .graph import walk
from .labels import format_array
from .options import make_options
from .page import page


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
    question: str | None = None  # the caption with ``?`` for its number (predict, quiz)
    answer: str | None = None  # that number, as written
    aside: str | None = None  # a picture beside the board (SVG): the descent's loss curve

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
    """The lecture view's frames of one iteration (layouts not yet made equal).

    The frames are drawn for a projected page: short rows in the boxes, arrays as grids,
    the update written in place, no legend (the page has it as a footer); each caption
    carries the step's formula, its arithmetic and its number, and a question with ``?``.
    """
    from .lecture import lecture_lines

    opts = make_options(**{**options, "legend": False})
    board = make_board(tensor, opts)
    p = opts.precision
    forward, backward = board.forward_boxes(), board.backward_boxes()
    loss = board.loss_symbol()
    update = lr is not None
    frames = []

    def add(caption, kind, frame, question=None, answer=None):
        frames.append(Frame(first_step + len(frames), prefix + caption,
                            wrap(lecture_lines(tensor, opts, frame)), kind, frame.current,
                            prefix + question if question else None, answer))

    given = [board.nodes[b] for b in board.boxes if board.nodes[b].op is None]
    inputs = ", ".join(f"{board.symbol(n.id)} = {written(n.value, p)}" for n in given
                       if np.size(n.value) <= 4)
    add(f"Given: {inputs}. Press → for the forward pass." if inputs else
        "Given: the boxes on the left. Press → for the forward pass.", "given",
        BoardFrame(values=frozenset(), grads=frozenset(), update_legend=update, compact=True))
    for k, box in enumerate(forward, start=1):
        step = board.value_step(box, p)
        head = f"Forward {k} of {len(forward)}: "
        add(head + step.text(), "forward",
            BoardFrame(values=frozenset(forward[:k]), grads=frozenset(), current=(box,),
                       update_legend=update, compact=True), head + step.question(), step.result)
    for k, box in enumerate(backward, start=1):
        sym = board.symbol(box)
        meaning = f"m·∂{loss}/∂{sym}" if board.per_example(box) else f"∂{loss}/∂{sym}"
        step = board.grad_step(box, p)
        parts = [step.name, meaning, *step.formulas, *([step.arithmetic] if step.arithmetic
                                                        else [])]
        head = f"Backward {k} of {len(backward)}: "
        add(head + " = ".join([*parts, step.result]), "backward",
            BoardFrame(grads=frozenset(backward[:k]), current=(box,), update_legend=update,
                       compact=True), head + " = ".join([*parts, "?"]), step.result)
    if update:
        params = board.parameters()
        lines = [board.update_text(b, lr, p).split(" = ") for b in params]
        rule = f"Update (α = {format_array(lr, p)}): "
        steps = "; ".join(f"{line[0].split(' :=')[0]} := {' = '.join(line[1:])}"
                          for line in lines)
        asked = "; ".join(f"{line[0].split(' :=')[0]} := {' = '.join(line[1:-1] + ['?'])}"
                          for line in lines)
        add(rule + steps, "update", BoardFrame(current=tuple(params), lr=lr, compact=True),
            rule + asked, lines[0][-1] if len(lines) == 1 else None)
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

    def __init__(self, frames: list[Frame], title: str, footer: str = "") -> None:
        self.frames = frames
        self.title = title
        self.footer = footer
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
        return page(self.frames, self.svgs, self.title, self.footer)

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
    footer = ""
    if options.get("view") == "lecture":
        from .lecture import lecture_footer

        footer = lecture_footer(tensor, update=lr is not None)
    return StepThrough(frames, title or _default_title(options.get("view"), lr), footer)


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
    from .lecture import lecture_footer, lecture_lines

    opts = make_options(**{**options, "legend": False})
    p = opts.precision
    frames, losses, shape, path, reached = [], [], None, [], []
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
        path.append([float(np.sum(board.nodes[b].value)) for b in board.parameters()])
        trend = " → ".join(format_array(v, p) for v in losses)
        name = board.symbol(board.graph.outputs[0])
        if final:
            after = BoardFrame(grads=frozenset(), update_legend=True, pending=True, compact=True)
            frames.append(Frame(
                len(frames),
                f"After {iterations} update{'s' if iterations > 1 else ''}, a new forward "
                f"pass: {name} went {trend}.", wrap(lecture_lines(loss, opts, after)), "forward"))
            reached.append(len(losses))
            footer = lecture_footer(loss, update=True)
            labels = [board.symbol(b) for b in board.parameters()]
            break
        if params is None:
            params = [board.graph.tensors[b] for b in board.parameters()]
            optimizer = SGD(params, lr=lr)
        if iteration == 1:
            first = lecture_frames(loss, lr=lr, first_step=0,
                                   prefix=f"Iteration 1 of {iterations}. ", **options)
            frames.extend(first)
            reached.extend([0] * 3 + [1] * (len(first) - 3))  # L is known from forward 3
        else:
            steps = "; ".join(f"{b_.split(' :=')[0]} := {b_.split(' = ', 1)[1]}" for b_ in
                              (board.update_text(b, lr, p) for b in board.parameters()))
            frames.append(Frame(
                len(frames), f"Iteration {iteration} of {iterations}: {name} = "
                f"{format_array(loss.data, p)}. Update: {steps}",
                wrap(lecture_lines(loss, opts, BoardFrame(current=tuple(board.parameters()),
                                                          lr=lr, compact=True))),
                "update", tuple(board.parameters())))
            reached.append(len(losses))
        optimizer.step()
        optimizer.zero_grad()
    for frame, known in zip(frames, reached):
        frame.aside = descent_chart(losses, path, labels, known, name)
    return StepThrough(same_layout(frames),
                       title or f"Gradient descent, α = {format_array(lr, p)}", footer)


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
