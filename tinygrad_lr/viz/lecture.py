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
from .dot import GRAD_COLOR, NOTE_COLOR, STYLES, graph_header, legend, table
from .graph import INPUT, OP, OUTPUT, PARAMETER, infix_symbol
from .labels import format_array, html, quote
from .options import Options

LARGEST = 500  # the board's formulas are built recursively: keep them well inside the stack
MAX_FORMULA = 120  # characters of a box's formula before it is cut with "…"
_PRECEDENCE = {"add": 1, "sub": 1, "mul": 2, "div": 2, "neg": 3, "pow": 4}


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


def lecture_lines(outputs, opts: Options) -> list[str]:
    """The DOT statements of the lecture view of the graph behind ``outputs``."""
    from .graph import walk

    graph = walk(outputs)
    limit = min(opts.max_nodes or LARGEST, LARGEST)
    if len(graph.nodes) > limit:
        raise ValueError(
            f"the lecture view is for small graphs (at most {limit} tensors, see max_nodes); "
            f"this one has {len(graph.nodes):,}: use view='forward' or 'backward', which "
            "collapse large graphs"
        )
    board = _Board(graph)
    lines = graph_header(opts)
    rows = []
    if opts.title:
        rows.append(f'<FONT POINT-SIZE="14"><B>{html(opts.title)}</B></FONT>')
    if opts.legend:
        if opts.grads and not graph.backward_done:
            rows.append(f'<FONT COLOR="{NOTE_COLOR}">No gradients shown: backward has not run '
                        "through this output yet.</FONT>")
        elif opts.grads and not graph.grads_retained:
            rows.append(f'<FONT COLOR="{NOTE_COLOR}">Gradients of z, a (intermediate tensors) '
                        "were not kept: run backward(retain_grads=True) to see them.</FONT>")
        rows.append(legend({graph.node(i).kind for i in board.boxes}))
    if rows:
        body = "".join(f'<TR><TD ALIGN="LEFT">{r}</TD></TR>' for r in rows)
        lines.append(f'label=<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="1">{body}</TABLE>>')
    for node_id in board.boxes:
        lines.append(board.node_line(node_id, opts))
    uses = {}
    for source, _ in board.edges:
        uses[source] = uses.get(source, 0) + 1
    for source, target in board.edges:
        label = ""
        if opts.edge_grads and opts.grads and graph.backward_done and (
                graph.node(source).requires_grad):
            term = board.term(target, source) or ""
            grad = graph.node(source).grad
            if term and grad is not None and uses[source] == 1:
                term += f" = {format_array(grad, opts.precision)}"
            label = f" [label={quote(' ' + term + ' ')}]" if term else ""
        lines.append(f"{source} -> {target}{label}")
    return lines


