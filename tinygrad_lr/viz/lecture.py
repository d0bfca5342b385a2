"""The lecture view: the board's picture of single-example logistic regression.

Only named tensors (``name=``) and the output get a box; the unnamed ops between them are
folded into the box's formula, so ``w1*x1 + w2*x2 + b`` named ``z`` reads as one node
``z = w1·x1 + w2·x2 + b``. Every box shows its forward value, and after backward its
gradient with the chain-rule formula that gives it (``dw1 = x1·dz``, ``dz = a − y``).
Inputs such as ``x1`` are marked by making them named tensors that do not require grad.
"""

from __future__ import annotations

import re

import numpy as np

from ..registry import get_op
from ..tensor import Tensor
from .board import BOARD_ARRAY, Board, BoardFrame, fmt, make_board
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
    if frame is None and board.batch is not None:
        frame = BoardFrame(compact=True)  # the m-example board: matrices and vectors as grids
    lines = graph_header(opts)
    if frame is not None and frame.compact:
        # Less space between boxes: the picture is scaled to the window, so what is not
        # text makes the text smaller.
        lines.append("graph [nodesep=0.14, ranksep=0.26, pad=0.04]")
        lines.append('node [margin="0.06,0.03"]')
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
        rows.append(legend(kinds, grads=grads, update=update, loss=board.loss_symbol()))
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
            # decorate: a line from the label to its own edge, so x2·dz is read as x2's
            label = f" [label={quote(' ' + term + ' ')}, decorate=true]" if term else ""
        lines.append(f"{source} -> {target}{label}")
    return lines


def lecture_footer(outputs, update: bool = False) -> str:
    """The legend of a projected lecture page as one line of HTML: a swatch per kind of box,
    the colours of the text (``dv = ∂J/∂v`` in the board's own loss) and the board's notes."""
    board = make_board(outputs, Options(view="lecture"))
    chips = []
    kinds = {board.nodes[b].kind for b in board.boxes}
    for kind, (fill, border, _, text) in STYLES.items():
        if kind in kinds:
            chips.append(f'<span class="chip" style="background:{fill};border-color:{border}">'
                         f"{html(text)}</span>")
    loss = board.loss_symbol()
    chips.append(f'<span style="color:{GRAD_COLOR}">red: a gradient, '
                 f"dv = ∂{html(loss)}/∂v</span>")
    if update:
        chips.append(f'<span style="color:{UPDATE_COLOR}">&#160; green: the update '
                     "w := w − α·dw</span>")
    notes = "".join(f"<br>{html(n)}" for n in board.notes())
    return " ".join(chips) + notes


def node_line(board: Board, node_id, opts: Options, frame: BoardFrame | None = None) -> str:
    """The DOT statement of one box in ``frame``."""
    n = board.nodes[node_id]
    p = opts.precision
    sym = board.symbol(node_id)
    rows = []
    compact = frame is not None and frame.compact
    updated = compact and frame.lr is not None and n.kind == PARAMETER
    if updated and board.update(node_id, frame.lr) is not None:
        # The update in place: the box keeps its size and position, the caption has the sum.
        new = board.update(node_id, frame.lr)
        rows.extend(_value_rows(f"<B>{html(sym)} :=</B>", new, p, compact, UPDATE_COLOR))
    elif n.op is None:
        # A no-break space: SVG viewers drop a plain space after the bold run.
        changed = " (changed after the forward pass)" if n.changed else ""
        if compact and not changed:
            rows.extend(_value_rows(f"<B>{html(sym)}</B>\u00a0=", n.value, p, compact))
        else:
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
        if opts.values and compact and board.value_known(node_id, frame):
            rows.extend(_value_rows(html(f"{sym} ="), n.value, p, compact))
        elif opts.values:
            value = _fmt(n.value, p) if board.value_known(node_id, frame) else "?"
            rows.append(html(f"{sym} = {value}"))
    pending = frame is not None and frame.pending and not board.graph.backward_done
    values_end = len(rows)
    if opts.grads and n.kind != OUTPUT and n.requires_grad and (
            board.graph.backward_done or pending):
        known = board.grad_known(node_id, frame) and not pending
        if compact and known and board.grad_value(node_id) is not None:
            step = board.grad_step(node_id, p)
            rows.extend(_value_rows(html(" = ".join([step.name, *step.formulas[-1:]]) + " ="),
                                    board.grad_value(node_id), p, compact, GRAD_COLOR))
        else:
            text = board.grad_text(node_id, p, known)
            if board.graph.stale and not text.endswith("?"):
                text += " (stale)"
            for line in _split_long(text):
                rows.append(f'<FONT COLOR="{GRAD_COLOR}">{html(line)}</FONT>')
    value = np.asarray(n.value)
    if compact and len(rows) > values_end and value.size > 1 and (
            value.ndim == 1 or value.shape[-1] == 1):
        # A column of numbers and its gradient side by side: half the height, so the
        # picture scales up further.
        start = 0 if n.op is None else 1
        rows[start:] = [
            '<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="0"><TR>'
            f'<TD VALIGN="TOP">{table(rows[start:values_end])}</TD><TD WIDTH="6"></TD>'
            f'<TD VALIGN="TOP">{table(rows[values_end:])}</TD></TR></TABLE>']
    if frame is not None and frame.lr is not None and n.kind == PARAMETER and not compact:
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



def _value_rows(head: str, value, precision: int, compact: bool, color: str | None = None,
                limit: int = 26) -> list[str]:
    """``head value`` as rows of a box: a number on the same row (or the next, when the row
    would be long), an array as a grid (a vector as a column, as the lecture writes w)."""
    def paint(text):
        return f'<FONT COLOR="{color}">{text}</FONT>' if color else text

    array = np.asarray(value)
    if array.size > 1 and array.size <= BOARD_ARRAY and array.ndim <= 2:
        grid = array.reshape(-1, 1) if array.ndim == 1 else array
        cells = "".join("<TR>" + "".join(f"<TD>{paint(html(fmt(v, precision)))}</TD>"
                                         for v in row) + "</TR>" for row in grid)
        table = ('<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="1" '
                 f'COLOR="#999999">{cells}</TABLE>')
        return [paint(head), table]
    number = html(fmt(value, precision))
    plain = len(re.sub(r"<[^>]+>", "", head))  # the row's visible length
    if compact and plain + len(number) > limit:
        return [paint(head), paint(number)]
    return [paint(f"{head}\u00a0{number}")]  # no-break: SVG drops a space after bold


def _split_long(text: str, limit: int = 44) -> list[str]:
    """A long ``dZ = A − Y = [numbers]`` row as two (formula, then ``= [numbers]``), so a
    board of arrays stays narrow enough to scale up on a projector."""
    if len(text) <= limit or " = " not in text:
        return [text]
    formula, _, numbers = text.rpartition(" = ")
    return [formula, f"= {numbers}"]




def _fmt(value, precision: int = 4) -> str:
    return fmt(value, precision)
