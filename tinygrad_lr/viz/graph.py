"""Walk the graph behind a tensor into plain data: nodes and edges, inputs before consumers.

Nothing here draws anything. The walk is a loop over an explicit stack (any depth works),
and the result holds only numbers, strings and numpy arrays, so every picture (DOT, the
lecture view, step-through frames, collapsed large graphs) is built from the same data.

Gradients are read with care, because a picture must never show a stale one:

* nothing is shown until a backward pass has gone through the drawn output;
* a node shows ``.grad`` only if that backward visited it;
* edge gradients are trusted only on nodes whose ``.grad`` was kept (``retain_grads``);
* a leaf whose value changed after the forward pass (an optimizer step) is marked, and so
  is every gradient beside it: they belong to the old value.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field

import numpy as np

from ..tensor import Tensor

#: Node kinds, each drawn in its own style.
PARAMETER = "parameter"  # a leaf that requires grad (a weight)
INPUT = "input"  # a leaf that does not (data, targets, constants)
OP = "op"  # an intermediate result
OUTPUT = "output"  # what was drawn
GROUP = "group"  # several nodes collapsed into one

_INFIX = {"add": "+", "sub": "−", "mul": "×", "div": "÷", "pow": "^"}


@dataclass
class Node:
    """One tensor of the graph (or, after collapsing, a group of them).

    >>> import tinygrad_lr as tg
    >>> from tinygrad_lr.viz import walk
    >>> x = tg.Tensor(3.0, requires_grad=True, name="x")
    >>> first, last = walk(x.sigmoid()).nodes
    >>> (first.kind, first.name), (last.kind, last.op, last.formula)
    (('parameter', 'x'), ('output', 'sigmoid', '∂a/∂z = a(1−a)'))
    """

    id: str
    kind: str
    name: str | None = None
    op: str | None = None
    label: str | None = None
    formula: str | None = None
    derivatives: object = None  # the op's formulas.Derivatives: its rule as data
    params: dict = field(default_factory=dict)
    constants: tuple = ()  # (input position, input name, number) for numbers used inline
    input_names: tuple = ()  # the op's names for its inputs, e.g. ("a", "y")
    shape: tuple = ()
    dtype: str = ""
    value: np.ndarray | None = None
    grad: np.ndarray | None = None
    visit_order: int | None = None
    requires_grad: bool = False
    changed: bool = False  # a leaf whose value changed after the forward pass read it
    members: int = 1  # how many tensors this node stands for
    summary: str | None = None  # for groups: what was collapsed
    scope: str | None = None
    signature: tuple | None = None  # for groups: what makes two boxes "the same"

    @property
    def is_leaf(self) -> bool:
        """True for parameters and inputs."""
        return self.kind in (PARAMETER, INPUT)


@dataclass
class Edge:
    """One use of ``source`` as input ``position`` of ``target`` (``x*x`` gives two edges).

    >>> import tinygrad_lr as tg
    >>> from tinygrad_lr.viz import walk
    >>> x = tg.Tensor(3.0, requires_grad=True, name="x")
    >>> y = x * x
    >>> y.backward(retain_grads=True)
    >>> [(e.source, e.target, e.position, float(e.grad)) for e in walk(y).edges]
    [('n0', 'n1', 0, 3.0), ('n0', 'n1', 1, 3.0)]
    """

    source: str
    target: str
    position: int
    grad: np.ndarray | None = None  # what backward sent along this edge, when retained
    count: int = 1  # after collapsing: how many original edges this one stands for


@dataclass
class Graph:
    """Nodes (inputs before consumers) and edges of the graph behind ``outputs``.

    Made by :func:`walk`; ``len(graph)`` counts the nodes, ``graph.node(id)`` finds one.

    >>> import tinygrad_lr as tg
    >>> from tinygrad_lr.viz import walk
    >>> x = tg.Tensor(3.0, requires_grad=True, name="x")
    >>> graph = walk((x * 2.0).sigmoid())
    >>> len(graph), graph.outputs, graph.node("n0").name, graph.backward_done
    (3, ('n2',), 'x', False)
    """

    nodes: list[Node]
    edges: list[Edge]
    outputs: tuple[str, ...]
    backward_done: bool  # a backward pass went through an output
    grads_retained: bool  # intermediate nodes kept .grad (backward(retain_grads=True))
    notes: list[str] = field(default_factory=list)
    tensors: dict = field(default_factory=dict, repr=False)  # node id -> Tensor (not drawn)

    @property
    def stale(self) -> bool:
        """True when a leaf changed after the forward pass: values and gradients are old."""
        return any(n.changed for n in self.nodes)

    def node(self, node_id: str) -> Node:
        """The node with this id."""
        return self._index()[node_id]

    def _index(self) -> dict:
        cached = self.__dict__.get("_by_id")
        if cached is None or len(cached) != len(self.nodes):
            cached = self.__dict__["_by_id"] = {n.id: n for n in self.nodes}
        return cached

    def __len__(self) -> int:
        return len(self.nodes)


def walk(outputs) -> Graph:
    """Return the graph behind ``outputs`` (a Tensor or a sequence of Tensors) as plain data.

    >>> import tinygrad_lr as tg
    >>> from tinygrad_lr.viz.graph import walk
    >>> x = tg.Tensor(3.0, requires_grad=True, name="x")
    >>> g = walk(x * x)
    >>> [n.kind for n in g.nodes], len(g.edges)
    (['parameter', 'output'], 2)
    """
    roots = _as_roots(outputs)
    order = _post_order(roots)
    backward_done = any(r.visit_order is not None for r in roots)
    ids = {id(t): f"n{i}" for i, t in enumerate(order)}
    root_ids = {id(r) for r in roots}
    nodes, edges = [], []
    grads_retained = True
    for t in order:
        node = _node(t, ids[id(t)], id(t) in root_ids, backward_done)
        if (backward_done and t.op is not None and t.visit_order is not None
                and t.grad is None):
            grads_retained = False
        nodes.append(node)
        trusted_edges = t.edge_grads if (node.grad is not None and t.op is not None) else None
        for position, parent in enumerate(t.inputs):
            if not isinstance(parent, Tensor):
                continue
            sent = trusted_edges[position] if trusted_edges else None
            edges.append(Edge(ids[id(parent)], node.id, position,
                              None if sent is None else np.asarray(sent.data)))
    graph = Graph(nodes, edges, tuple(ids[id(r)] for r in roots), backward_done,
                  grads_retained and backward_done)
    graph.tensors = {ids[id(t)]: t for t in order}
    changed = _changed_leaves(order)
    if changed:
        by_id = {n.id: n for n in nodes}
        names = []
        for t in changed:
            by_id[ids[id(t)]].changed = True
            names.append(t.name or "a leaf")
        graph.notes.append(
            f"{', '.join(names)} changed after this graph's forward pass (an optimizer step?): "
            "the values computed from them and every gradient shown (marked stale) belong to "
            "the old values. Run the forward pass again to draw the new ones.")
    return graph


def _changed_leaves(order) -> list:
    """Leaves whose value is no longer the one their consumers were computed from.

    Each op that reads a leaf is run again on the leaf's current value (one op per leaf
    use, nothing recorded); a different result means the leaf was changed in place or
    reassigned (``p.data = ...``, as an optimizer step does) after the forward pass.
    """
    changed, seen = [], set()
    for t in order:
        if t.op is None or not any(isinstance(i, Tensor) and i.op is None for i in t.inputs):
            continue
        arrays = [i.data if isinstance(i, Tensor) else i for i in t.inputs]
        try:
            with np.errstate(all="ignore"):
                again = np.asarray(t.op.forward(*arrays, **t.params))
        except Exception:  # an op that cannot be re-run here: nothing to say
            continue
        if again.shape == t.data.shape and np.array_equal(again, t.data, equal_nan=True):
            continue
        leaves = [i for i in t.inputs if isinstance(i, Tensor) and i.op is None]
        # Which leaf changed cannot be known from the result alone: the parameters (what an
        # optimizer updates) are named when the op reads one, else every leaf it reads.
        suspects = [leaf for leaf in leaves if leaf.requires_grad] or leaves
        for leaf in suspects:
            if id(leaf) not in seen:
                seen.add(id(leaf))
                changed.append(leaf)
    return changed


def _as_roots(outputs) -> list:
    if isinstance(outputs, Tensor):
        return [outputs]
    try:
        roots = list(outputs)
    except TypeError:
        raise TypeError(
            f"can only draw a Tensor or a sequence of Tensors, got {type(outputs).__name__}"
        ) from None
    if not roots:
        raise ValueError("nothing to draw: the sequence of outputs is empty")
    for position, r in enumerate(roots):
        if not isinstance(r, Tensor):
            raise TypeError(
                f"can only draw Tensors, but output {position} is a {type(r).__name__}"
            )
    return roots


def _post_order(roots) -> list:
    """Every tensor reachable from ``roots``, each after all of its inputs (iterative DFS)."""
    order, seen = [], set()
    stack = [(t, False) for t in reversed(roots)]
    while stack:
        t, inputs_done = stack.pop()
        if inputs_done:
            order.append(t)
            continue
        if id(t) in seen:
            continue
        seen.add(id(t))
        stack.append((t, True))
        # Reversed, so the first input is walked (and numbered) first.
        for parent in reversed(t.inputs):
            if isinstance(parent, Tensor) and id(parent) not in seen:
                stack.append((parent, False))
    return order


def _node(t: Tensor, node_id: str, is_output: bool, backward_done: bool) -> Node:
    if is_output:
        kind = OUTPUT
    elif t.op is None:
        kind = PARAMETER if t.requires_grad else INPUT
    else:
        kind = OP
    visited = backward_done and t.visit_order is not None
    grad = np.asarray(t.grad.data) if (visited and t.grad is not None) else None
    node = Node(
        id=node_id, kind=kind, name=t.name, shape=tuple(t.shape), dtype=str(t.dtype),
        value=t.data, grad=grad, visit_order=t.visit_order if visited else None,
        requires_grad=t.requires_grad, scope=_scope_of(t.name),
    )
    if t.op is not None:
        node.op = t.op.name
        node.label = t.op.label
        node.formula = t.op.formula
        node.derivatives = getattr(t.op, "derivatives", None)
        node.params = dict(t.params)
        node.input_names = input_names(t.op, len(t.inputs))
        node.constants = tuple(
            (position, node.input_names[position], value)
            for position, value in enumerate(t.inputs) if not isinstance(value, Tensor)
        )
    return node


def _scope_of(name: str | None) -> str | None:
    """``"fc1.weight"`` is in scope ``"fc1"``; ``"encoder.0.bias"`` in ``"encoder.0"``."""
    if name and "." in name:
        return name.rsplit(".", 1)[0]
    return None


_INPUT_NAMES: dict = {}


def input_names(op, count: int) -> tuple:
    """The names an op's ``forward`` gives its inputs (``("a", "y")``), padded for variadic ops.

    A forward that is a numpy ufunc (``np.multiply``) has only numpy's names: the rule's are
    used, ``backward(grad, out, a, b)``.
    """
    names = _INPUT_NAMES.get(op.name)
    if names is None:
        ufunc = isinstance(op.forward, np.ufunc)
        named_by, skipped = (op.backward, 2) if ufunc else (op.forward, 0)
        try:
            params = list(inspect.signature(named_by).parameters.values())[skipped:]
            names = tuple(p.name for p in params
                          if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD))
        except (TypeError, ValueError):
            names = ()
        _INPUT_NAMES[op.name] = names
    if len(names) < count:
        names = names + tuple(f"x{i}" for i in range(len(names), count))
    return names[:count]


def infix_symbol(op_name: str | None) -> str | None:
    """The operator symbol of a binary arithmetic op (``"mul"`` -> ``"×"``), else None."""
    return _INFIX.get(op_name)