class _Board:
    """Boxes (named tensors, leaves and the output), their formulas and the edges between."""

    def __init__(self, graph) -> None:
        self.graph = graph
        self.nodes = {n.id: n for n in graph.nodes}
        self.sources = {n.id: [] for n in graph.nodes}
        for e in graph.edges:
            self.sources[e.target].append(e.source)
        self.boxes = self._board_order([n.id for n in graph.nodes if self._is_box(n)])
        box_set = set(self.boxes)
        self.edges = []
        self.consumers = {b: [] for b in self.boxes}
        for b in self.boxes:
            node = self.nodes[b]
            if node.op is None:
                continue
            for used in self._operands(b, box_set, top=True):
                self.edges.append((used, b))
                if b not in self.consumers[used]:
                    self.consumers[used].append(b)

    def _board_order(self, boxes: list) -> list:
        """Inputs before the weights they multiply (``x1, w1``), as on the board."""
        boxes = list(boxes)
        consumer = {}
        for target, sources in self.sources.items():
            for s in sources:
                consumer.setdefault(s, target)
        for i in range(len(boxes) - 1):
            first, second = self.nodes[boxes[i]], self.nodes[boxes[i + 1]]
            if (first.kind == PARAMETER and second.kind == INPUT
                    and consumer.get(first.id) == consumer.get(second.id)):
                boxes[i], boxes[i + 1] = boxes[i + 1], boxes[i]
        return boxes

    def _is_box(self, n) -> bool:
        return n.name is not None or n.kind in (OUTPUT, PARAMETER) or (
            n.kind == INPUT and n.value.size > 1)

    def _operands(self, node_id, boxes, top=False):
        """The boxes an expression reads, one per use, in order."""
        if not top and node_id in boxes:
            return [node_id]
        found = []
        for s in self.sources[node_id]:
            found.extend(self._operands(s, boxes))
        return found

    # ---------------------------------------------------------------- formulas
    def symbol(self, node_id) -> str:
        n = self.nodes[node_id]
        if n.name:
            return n.name
        if n.kind == OUTPUT:
            return "out"
        return format_array(n.value, 3) if n.value.size <= 1 else f"c{node_id[1:]}"

    def expression(self, node_id, top=True) -> tuple[str, int]:
        """(text, precedence) of the formula computing ``node_id`` from boxes and numbers."""
        n = self.nodes[node_id]
        if not top and (node_id in self.consumers or n.op is None):
            return self.symbol(node_id), 9
        operands = self._operand_texts(node_id)
        symbol = infix_symbol(n.op)
        if symbol and len(operands) == 2:
            level = _PRECEDENCE[n.op]
            left = _wrap(operands[0], level, False)
            right = _wrap(operands[1], level, n.op in ("sub", "div", "pow"))
            if n.op == "mul":
                return f"{left}·{right}", level
            if n.op == "pow" and right == "2":
                return f"{left}²", level
            return f"{left} {symbol} {right}", level
        if n.op == "neg":
            return f"−{_wrap(operands[0], 3, True)}", 3
        label = n.label or n.op
        if "(" in label:
            return label, 9
        return f"{label}({', '.join(t for t, _ in operands)})", 9

    def _operand_texts(self, node_id):
        n = self.nodes[node_id]
        tensor_sources = iter(self.sources[node_id])
        texts = []
        positions = {p: value for p, _, value in n.constants}
        for position in range(len(n.input_names) or len(self.sources[node_id])):
            if position in positions:
                texts.append((format_array(positions[position], 3), 9))
            else:
                texts.append(self.expression(next(tensor_sources), top=False))
        return texts

    def partial(self, box_id, wrt) -> str | None:
        """∂box/∂wrt as text in the boxes' names (None when it is not a simple rule)."""
        return _partial(self, box_id, wrt, top=True)

    def grad_formula(self, node_id) -> str | None:
        """``dz = a − y``-style text: the chain rule through every consumer of ``node_id``."""
        return self._sigmoid_into_loss(node_id) or self._chain(node_id)

    def _chain(self, node_id) -> str | None:
        terms = [self.term(consumer, node_id) for consumer in self.consumers[node_id]]
        terms = [t for t in terms if t]
        return " + ".join(terms) if terms else None

    def term(self, consumer, node_id) -> str | None:
        """What ``consumer`` sends back to ``node_id``: ``x1·dz`` (None when it is zero)."""
        local = self.partial(consumer, node_id)
        upstream = "" if self.nodes[consumer].kind == OUTPUT else f"d{self.symbol(consumer)}"
        if local is None:
            local = f"∂{self.symbol(consumer)}/∂{self.symbol(node_id)}"
        if local == "0":
            return None
        if not upstream:
            return local
        if local == "1":
            return upstream
        return f"{_wrap((local, _level(local)), 2, False)}·{upstream}"

    def _sigmoid_into_loss(self, node_id) -> str | None:
        """σ feeding binary cross-entropy: the board's ``dz = a − y``."""
        consumers = self.consumers[node_id]
        if len(consumers) != 1:
            return None
        a = self.nodes[consumers[0]]
        if a.op != "sigmoid" or len(self.consumers[a.id]) != 1:
            return None
        loss = self.nodes[self.consumers[a.id][0]]
        if loss.op != "binary_cross_entropy" or loss.kind != OUTPUT or a.value.size != 1:
            return None
        target = self._operand_texts(loss.id)[1][0]
        general = self._chain(node_id)
        return f"{general} = {self.symbol(a.id)} − {target}"

    # ---------------------------------------------------------------- drawing
    def node_line(self, node_id, opts: Options) -> str:
        n = self.nodes[node_id]
        p = opts.precision
        sym = self.symbol(node_id)
        rows = []
        if n.op is None:
            rows.append(f"<B>{html(sym)}</B> = {html(format_array(n.value, p))}")
        else:
            text, _ = self.expression(node_id)
            if len(text) > MAX_FORMULA:
                text = text[: MAX_FORMULA - 1] + "…"
            head = text if text.startswith(f"{sym}(") or n.kind == OUTPUT and not n.name else (
                f"{sym} = {text}")
            rows.append(f"<B>{html(head)}</B>")
            for _, input_name, value in ([] if infix_symbol(n.op) else n.constants):
                rows.append(html(f"{input_name} = {format_array(value, p)}"))
            if opts.values:
                rows.append(html(f"{sym} = {format_array(n.value, p)}"))
        if opts.grads and n.kind != OUTPUT and n.requires_grad and self.graph.backward_done:
            formula = self.grad_formula(node_id)
            text = f"d{sym}"
            if formula and formula != text:
                text += f" = {formula}"
            if n.grad is not None:
                text += f" = {format_array(n.grad, p)}"
            rows.append(f'<FONT COLOR="{GRAD_COLOR}">{html(text)}</FONT>')
        if opts.formulas and n.formula:
            rows.append(f'<FONT POINT-SIZE="9" COLOR="{NOTE_COLOR}">{html(n.formula)}</FONT>')
        kind = n.kind if n.kind in STYLES else OP
        fill, border, style, _ = STYLES[kind]
        attrs = [f"label=<{table(rows)}>", f'fillcolor="{fill}"', f'color="{border}"']
        if style:
            attrs.append(f'style="rounded,filled{style}"')
        if n.kind == OUTPUT:
            attrs.append("penwidth=2")
        return f"{node_id} [{', '.join(attrs)}]"


