"""The lecture view: the board's picture of single-example logistic regression.

Only named tensors (``name=``) and the output get a box; the unnamed ops between them are
folded into the box's formula, so ``w1*x1 + w2*x2 + b`` named ``z`` reads as one node
``z = w1·x1 + w2·x2 + b``. Every box shows its forward value, and after backward its
gradient with the chain-rule formula that gives it (``dw1 = x1·dz``, ``dz = a − y``).
Inputs such as ``x1`` are marked by making them named tensors that do not require grad.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..registry import get_op
from ..tensor import Tensor
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
from .graph import INPUT, OP, OUTPUT, PARAMETER, infix_symbol
from .labels import format_array, html, quote
from .options import Options

LARGEST = 500  # the board's formulas are built recursively: keep them well inside the stack
MAX_FORMULA = 120  # characters of a box's formula before it is cut with "…"
_PRECEDENCE = {"add": 1, "sub": 1, "mul": 2, "div": 2, "neg": 3, "pow": 4}
BOARD_ARRAY = 12  # a board writes arrays of up to this many numbers in full (X of 4×2)
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


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


@dataclass(frozen=True)
class BoardFrame:
    """What one frame of the board shows: which values and gradients are known so far.

    ``None`` means "everything the graph has". A box whose value or gradient is not known
    yet keeps its row, written ``z = ?``, so every frame has the same boxes and rows.
    ``lr`` adds the update row ``w1 := w1 − α·dw1 = …`` to every parameter; ``pending``
    draws the gradient rows as ``dw = ?`` on a graph backward has not reached yet.
    """

    values: frozenset | None = None
    grads: frozenset | None = None
    current: tuple = ()
    lr: float | None = None
    update_legend: bool = False
    pending: bool = False  # a backward is still to come: gradient rows read ``dw = ?``


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
        lines.append(board.node_line(node_id, opts, frame))
    uses = {}
    for source, _ in board.edges:
        uses[source] = uses.get(source, 0) + 1
    for source, target in board.edges:
        label = ""
        if opts.edge_grads and opts.grads and graph.backward_done and (
                graph.node(source).requires_grad) and board.grad_known(source, frame):
            term = board.term(target, source) or ""
            grad = board.grad_value(source)
            if term and grad is not None and uses[source] == 1:
                term += f" = {_fmt(grad, opts.precision)}"
                term += " (stale)" if graph.stale else ""
            label = f" [label={quote(' ' + term + ' ')}]" if term else ""
        lines.append(f"{source} -> {target}{label}")
    return lines


def make_board(outputs, opts: Options) -> _Board:
    """The board of the graph behind ``outputs`` (refusing graphs too big for a board)."""
    from .graph import walk

    graph = walk(outputs)
    limit = min(opts.max_nodes or LARGEST, LARGEST)
    if len(graph.nodes) > limit:
        raise ValueError(
            f"the lecture view is for small graphs (at most {limit} tensors, see max_nodes); "
            f"this one has {len(graph.nodes):,}: use view='forward' or 'backward', which "
            "collapse large graphs"
        )
    return _Board(graph)


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
        self.batch = self._batch_loss()

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

    def box_of(self, target) -> str:
        """The box id of a tensor of the graph (or a node id)."""
        if isinstance(target, str):
            node_id = target
        else:
            found = [i for i, t in self.graph.tensors.items() if t is target]
            if not found:
                raise ValueError("highlight= must be a tensor of the drawn graph (or a node id)")
            node_id = found[0]
        if node_id not in self.consumers:
            raise ValueError(f"highlight= names {node_id!r}, which has no box on the board "
                             "(only named tensors, parameters and the output do)")
        return node_id

    # ---------------------------------------------------------------- the m-example board
    def _batch_loss(self):
        """``(J, A, Z, m)`` when the output is the mean cross-entropy of ``A = σ(Z)`` over m > 1
        examples (the lecture's m-example board), else None."""
        out = [n for n in self.graph.nodes if n.kind == OUTPUT]
        if len(out) != 1 or out[0].op != "binary_cross_entropy":
            return None
        loss = out[0]
        if loss.params.get("reduction", "mean") != "mean" or not self.sources[loss.id]:
            return None
        a = self.nodes[self.sources[loss.id][0]]
        if a.op != "sigmoid" or a.value.size <= 1 or a.id not in self.consumers:
            return None
        z = self.nodes[self.sources[a.id][0]]
        if z.id not in self.consumers or self.consumers[a.id] != [loss.id]:
            return None
        return loss.id, a.id, z.id, int(a.value.size)

    def per_example(self, node_id) -> bool:
        """True for A and Z of the m-example board: their d-quantities are per example."""
        return self.batch is not None and node_id in self.batch[1:3]

    def grad_value(self, node_id):
        """The number a box's gradient row shows (the lecture's dZ is m·∂J/∂Z)."""
        grad = self.nodes[node_id].grad
        if grad is None or not self.per_example(node_id):
            return grad
        return grad * self.batch[3]

    def notes(self) -> list[str]:
        """Lines the legend adds for this board."""
        if self.batch is None:
            return list(self.graph.notes)
        _, a, z, m = self.batch
        za, aa = self.symbol(z), self.symbol(a)
        loss = self.symbol(self.batch[0])
        return [*self.graph.notes,
                f"m = {m} examples. As in the lecture, d{za} and d{aa} hold one derivative per "
                f"example (d{za} = m·∂{loss}/∂{za}); the parameters' d-values are ∂{loss}/∂w."]

    def _vector_term(self, node_id) -> str | None:
        """``(1/m)·Xᵀ·dZ``, ``(1/m)·X·dZᵀ`` or ``(1/m)·Σ dZ``: what Z sends to a parameter."""
        _, _, z, _ = self.batch
        dz = f"d{self.symbol(z)}"
        path = self._path(z, node_id)
        if path is None:
            return None
        transposed = self.nodes[path[-1]].op == "transpose" and len(path) > 1
        if transposed:
            path = path[:-1]
        *adds, last = path
        if any(self.nodes[p].op != "add" for p in adds):
            return None
        last_node = self.nodes[last]
        if last_node.op == "add" and not transposed:
            if self.nodes[node_id].value.size < self.nodes[z].value.size:
                return f"(1/m)·Σ {dz}"
            return f"(1/m)·{dz}"
        if last_node.op != "matmul" or len(self.sources[last]) != 2:
            return None
        left, right = self.sources[last]
        if not transposed and right == node_id and left != node_id:
            return f"(1/m)·{_wrap(self.expression(left, top=False), 9, False)}ᵀ·{dz}"
        if (transposed and self.sources[left] == [node_id] and right != node_id
                and not self.nodes[left].params.get("axes")):
            x, _ = self.expression(right, top=False)
            return f"(1/m)·{x}·{dz}ᵀ"
        return None

    def _path(self, start, target):
        """The unnamed nodes from box ``start`` down to the op that reads ``target`` directly."""
        def down(node_id):
            if target in self.sources[node_id]:
                return [node_id]
            for s in self.sources[node_id]:
                if s in self.consumers:
                    continue
                found = down(s)
                if found is not None:
                    return [node_id, *found]
            return None
        return down(start)

    # ---------------------------------------------------------------- formulas
    def symbol(self, node_id) -> str:
        n = self.nodes[node_id]
        if n.name:
            return n.name
        if n.kind == OUTPUT:
            return "out"
        return _fmt(n.value, 3) if n.value.size <= 1 else f"c{node_id[1:]}"

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
        if n.op == "matmul" and len(operands) == 2:
            left, right = (_wrap(o, 3, False) for o in operands)
            return (f"{left}{right}" if left.endswith("ᵀ") else f"{left}@{right}"), 3
        if n.op == "transpose" and len(operands) == 1 and not n.params.get("axes"):
            return f"{_wrap(operands[0], 9, False)}ᵀ", 9
        if self.batch is not None and node_id == self.batch[0]:
            a, y = (_wrap(o, 9, False) for o in operands[:2])
            return f"(1/m)·Σ L({a}, {y})", 2
        label = n.label or n.op
        if "(" in label:
            return _in_names(label, self._name_map(node_id, operands)), 9
        return f"{label}({', '.join(t for t, _ in operands)})", 9

    def _operand_texts(self, node_id):
        n = self.nodes[node_id]
        tensor_sources = iter(self.sources[node_id])
        texts = []
        positions = {p: value for p, _, value in n.constants}
        for position in range(len(n.input_names) or len(self.sources[node_id])):
            if position in positions:
                texts.append((_fmt(positions[position], 3), 9))
            else:
                texts.append(self.expression(next(tensor_sources), top=False))
        return texts

    def _name_map(self, node_id, operands=None) -> dict:
        """The op's own names for its inputs -> the texts of this graph's operands."""
        n = self.nodes[node_id]
        operands = operands if operands is not None else self._operand_texts(node_id)
        return {name: _wrap(text, 9, False) for name, text in zip(n.input_names, operands)}

    def input_name(self, node_id, wrt) -> str | None:
        """The op's name for the input ``wrt`` of ``node_id`` (``"z"`` for σ)."""
        n = self.nodes[node_id]
        constant_positions = {p for p, _, _ in n.constants}
        tensor_positions = [p for p in range(len(n.input_names)) if p not in constant_positions]
        sources = self.sources[node_id]
        if sources.count(wrt) != 1 or len(tensor_positions) != len(sources):
            return None
        return n.input_names[tensor_positions[sources.index(wrt)]]

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
        if self.batch is not None and consumer == self.batch[2]:
            vector = self._vector_term(node_id)
            if vector:
                return vector
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
        if loss.op != "binary_cross_entropy" or loss.kind != OUTPUT:
            return None
        if a.value.size != 1 and (self.batch is None or self.batch[1] != a.id):
            return None
        target = self._operand_texts(loss.id)[1][0]
        general = self._chain(node_id)
        return f"{general} = {self.symbol(a.id)} − {target}"

    # ---------------------------------------------------------------- steps
    def forward_boxes(self) -> list:
        """The boxes an op computes, in the order the forward pass computed them."""
        order = {n.id: i for i, n in enumerate(self.graph.nodes)}
        return sorted((b for b in self.boxes if self.nodes[b].op is not None), key=order.get)

    def backward_boxes(self) -> list:
        """The boxes whose gradient the lecture derives (da, dz, dw1, ...), in backward order."""
        found = [b for b in self.boxes if self.nodes[b].kind != OUTPUT
                 and self.nodes[b].requires_grad and self.nodes[b].visit_order is not None]
        return sorted(found, key=lambda b: self.nodes[b].visit_order)

    def parameters(self) -> list:
        """The parameter boxes (leaves that require grad), in board order."""
        return [b for b in self.boxes if self.nodes[b].kind == PARAMETER]

    def step_frame(self, step: int) -> BoardFrame:
        """The board after the first ``step`` gradients of :meth:`backward_boxes` are known."""
        if not self.graph.backward_done:
            raise ValueError("step= needs a backward pass to show; run viz.backprop(output) "
                             "first")
        order = self.backward_boxes()
        if step > len(order):
            raise ValueError(f"step must be from 0 to {len(order)} in the lecture view (the "
                             f"number of gradients on the board), got {step}")
        return BoardFrame(grads=frozenset(order[:step]),
                          current=(order[step - 1],) if step else ())

    def grad_known(self, node_id, frame: BoardFrame | None) -> bool:
        return frame is None or frame.grads is None or node_id in frame.grads

    def value_known(self, node_id, frame: BoardFrame | None) -> bool:
        return (frame is None or frame.values is None or node_id in frame.values
                or self.nodes[node_id].op is None)

    def grad_text(self, node_id, precision: int, known: bool = True) -> str:
        """``dz = a(1−a)·da = a − y = −0.4502`` (or ``dz = ?`` before it is known)."""
        sym = self.symbol(node_id)
        if not known:
            return f"d{sym} = ?"
        formula = self.grad_formula(node_id)
        text = f"d{sym}"
        if formula and formula != text:
            text += f" = {formula}"
        grad = self.grad_value(node_id)
        if grad is not None:
            text += f" = {_fmt(grad, precision)}"
        return text

    def value_text(self, node_id, precision: int) -> str:
        text, _ = self.expression(node_id)
        sym = self.symbol(node_id)
        value = _fmt(self.nodes[node_id].value, precision)
        return f"{text} = {value}" if text.startswith(f"{sym}(") else f"{sym} = {text} = {value}"

    def update(self, node_id, lr: float):
        """The new value of a parameter after ``w := w − α·dw``, or None without a gradient."""
        n = self.nodes[node_id]
        if n.grad is None:
            return None
        return n.value - lr * n.grad

    def update_text(self, node_id, lr: float, precision: int) -> str:
        """``w1 := w1 − α·dw1 = 0.5 − 0.1·(−0.4502) = 0.545``."""
        n = self.nodes[node_id]
        sym = self.symbol(node_id)
        new = self.update(node_id, lr)
        if new is None:
            return f"{sym} := {sym} − α·d{sym} (no gradient reached {sym})"
        grad = _fmt(n.grad, precision)
        if grad.startswith("−"):
            grad = f"({grad})"
        return (f"{sym} := {sym} − α·d{sym} = {_fmt(n.value, precision)} − "
                f"{_fmt(lr, precision)}·{grad} = {_fmt(new, precision)}")

    # ---------------------------------------------------------------- drawing
    def node_line(self, node_id, opts: Options, frame: BoardFrame | None = None) -> str:
        n = self.nodes[node_id]
        p = opts.precision
        sym = self.symbol(node_id)
        rows = []
        if n.op is None:
            # A no-break space: SVG viewers drop a plain space after the bold run.
            changed = " (changed after the forward pass)" if n.changed else ""
            rows.append(f"<B>{html(sym)}</B>\u00a0= {html(_fmt(n.value, p) + changed)}")
        else:
            text, _ = self.expression(node_id)
            if len(text) > MAX_FORMULA:
                text = text[: MAX_FORMULA - 1] + "…"
            head = text if text.startswith(f"{sym}(") or n.kind == OUTPUT and not n.name else (
                f"{sym} = {text}")
            rows.append(f"<B>{html(head)}</B>")
            for _, input_name, value in ([] if infix_symbol(n.op) else n.constants):
                rows.append(html(f"{input_name} = {_fmt(value, p)}"))
            if opts.values:
                value = _fmt(n.value, p) if self.value_known(node_id, frame) else "?"
                rows.append(html(f"{sym} = {value}"))
        pending = frame is not None and frame.pending and not self.graph.backward_done
        if opts.grads and n.kind != OUTPUT and n.requires_grad and (
                self.graph.backward_done or pending):
            text = self.grad_text(node_id, p, self.grad_known(node_id, frame) and not pending)
            if self.graph.stale and not text.endswith("?"):
                text += " (stale)"
            for line in _split_long(text):
                rows.append(f'<FONT COLOR="{GRAD_COLOR}">{html(line)}</FONT>')
        if frame is not None and frame.lr is not None and n.kind == PARAMETER:
            rule, _, numbers = self.update_text(node_id, frame.lr, p).partition(" = ")
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


def _in_names(text: str, names: dict) -> str:
    """``text`` with each of the op's input names replaced by this graph's operand."""
    return _WORD.sub(lambda m: names.get(m.group(), m.group()), text)


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
        c = _fmt(value, 3)
        if n.op == "add" or (n.op == "sub" and position == 1):
            return inner
        if n.op == "sub":
            return _neg(inner)
        if n.op == "mul":
            return _product(c, inner)
        return _product(inner, f"1/{c}") if position == 1 else None
    if sources.count(wrt) == 1:
        return _registry_rule(board, node_id, wrt)
    return None


_RULE = re.compile(r"∂(.+)/∂([A-Za-z_][A-Za-z0-9_]*)")


def _registry_rule(board: _Board, node_id, wrt) -> str | None:
    """The op's registered derivative for input ``wrt``, rewritten in this graph's names.

    The registry writes ``∂a/∂z = a(1−a)`` in the op's own names (its output, its inputs);
    on the board the letters become the tensors' names: ``∂p/∂u = p(1−p)`` for ``p = σ(u)``.
    """
    name = board.input_name(node_id, wrt)
    if name is None:
        return None
    for part in (board.nodes[node_id].formula or "").split(", "):
        lhs, _, rhs = part.partition(" = ")
        found = _RULE.fullmatch(lhs.strip())
        if not found or found.group(2) != name or not rhs.strip():
            continue
        names = board._name_map(node_id)
        if _WORD.fullmatch(found.group(1)) and found.group(1) not in names:
            names[found.group(1)] = board.symbol(node_id)
        return _in_names(rhs.strip(), names)
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


def _fmt(value, precision: int = 4) -> str:
    return format_array(value, precision, small=BOARD_ARRAY)
