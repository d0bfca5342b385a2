"""The lecture's board as data: its boxes, the formula of each, and the arithmetic of each step.

Only named tensors, leaves and the output get a box; unnamed ops between them are folded
into a box's formula. Every formula is an expression tree (:mod:`tinygrad_lr.formulas`):
forward formulas from the graph's ops, gradient formulas from each op's registered
``derivatives`` with the graph's names substituted for the op's own. The same tree is
written with names (``dw2 = x2·dz``) and with numbers (``2·(−0.4502)``), and evaluates to
the engine's number.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..formulas import Binary, Call, Expr, Name, Number, group, is_number, negate, plus, times
from ..registry import get_op
from .graph import INPUT, OUTPUT, PARAMETER, walk
from .labels import format_array
from .options import Options

LARGEST = 500  # the board's formulas are built recursively: keep them well inside the stack
BOARD_ARRAY = 12  # a board writes arrays of up to this many numbers in full (X of 4×2)
MAX_ARITHMETIC = 110  # characters of substituted arithmetic a caption shows in full
_INFIX = {"add": "+", "sub": "−", "mul": "·", "div": "/", "pow": "^"}


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
    compact: bool = False  # for a projected page: short rows, grids, the update in place


@dataclass(frozen=True)
class Step:
    """One step of the board as text: ``dz = a(1−a)·da = a − y = 0.5498 − 1 = −0.4502``.

    ``formulas`` are the step's forms in names (the chain rule, then its simplification),
    ``arithmetic`` the last form with every number substituted (None when it would only
    repeat the result), ``result`` the engine's number as written, ``expression`` the tree
    behind ``arithmetic`` and ``value`` the engine's number itself.
    """

    name: str
    formulas: tuple
    arithmetic: str | None
    result: str
    expression: Expr | None = None
    value: object = None

    def text(self, arithmetic: bool = True) -> str:
        """The whole line; without ``arithmetic``, the names' formula and the result."""
        parts = [self.name, *self.formulas]
        if arithmetic and self.arithmetic:
            parts.append(self.arithmetic)
        return " = ".join([*parts, self.result])

    def question(self) -> str:
        """The line to predict: formulas and arithmetic, the result as ``?``."""
        return " = ".join([self.name, *self.formulas,
                           *([self.arithmetic] if self.arithmetic else []), "?"])


def make_board(outputs, opts: Options) -> Board:
    """The board of the graph behind ``outputs`` (refusing graphs too big for a board)."""
    graph = walk(outputs)
    limit = min(opts.max_nodes or LARGEST, LARGEST)
    if len(graph.nodes) > limit:
        raise ValueError(
            f"the lecture view is for small graphs (at most {limit} tensors, see max_nodes); "
            f"this one has {len(graph.nodes):,}: use view='forward' or 'backward', which "
            "collapse large graphs"
        )
    return Board(graph)


def fmt(value, precision: int = 4) -> str:
    """A number or small array as the board writes it."""
    return format_array(value, precision, small=BOARD_ARRAY)


def written(value, precision: int = 4) -> str:
    """A number as a caption writes it: a column vector as a transposed row (``[1, 2]ᵀ``),
    which reads better in a line of text than ``[[1], [2]]``."""
    array = np.asarray(value)
    if array.ndim == 2 and array.shape[1] == 1 and array.shape[0] > 1:
        return fmt(array[:, 0], precision) + "ᵀ"
    return fmt(value, precision)