def _level(text: str) -> int:
    return 1 if (" + " in text or " − " in text) else 9


def _wrap(operand, level: int, strict: bool) -> str:
    text, own = operand
    if own < level or (strict and own == level):
        return f"({text})"
    return text


def _partial(board: _Board, node_id, wrt, top=False) -> str | None:
    """Symbolic derivative for sums, differences, products and negation; else None."""
    if node_id == wrt and not top:
        return "1"
    n = board.nodes[node_id]
    if not top and (node_id in board.consumers or n.op is None):
        return "0"
    sources = board.sources[node_id]
    if n.op in ("add", "sub", "mul", "neg", "div") and not n.constants:
        parts = [_partial(board, s, wrt) for s in sources]
        if any(p is None for p in parts):
            return None
        if n.op == "neg":
            return "0" if parts[0] == "0" else _neg(parts[0])
        if n.op in ("add", "sub"):
            return _sum(parts[0], parts[1] if n.op == "add" else _neg(parts[1]))
        left, right = (board.expression(s, top=False) for s in sources)
        if n.op == "div":
            return None if parts[1] != "0" else _product(parts[0], (f"1/{_wrap(right, 3, True)}"))
        return _sum(_product(parts[0], _wrap(right, 2, False)),
                    _product(_wrap(left, 2, False), parts[1]))
    if n.op in ("add", "sub", "mul", "div") and n.constants and len(sources) == 1:
        inner = _partial(board, sources[0], wrt)
        if inner is None:
            return None
        (position, _, value), = n.constants
        c = format_array(value, 3)
        if n.op == "add" or (n.op == "sub" and position == 1):
            return inner
        if n.op == "sub":
            return _neg(inner)
        if n.op == "mul":
            return _product(c, inner)
        return _product(inner, f"1/{c}") if position == 1 else None
    if sources.count(wrt) == 1:
        return _registry_rule(n.formula, board.symbol(node_id), board.symbol(wrt))
    return None


def _registry_rule(formula, of: str, wrt: str) -> str | None:
    """The right-hand side of the op's formula when it is written in these names."""
    for part in (formula or "").split(", "):
        lhs, _, rhs = part.partition(" = ")
        if lhs.strip() == f"∂{of}/∂{wrt}" and rhs:
            return rhs.strip()
    return None


def _neg(p: str) -> str:
    if p == "0":
        return "0"
    return p[1:] if p.startswith("−") else f"−{p}"


def _sum(a: str, b: str) -> str:
    if a == "0":
        return b
    if b == "0":
        return a
    return f"{a} − {b[1:]}" if b.startswith("−") else f"{a} + {b}"


def _product(a: str, b: str) -> str:
    if a == "0" or b == "0":
        return "0"
    if a == "1":
        return b
    if b == "1":
        return a
    return f"{a}·{b}"
