"""The lecture view: the board's picture of single-example logistic regression.

Only named tensors (``name=``) and the output get a box; the unnamed ops between them are
folded into the box's formula, so ``w1*x1 + w2*x2 + b`` named ``z`` reads as one node
``z = w1·x1 + w2·x2 + b``. Every box shows its forward value, and after backward its
gradient with the chain-rule formula that gives it (``dw1 = x1·dz``, ``dz = a − y``).
Inputs such as ``x1`` are marked by making them named tensors that do not require grad.
"""

from __future__ import annotations

from ..registry import get_op
from ..tensor import Tensor
from .board import Board, BoardFrame, fmt, make_board
from .dot import (
    GRAD_COLOR,
    HIGHLIGHT,
    NOTE_COLOR,
    STYLES,
    UPDATE_COLOR,
    graph_header,
    legend,
    note_text,
    table,
)
from .graph import OP, OUTPUT, PARAMETER, infix_symbol
from .labels import html, quote
from .options import Options

MAX_FORMULA = 120  # characters of a box's formula before it is cut with "…"


def lecture_example(x1=1.0, x2=2.0, y=1.0, w1=0.5, w2=-0.2, b=0.1,
                    backward: bool = True) -> dict:
    """Build the lecture's graph ``z = w1*x1 + w2*x2 + b, a = σ(z), L = L(a, y)``.

    Returns the named tensors as a dict (``"x1" "x2" "y" "w1" "w2" "b" "z" "a" "L"``).
    The inputs ``x1, x2, y`` are named tensors that do not require grad; ``w1, w2, b``
    do. With ``backward=True`` it also runs ``L.backward(retain_grads=True)``, so every
    box of the picture has its gradient.

    >>> from tinygrad_lr import viz
    >>> t = viz.lecture_example()
    >>> round(t["z"].item(), 6), round(t["b"].grad.item(), 6) == round(t["a"].item() - 1, 6)
    (0.2, True)
    """
    inputs = {"x1": x1, "x2": x2, "y": y}
    weights = {"w1": w1, "w2": w2, "b": b}
    t = {k: Tensor(float(v), name=k) for k, v in inputs.items()}
    t.update({k: Tensor(float(v), requires_grad=True, name=k) for k, v in weights.items()})
    z = t["w1"] * t["x1"] + t["w2"] * t["x2"] + t["b"]
    z.name = "z"
    a = z.sigmoid()
    a.name = "a"
    loss = get_op("binary_cross_entropy")(a, t["y"])
    loss.name = "L"
    t.update(z=z, a=a, L=loss)
    if backward:
        loss.backward(retain_grads=True)
    return t


def lecture_lines(outputs, opts: Options, frame: BoardFrame | None = None) -> list[str]:
    """The DOT statements of the lecture view of the graph behind ``outputs``."""
    board = make_board(outputs, opts)
    graph = board.graph
    if frame is None and opts.step is not None:
        frame = board.step_frame(opts.step)
    if frame is None and opts.highlight is not None:
        frame = BoardFrame(current=(board.box_of(opts.highlight),))
    lines = graph_header(opts)
    rows = []
    if opts.title:
        rows.append(f'<FONT POINT-SIZE="14"><B>{html(opts.title)}</B></FONT>')
    pending = frame is not None and frame.pending
    if opts.legend:
        if opts.grads and not graph.backward_done:
            if not pending:
                rows.append(f'<FONT COLOR="{NOTE_COLOR}">No gradients shown: backward has not run '
                            "through this output yet.</FONT>")
        elif opts.grads and not graph.grads_retained:
            rows.append(f'<FONT COLOR="{NOTE_COLOR}">Gradients of intermediate tensors were '
                        "not kept: run backward(retain_grads=True) to see them.</FONT>")
        for note in board.notes():
            rows.append(note_text(note))
        kinds = {graph.node(i).kind for i in board.boxes}
        grads = opts.grads and (graph.backward_done or pending)
        update = frame is not None and (frame.lr is not None or frame.update_legend)
        rows.append(legend(kinds, grads=grads, update=update))
    if rows:
        body = "".join(f'<TR><TD ALIGN="LEFT" BALIGN="LEFT">{r}</TD></TR>' for r in rows)
        lines.append(f'label=<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="1">{body}</TABLE>>')
    for node_id in board.boxes:
        lines.append(node_line(board, node_id, opts, frame))
    uses = {}
    for source, _ in board.edges:
        uses[source] = uses.get(source, 0) + 1
    for source, target in board.edges:
        label = ""
        if opts.edge_grads and opts.grads and graph.backward_done and (
                graph.node(source).requires_grad) and board.grad_known(source, frame):
            found = board.term(target, source)
            term = found.text(fmt=lambda v: fmt(v, 3)) if found is not None else ""
            grad = board.grad_value(source)
            if term and grad is not None and uses[source] == 1:
                term += f" = {_fmt(grad, opts.precision)}"
                term += " (stale)" if graph.stale else ""
            label = f" [label={quote(' ' + term + ' ')}]" if term else ""
        lines.append(f"{source} -> {target}{label}")
    return lines


