"""DOT text for the forward and backward views, in pure Python (no Graphviz needed).

Styles are restrained: parameters (leaves that require grad) light blue, inputs and
constants grey and dashed, intermediate results white, the output light orange, collapsed
groups grey boxes. Gradients are dark red, everywhere.
"""

from __future__ import annotations

import textwrap

from .graph import GROUP, INPUT, OP, OUTPUT, PARAMETER, Edge, Graph, Node, infix_symbol
from .labels import format_array, format_params, format_shape, html, quote
from .options import Options

FONT = "Helvetica,Arial,sans-serif"
GRAD_COLOR = "#a93226"
NOTE_COLOR = "#555555"

#: kind -> (fill colour, border colour, extra style, legend text)
STYLES = {
    PARAMETER: ("#dbe9f6", "#2b6cb0", "", "parameter (requires grad)"),
    INPUT: ("#f2f2f2", "#8a8a8a", ",dashed", "input / constant"),
    OP: ("#ffffff", "#444444", "", "intermediate result"),
    OUTPUT: ("#fdebd0", "#b9770e", "", "output"),
    GROUP: ("#ececec", "#666666", "", "collapsed group"),
}
HIGHLIGHT = "#c0392b"
UPDATE_COLOR = "#1e6b35"


def graph_header(opts: Options) -> list[str]:
    """The graph-wide attribute lines every view starts with."""
    return [
        f'graph [rankdir={opts.rankdir}, fontname="{FONT}", fontsize=11, nodesep=0.3, '
        'ranksep=0.4, bgcolor="white", labelloc=t, labeljust=l]',
        f'node [shape=box, style="rounded,filled", fontname="{FONT}", fontsize=11, '
        'margin="0.1,0.05", penwidth=1.2]',
        f'edge [color="#555555", arrowsize=0.7, fontname="{FONT}", fontsize=10, '
        f'fontcolor="{GRAD_COLOR}"]',
    ]


def wrap(lines: list[str]) -> str:
    """Put statement lines into a ``digraph`` (the same text ``graphviz.Digraph`` makes)."""
    return "digraph tinygrad_lr {\n" + "".join(f"\t{line}\n" for line in lines) + "}\n"


def graph_lines(graph: Graph, opts: Options) -> list[str]:
    """Every statement of the forward or backward view of ``graph``."""
    state = _BackwardState(graph, opts)
    lines = graph_header(opts)
    label = _graph_label(graph, opts, state)
    if label:
        lines.append(f"label=<{label}>")
    backward = opts.view == "backward"
    for node in graph.nodes:
        lines.append(_node_line(node, opts, state))
    for edge in graph.edges:
        lines.append(_edge_line(edge, opts, state, backward))
    return lines


class _BackwardState:
    """Which gradients a picture may show: all the real ones, or those known at ``step``."""

    def __init__(self, graph: Graph, opts: Options) -> None:
        self.graph = graph
        self.step = opts.step
        self.visited = sum(1 for n in graph.nodes if n.visit_order is not None)
        # read once per picture: every gradient label asks, and the graph scans its nodes
        self.stale_mark = " (stale)" if graph.stale else ""
        if self.step is not None:
            if not graph.backward_done:
                raise ValueError(
                    "step= needs a backward pass to show; run viz.backprop(output) first"
                )
            if self.step > self.visited:
                raise ValueError(
                    f"step must be from 0 to {self.visited} (the number of nodes backward "
                    f"visited), got {self.step}"
                )
        self.highlight = _highlight_id(graph, opts.highlight)
        if self.step and self.highlight is None:
            current = [n.id for n in graph.nodes if n.visit_order == self.step - 1]
            self.highlight = current[0] if current else None

    def known(self, node: Node) -> bool:
        if node.visit_order is None:
            return False
        return self.step is None or node.visit_order < self.step

    def node_grad(self, node: Node):
        return node.grad if self.known(node) else None

    def edge_grad(self, edge: Edge):
        if edge.grad is None:
            return None
        return edge.grad if self.known(self.graph.node(edge.target)) else None