class Board:
    """Boxes (named tensors, leaves and the output), their formulas and the edges between.

    >>> from tinygrad_lr import viz
    >>> board = Board(viz.walk(viz.lecture_example()["L"]))
    >>> [board.symbol(b) for b in board.backward_boxes()]
    ['a', 'z', 'w1', 'w2', 'b']
    >>> board.grad_step(board.backward_boxes()[3]).text()
    'dw2 = x2·dz = 2·(−0.4502) = −0.9003'
    """

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
            if self.nodes[b].op is None:
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

    def grad_value(self, node_id) -> np.ndarray | None:
        """The number a box's gradient row shows (the lecture's dZ is m·∂J/∂Z)."""
        grad = self.nodes[node_id].grad
        if grad is None or not self.per_example(node_id):
            return grad
        return grad * self.batch[3]

    def loss_symbol(self) -> str:
        """The output's name on the board (``L`` for one example, ``J`` for m)."""
        return self.symbol(self.graph.outputs[0])

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

    def _one_over_m(self) -> Expr:
        return group(Number(1) / Name("m", self.batch[3], data=True))

    def _vector_term(self, node_id) -> Expr | None:
        """``(1/m)·Xᵀ·dZ``, ``(1/m)·X·dZᵀ`` or ``(1/m)·Σ dZ``: what Z sends to a parameter."""
        z = self.batch[2]
        dz = self.grad_name(z)
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
                return times(self._one_over_m(), Call("Σ", (dz,), np.sum, "prefix", fold=True))
            return times(self._one_over_m(), dz)
        if last_node.op != "matmul" or len(self.sources[last]) != 2:
            return None
        left, right = self.sources[last]
        if not transposed and right == node_id and left != node_id:
            product = Binary("@·", _transposed(self.expression(left, top=False)), dz)
            return times(self._one_over_m(), product)
        if (transposed and self.sources[left] == [node_id] and right != node_id
                and not self.nodes[left].params.get("axes")):
            product = Binary("@·", self.expression(right, top=False), _transposed(dz))
            return times(self._one_over_m(), product)
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
        """The name a box goes by on the board."""
        n = self.nodes[node_id]
        if n.name:
            return n.name
        if n.kind == OUTPUT:
            return "out"
        return fmt(n.value, 3) if n.value.size <= 1 else f"c{node_id[1:]}"

    def leaf(self, node_id) -> Expr:
        """A box (or an unnamed number) as it appears inside other formulas."""
        n = self.nodes[node_id]
        if not n.name and n.op is None and n.value.size <= 1 and n.kind != OUTPUT:
            return Number(n.value.reshape(()).item())
        return Name(self.symbol(node_id), n.value, data=n.kind == INPUT)

    def grad_name(self, node_id) -> Name:
        """``dz`` with its number (what the box's gradient row shows)."""
        return Name(f"d{self.symbol(node_id)}", self.grad_value(node_id))

    def expression(self, node_id, top=True) -> Expr:
        """The formula computing ``node_id`` from boxes and numbers."""
        n = self.nodes[node_id]
        if not top and (node_id in self.consumers or n.op is None):
            return self.leaf(node_id)
        operands = self._operand_exprs(node_id)
        if n.op in _INFIX and len(operands) == 2:
            return Binary(_INFIX[n.op], *operands)
        if n.op == "neg":
            return negate(operands[0])
        if n.op == "matmul" and len(operands) == 2:
            return Binary("@", *operands)
        if n.op == "transpose" and len(operands) == 1 and not n.params.get("axes"):
            return _transposed(operands[0])
        function = _forward(n)
        if self.batch is not None and node_id == self.batch[0]:
            losses = Call("L", tuple(operands[:2]), _forward(n, reduction="none"))
            return times(self._one_over_m(), Call("Σ", (losses,), np.sum, "prefix", fold=True))
        label = (n.label or n.op).partition("(")[0]
        return Call(label, tuple(operands), function)

    def _operand_exprs(self, node_id) -> list:
        n = self.nodes[node_id]
        tensor_sources = iter(self.sources[node_id])
        positions = {p: value for p, _, value in n.constants}
        return [Number(positions[p]) if p in positions else
                self.expression(next(tensor_sources), top=False)
                for p in range(len(n.input_names) or len(self.sources[node_id]))]

    def partial(self, node_id, wrt, top=False) -> Expr | None:
        """∂node/∂wrt through the unnamed ops of ``node_id``'s formula, from each op's
        registered derivatives (None where an op has none)."""
        if node_id == wrt and not top:
            return Number(1)
        n = self.nodes[node_id]
        if not top and (node_id in self.consumers or n.op is None):
            return Number(0)
        rule = n.derivatives
        constants = {p for p, _, _ in n.constants}
        names = n.input_names or tuple(f"x{i}" for i in range(len(self.sources[node_id])))
        positions = [p for p in range(len(names)) if p not in constants]
        if len(positions) != len(self.sources[node_id]):
            return None
        mapping = None
        total = Number(0)
        for position, source in zip(positions, self.sources[node_id]):
            inner = self.partial(source, wrt)
            if inner is None:
                return None
            if is_number(inner, 0):
                continue
            local = rule.partial(names[position]) if rule is not None else None
            if local is None:
                return None
            if mapping is None:
                mapping = dict(zip(names, self._operand_exprs(node_id)))
                if rule.output_name and rule.output_name not in mapping:
                    mapping[rule.output_name] = (self.leaf(node_id) if node_id in self.consumers
                                                 else self.expression(node_id))
            total = plus(total, times(local.substitute(mapping), inner))
        return total

    def term(self, consumer, node_id) -> Expr | None:
        """What ``consumer`` sends back to ``node_id``: ``x1·dz`` (None when it is zero)."""
        if self.batch is not None and consumer == self.batch[2]:
            vector = self._vector_term(node_id)
            if vector is not None:
                return vector
        local = self.partial(consumer, node_id, top=True)
        if local is None:
            local = Name(f"∂{self.symbol(consumer)}/∂{self.symbol(node_id)}")
        if is_number(local, 0):
            return None
        if self.nodes[consumer].kind == OUTPUT:
            return local
        return times(local, self.grad_name(consumer))

    def grad_formulas(self, node_id) -> list:
        """The forms of ``d<box>``: the chain rule through every consumer, then for σ feeding
        the cross-entropy the lecture's ``a − y``."""
        terms = [t for t in (self.term(c, node_id) for c in self.consumers[node_id]) if t]
        if not terms:
            return []
        chain = terms[0]
        for t in terms[1:]:
            chain = plus(chain, t)
        simpler = self._sigmoid_into_loss(node_id)
        return [chain] + ([simpler] if simpler is not None else [])

    def _sigmoid_into_loss(self, node_id) -> Expr | None:
        """σ feeding binary cross-entropy: the board's ``dz = a − y``."""
        consumers = self.consumers[node_id]
        if len(consumers) != 1:
            return None
        a = self.nodes[consumers[0]]
        if a.op != "sigmoid" or len(self.consumers[a.id]) != 1 or self.sources[a.id] != [node_id]:
            return None  # only z of a = σ(z) itself: σ(3w) gives dw = 3(a − y), not a − y
        loss = self.nodes[self.consumers[a.id][0]]
        if loss.op != "binary_cross_entropy" or loss.kind != OUTPUT:
            return None
        if a.value.size != 1 and (self.batch is None or self.batch[1] != a.id):
            return None
        return self.leaf(a.id) - self._operand_exprs(loss.id)[1]

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
        """True when ``frame`` shows the gradient of ``node_id``."""
        return frame is None or frame.grads is None or node_id in frame.grads

    def value_known(self, node_id, frame: BoardFrame | None) -> bool:
        """True when ``frame`` shows the value of ``node_id``."""
        return (frame is None or frame.values is None or node_id in frame.values
                or self.nodes[node_id].op is None)

    def _step(self, name: str, forms: list, value, precision: int) -> Step:
        texts = [f.text(fmt=lambda v: fmt(v, 3)) for f in forms]
        if value is None:  # no gradient kept here (cleared, or backward did not reach it)
            texts = [t for i, t in enumerate(texts) if t != name and t not in texts[:i]]
            return Step(name, tuple(texts), None, "?")
        result = written(value, precision)
        texts = [t for i, t in enumerate(texts)
                 if t not in (name, result) and t not in texts[:i]]
        arithmetic, expression = None, None
        if forms and _all_known(forms[-1]):
            expression = forms[-1]
            numbers = expression.text(numbers=True, fmt=lambda v: written(v, precision))
            if numbers not in (result, *texts) and len(numbers) <= MAX_ARITHMETIC:
                arithmetic = numbers
        return Step(name, tuple(texts), arithmetic, result, expression, value)

    def value_step(self, node_id, precision: int = 4) -> Step:
        """``z = w1·x1 + w2·x2 + b = 0.5·1 + (−0.2)·2 + 0.1 = 0.2``."""
        return self._step(self.symbol(node_id), [self.expression(node_id)],
                          self.nodes[node_id].value, precision)

    def grad_step(self, node_id, precision: int = 4) -> Step:
        """``dw2 = x2·dz = 2·(−0.4502) = −0.9003``."""
        return self._step(f"d{self.symbol(node_id)}", self.grad_formulas(node_id),
                          self.grad_value(node_id), precision)

    def expression_text(self, node_id) -> str:
        """The formula of ``node_id`` in the boxes' names (``w1·x1``)."""
        return self.expression(node_id).text(fmt=lambda v: fmt(v, 3))

    def grad_text(self, node_id, precision: int, known: bool = True) -> str:
        """``dz = a(1−a)·da = a − y = −0.4502`` (or ``dz = ?`` before it is known)."""
        if not known:
            return f"d{self.symbol(node_id)} = ?"
        step = self.grad_step(node_id, precision)
        if self.grad_value(node_id) is None:
            return " = ".join([step.name, *step.formulas])
        return step.text(arithmetic=False)

    def update(self, node_id, lr: float) -> np.ndarray | None:
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
        rule = Name(sym, n.value) - Name("α", lr) * Name(f"d{sym}", n.grad)
        numbers = rule.text(numbers=True, fmt=lambda v: written(v, precision))
        return f"{sym} := {rule.text()} = {numbers} = {written(new, precision)}"


def _all_known(expr: Expr) -> bool:
    """True when every name in ``expr`` has its number (an op without a registered rule
    leaves ``∂c/∂w``, which has none: then the step shows no arithmetic)."""
    if isinstance(expr, Name):
        return expr.value is not None
    return all(_all_known(child) for child in expr.children())


def _transposed(expr: Expr) -> Expr:
    return Call("ᵀ", (expr,), _swap_last, "postfix")


def _swap_last(value):
    value = np.asarray(value)
    return value if value.ndim < 2 else np.swapaxes(value, -1, -2)


def _forward(node, **override):
    """The op's forward on numbers, for evaluating a formula that calls it."""
    try:
        op = get_op(node.op)
    except (KeyError, ValueError):
        return None
    params = {**node.params, **override}

    def run(*args):
        return np.asarray(op.forward(*args, **params))

    return run