def node_line(board: Board, node_id, opts: Options, frame: BoardFrame | None = None) -> str:
    """The DOT statement of one box in ``frame``."""
    n = board.nodes[node_id]
    p = opts.precision
    sym = board.symbol(node_id)
    rows = []
    if n.op is None:
        # A no-break space: SVG viewers drop a plain space after the bold run.
        changed = " (changed after the forward pass)" if n.changed else ""
        rows.append(f"<B>{html(sym)}</B>\u00a0= {html(_fmt(n.value, p) + changed)}")
    else:
        text = board.expression_text(node_id)
        if len(text) > MAX_FORMULA:
            text = text[: MAX_FORMULA - 1] + "…"
        head = text if text.startswith(f"{sym}(") or n.kind == OUTPUT and not n.name else (
            f"{sym} = {text}")
        rows.append(f"<B>{html(head)}</B>")
        for _, input_name, value in ([] if infix_symbol(n.op) else n.constants):
            rows.append(html(f"{input_name} = {_fmt(value, p)}"))
        if opts.values:
            value = _fmt(n.value, p) if board.value_known(node_id, frame) else "?"
            rows.append(html(f"{sym} = {value}"))
    pending = frame is not None and frame.pending and not board.graph.backward_done
    if opts.grads and n.kind != OUTPUT and n.requires_grad and (
            board.graph.backward_done or pending):
        text = board.grad_text(node_id, p, board.grad_known(node_id, frame) and not pending)
        if board.graph.stale and not text.endswith("?"):
            text += " (stale)"
        for line in _split_long(text):
            rows.append(f'<FONT COLOR="{GRAD_COLOR}">{html(line)}</FONT>')
    if frame is not None and frame.lr is not None and n.kind == PARAMETER:
        rule, _, numbers = board.update_text(node_id, frame.lr, p).partition(" = ")
        rows.append(f'<FONT COLOR="{UPDATE_COLOR}"><B>{html(rule)}</B></FONT>')
        for line in _split_long(f"= {numbers}") if numbers else []:
            rows.append(f'<FONT COLOR="{UPDATE_COLOR}"><B>{html(line)}</B></FONT>')
    if opts.formulas and n.formula:
        rows.append(f'<FONT POINT-SIZE="9" COLOR="{NOTE_COLOR}">{html(n.formula)}</FONT>')
    kind = n.kind if n.kind in STYLES else OP
    fill, border, style, _ = STYLES[kind]
    current = frame is not None and node_id in frame.current
    attrs = [f"label=<{table(rows)}>", f'fillcolor="{fill}"',
             f'color="{HIGHLIGHT if current else border}"']
    if style:
        attrs.append(f'style="rounded,filled{style}"')
    if current:
        attrs.append("penwidth=3.5")
    elif n.kind == OUTPUT:
        attrs.append("penwidth=2")
    return f"{node_id} [{', '.join(attrs)}]"



def _split_long(text: str, limit: int = 44) -> list[str]:
    """A long ``dZ = A − Y = [numbers]`` row as two (formula, then ``= [numbers]``), so a
    board of arrays stays narrow enough to scale up on a projector."""
    if len(text) <= limit or " = " not in text:
        return [text]
    formula, _, numbers = text.rpartition(" = ")
    return [formula, f"= {numbers}"]




def _fmt(value, precision: int = 4) -> str:
    return fmt(value, precision)