def _highlight_id(graph: Graph, target):
    if target is None:
        return None
    if isinstance(target, str):
        graph.node(target)
        return target
    for node_id, t in graph.tensors.items():
        if t is target:
            return node_id
    raise ValueError("highlight= must be a tensor of the drawn graph (or a node id)")


def op_text(node: Node, precision: int) -> str:
    """The op as a reader sees it: ``σ``, ``· × 2``, ``1 − ·``, ``Σ axis=1``."""
    if node.kind == GROUP:
        return node.label or ""
    if node.op is None:
        return ""
    symbol = infix_symbol(node.op)
    if symbol and node.constants and len(node.input_names) == 2:
        operands = ["·", "·"]
        for position, _, value in node.constants:
            operands[position] = format_array(value, precision)
        text = f"{operands[0]} {symbol} {operands[1]}"
    else:
        text = node.label or node.op
    params = format_params(node.params)
    return f"{text} {params}" if params else text


def _node_line(node: Node, opts: Options, state: _BackwardState) -> str:
    fill, border, style, _ = STYLES[node.kind]
    attrs = [f"label=<{node_label(node, opts, state)}>", f'fillcolor="{fill}"']
    penwidth = 2 if node.kind == OUTPUT else None
    if state.highlight == node.id:
        border, penwidth = HIGHLIGHT, 3.5
    attrs.append(f'color="{border}"')
    if style:
        attrs.append(f'style="rounded,filled{style}"')
    if penwidth:
        attrs.append(f"penwidth={penwidth}")
    if node.kind == GROUP:
        attrs.append("shape=box3d")
        attrs.append('style="filled"')
    return f"{node.id} [{', '.join(attrs)}]"


def node_label(node: Node, opts: Options, state: _BackwardState) -> str:
    """The HTML-like label of one node: name and op, shape, value, grad, formula, order."""
    p = opts.precision
    head = f"<B>{html(node.name)}</B>" if node.name else ""
    operation = op_text(node, p)
    if operation:
        head = f"{head}  {html(operation)}" if head else html(operation)
    if not head:
        head = "<I>parameter</I>" if node.kind == PARAMETER else "<I>constant</I>"
    rows = [head]
    if node.kind == GROUP and node.summary:
        rows.append(f'<FONT POINT-SIZE="9">{html(node.summary)}</FONT>')
    show_dtype = opts.dtypes or node.dtype != "float64"
    if opts.shapes and node.kind != GROUP and (node.shape or show_dtype):
        shape = format_shape(node.shape)
        if show_dtype:
            shape = f"{shape} {node.dtype}"
        rows.append(f'<FONT POINT-SIZE="9" COLOR="{NOTE_COLOR}">{html(shape)}</FONT>')
    constants = [] if infix_symbol(node.op) else node.constants
    for _, input_name, value in constants:
        rows.append(html(f"{input_name} = {format_array(value, p)}"))
    value_row = grad_row = None
    if opts.values and node.value is not None:
        value_row = html(f"value {format_array(node.value, p)}"
                         + (" (changed after the forward pass)" if node.changed else ""))
    grad = state.node_grad(node) if opts.grads else None
    if grad is not None:
        stale = state.stale_mark
        grad_row = (f'<FONT COLOR="{GRAD_COLOR}">'
                    f'{html("grad " + format_array(grad, p) + stale)}</FONT>')
    if opts.view == "backward":
        rows.extend(r for r in (grad_row, value_row) if r)
    else:
        rows.extend(r for r in (value_row, grad_row) if r)
    if opts.formulas and node.formula:
        rows.append(f'<FONT POINT-SIZE="9" COLOR="{NOTE_COLOR}">{html(node.formula)}</FONT>')
    if opts.order and state.known(node):
        rows.append(f'<FONT POINT-SIZE="9" COLOR="{NOTE_COLOR}">backward step '
                    f"{node.visit_order + 1}</FONT>")
    return table(rows)


def table(rows: list[str]) -> str:
    """Rows stacked in a borderless HTML-like table."""
    body = "".join(f"<TR><TD>{r}</TD></TR>" for r in rows)
    return f'<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">{body}</TABLE>'


def _edge_line(edge: Edge, opts: Options, state: _BackwardState, backward: bool) -> str:
    attrs = []
    grad = state.edge_grad(edge) if (opts.edge_grads and opts.grads) else None
    if grad is not None:
        stale = state.stale_mark
        attrs.append(f"label={quote(' ' + format_array(grad, opts.precision) + stale + ' ')}")
    elif opts.edge_grads and opts.grads and state.step is not None and edge.grad is not None:
        # Not sent yet at this step: an invisible label of the same size keeps the layout of
        # every step-through frame the same.
        attrs.append(f"label={quote(' ' + format_array(edge.grad, opts.precision) + ' ')}, "
                     'fontcolor="#ffffff00"')
    if edge.count > 1:
        attrs.append(f'taillabel="×{edge.count}"')
    if backward:
        carries = state.graph.node(edge.source).requires_grad
        attrs.append(f'color="{GRAD_COLOR}"' if carries else
                     'color="#aaaaaa", style=dashed, dir=none')
        line = f"{edge.target} -> {edge.source}"
    else:
        line = f"{edge.source} -> {edge.target}"
    return f"{line} [{', '.join(attrs)}]" if attrs else line


def _graph_label(graph: Graph, opts: Options, state: _BackwardState) -> str:
    rows = []
    if opts.title:
        rows.append(f'<FONT POINT-SIZE="14"><B>{html(opts.title)}</B></FONT>')
    if opts.legend:
        rows.extend(note_text(n) for n in notes(graph, opts))
        rows.append(legend({n.kind for n in graph.nodes},
                           grads=opts.grads and graph.backward_done))
    if not rows:
        return ""
    body = "".join(f'<TR><TD ALIGN="LEFT" BALIGN="LEFT">{r}</TD></TR>' for r in rows)
    return f'<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="1" CELLPADDING="2">{body}</TABLE>'


def notes(graph: Graph, opts: Options) -> list[str]:
    """What a reader must know to read the picture right (no grads yet, grads not kept...)."""
    found = list(graph.notes)
    wants_grads = any(n.requires_grad for n in graph.nodes)
    if opts.grads and wants_grads:
        if not graph.backward_done:
            found.append("No gradients shown: backward has not run through this output yet.")
        elif opts.step is not None:
            visited = sum(1 for n in graph.nodes if n.visit_order is not None)
            found.append(f"Backward step {opts.step} of {visited}: gradients known so far.")
        elif not graph.grads_retained:
            found.append("Intermediate gradients were not kept: run "
                         "backward(retain_grads=True) (or viz.backprop(output)) to see them.")
    return found


def note_text(text: str, width: int = 90) -> str:
    """A grey note for the picture's heading, broken into lines of about ``width`` characters
    (a long line would stretch the legend below it)."""
    lines = textwrap.wrap(text, width) or [""]
    return (f'<FONT COLOR="{NOTE_COLOR}">' + '<BR ALIGN="LEFT"/>'.join(html(x) for x in lines)
            + "</FONT>")


def legend(kinds, grads: bool = False, update: bool = False, loss: str = "L") -> str:
    """A one-row legend: a swatch for each node kind in the picture, and what the colours of
    text mean (red: a gradient; green: the update step)."""
    cells = []
    for kind, (fill, border, _, text) in STYLES.items():
        if kind in kinds:
            cells.append(f'<TD BGCOLOR="{fill}" COLOR="{border}" BORDER="1">'
                         f'<FONT POINT-SIZE="9">{html(text)}</FONT></TD>')
    for shown, color, text in ((grads, GRAD_COLOR, f"red text: a gradient (dv = ∂{loss}/∂v)"),
                               (update, UPDATE_COLOR, "green: the update w := w − α·dw")):
        if shown:
            cells.append(f'<TD BORDER="0"><FONT POINT-SIZE="9" COLOR="{color}">'
                         f"{html(text)}</FONT></TD>")
    return ('<TABLE ALIGN="LEFT" BORDER="0" CELLBORDER="0" CELLSPACING="3" CELLPADDING="2"><TR>'
            + "".join(cells) + "</TR></TABLE>")
