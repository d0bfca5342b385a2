"""The backward pass: walk the graph from the output to the leaves in topological order.

Every gradient is accumulated in one place (``_propagate``) and broadcasting is undone in
one place (``sum_to_shape``, in :mod:`tinygrad_lr.broadcasting`). The walk is a loop over
an explicit stack, so a graph of any depth works without touching Python's recursion limit.
"""

from __future__ import annotations

import numpy as np

from . import grad_mode
from .broadcasting import leading_axes, sum_to_shape
from .gc_pause import collector_paused
from .registry import check_finite, get_op
from .tensor import Tensor, hooks, wrap

_NDARRAY = np.ndarray

_SECOND_BACKWARD = (
    "tried to run backward through the graph of op '{op}' a second time, but its buffers "
    "were released after the first backward; pass retain_graph=True to the first call "
    "(backward(retain_graph=True)) if you need to go through the graph twice"
)


def backward(output: Tensor, grad=None, retain_graph: bool = False, create_graph: bool = False,
             retain_grads: bool = False) -> None:
    """Accumulate d(output)/d(leaf) into ``leaf.grad`` for every leaf that requires grad.

    Same as ``output.backward(...)``; see :meth:`Tensor.backward`.

    >>> import tinygrad_lr as tg
    >>> x = tg.Tensor(2.0, requires_grad=True)
    >>> tg.backward(x * x)
    >>> x.grad
    Tensor(4.)
    """
    if not isinstance(output, Tensor):
        raise TypeError(f"backward() needs a Tensor, got {type(output).__name__}")
    if not output.requires_grad:
        raise RuntimeError(
            "backward() was called on a tensor that does not require grad: none of its "
            "inputs had requires_grad=True (or it was computed under no_grad())"
        )
    with collector_paused():  # from the first allocation: after a loop of ops it may be due
        seed = _seed_gradient(output, grad, "backward()", "grad")
        _propagate([output], [seed], targets=None, retain_graph=retain_graph or create_graph,
                   create_graph=create_graph, retain_grads=retain_grads)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph: bool = False,
         allow_unused: bool = False) -> tuple:
    """Return the gradients of ``outputs`` with respect to ``inputs`` without touching ``.grad``.

    Args:
        outputs: a tensor or a sequence of tensors.
        inputs: a tensor or a sequence of tensors (leaves or intermediate tensors).
        grad_outputs: gradients of ``outputs`` to start from (default: ones, for
            single-element outputs).
        retain_graph: keep the graph for another pass (default: ``create_graph``).
        create_graph: record the computation, so the result can be differentiated again.
        allow_unused: return ``None`` for an input the outputs do not depend on, instead
            of raising.

    >>> import tinygrad_lr as tg
    >>> x = tg.Tensor(3.0, requires_grad=True)
    >>> (dx,) = tg.grad(x ** 3, x, create_graph=True)
    >>> dx, tg.grad(dx, x)[0]
    (Tensor(27., op=mul), Tensor(18.))
    """
    outputs = _as_tuple(outputs, "outputs")
    inputs = _as_tuple(inputs, "inputs")
    for position, t in enumerate(inputs):
        if not t.requires_grad:
            raise RuntimeError(f"grad(): input {position} does not require grad")
    for position, t in enumerate(outputs):
        if not t.requires_grad:
            raise RuntimeError(
                f"grad(): output {position} does not require grad (it does not depend on any "
                "tensor with requires_grad=True)"
            )
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    else:
        grad_outputs = (grad_outputs,) if not isinstance(grad_outputs, (list, tuple)) else tuple(
            grad_outputs)
        if len(grad_outputs) != len(outputs):
            raise ValueError(
                f"grad(): got {len(grad_outputs)} grad_outputs for {len(outputs)} outputs"
            )
    if retain_graph is None:
        retain_graph = create_graph
    with collector_paused():  # from the first allocation: after a loop of ops it may be due
        seeds = [_seed_gradient(o, g, "grad()", "grad_outputs")
                 for o, g in zip(outputs, grad_outputs)]
        found = _propagate(list(outputs), seeds, targets=inputs, retain_graph=retain_graph,
                           create_graph=create_graph, retain_grads=False)
    result = []
    for position, t in enumerate(inputs):
        g = found.get(t)
        if g is None and not allow_unused:
            raise RuntimeError(
                f"grad(): input {position} is not used by the outputs; pass allow_unused=True "
                "to get None for it"
            )
        result.append(g)
    return tuple(result)


def topological_order(outputs) -> list[Tensor]:
    """Tensors that require grad and lead to ``outputs``, each after every tensor made from it.

    Leaves come first and ``outputs`` last; backward walks this list from the end.

    >>> import tinygrad_lr as tg
    >>> x = tg.Tensor(1.0, requires_grad=True, name="x")
    >>> y = (x * 2).exp()
    >>> [t.name or t.op.name for t in topological_order([y])]
    ['x', 'mul', 'exp']
    """
    # Tensors hash by identity, so they serve as their own keys here and in _propagate.
    # A tensor is pushed once to expand it (its state becomes False), then again as the
    # marker that its inputs are done: popped with state False, it joins the order (True).
    # In a graph without cycles, a tensor popped with state True is a repeated push. (One
    # dict of states does the work of a visited set and a done set: a lookup less per node.)
    order: list[Tensor] = []
    state: dict[Tensor, bool] = {}
    # A tensor with nothing left to expand (a leaf, or inputs all seen) would be popped
    # again at once as its own marker: it joins the order straight away (the same order;
    # about 0.4 µs less per leaf).
    stack = list(outputs)
    push = stack.append
    pop = stack.pop
    while stack:
        t = pop()
        done = state.get(t)
        if done is None:
            height = len(stack)
            push(t)
            for parent in t._inputs:
                if (parent.__class__ is Tensor or isinstance(parent, Tensor)) and \
                        parent._requires_grad and parent not in state:
                    push(parent)
            if len(stack) == height + 1:
                pop()
                state[t] = True
                order.append(t)
            else:
                state[t] = False
        elif not done:
            state[t] = True
            order.append(t)
    return order


def _propagate(outputs, seeds, targets, retain_graph, create_graph, retain_grads) -> dict:
    """The backward loop. With ``targets`` it returns their gradients; otherwise it
    accumulates into the ``.grad`` of leaves."""
    order = topological_order(outputs)
    linked = create_graph or bool(grad_mode.threads_tracing and grad_mode.state.tracing)
    if targets is None and not linked and not retain_grads and not grad_mode.state.anomaly:
        modes = grad_mode.state
        if not modes.enabled:
            _lean_walk(order, outputs, seeds, retain_graph)
            return {}
        # set_grad_enabled(False), written out: its generator-based context manager costs
        # about 1 µs a backward (W2 eager: 0.5% of a step)
        modes.enabled = False
        try:
            _lean_walk(order, outputs, seeds, retain_graph)
        finally:
            modes.enabled = True
        return {}
    if targets is not None:
        order = _only_towards(order, targets)
        wanted = set(targets)
        # A target's own backward runs only if another target lies below it: grad(y, h)
        # must leave h's graph untouched for later use.
        on_the_way = set(order)
    pending: dict[Tensor, Tensor | np.ndarray] = {}  # gradients arriving at each tensor
    recording = create_graph
    # While the compiler traces, sums of gradients stay ops (as with create_graph), so
    # that the program recomputes them; the rules still record no gradient of their own.
    for out, seed in zip(outputs, seeds):
        _accumulate(pending, out, seed, linked)
    found: dict[Tensor, Tensor] = {}
    anomaly = grad_mode.state.anomaly
    visit = 0
    create_graph = linked
    with grad_mode.set_grad_enabled(recording):
        for t in reversed(order):
            g = pending.pop(t, None)
            if g is None:
                continue
            if not isinstance(g, Tensor):  # a sum of gradients, kept as an array until now
                g = wrap(g)
            t._visit = visit
            visit += 1
            if t._hooks:
                g = _run_hooks(t, g)
            if targets is not None:
                if t in wanted:
                    found[t] = g
                    if not any(p in on_the_way for p in t._inputs if isinstance(p, Tensor)):
                        continue
            elif t._op is None or t._retains_grad or retain_grads:
                _store_grad(t, g, create_graph)
            else:
                t.grad = None  # a gradient kept by an earlier pass would now be stale
            if t._op is None:
                continue
            _apply_backward(t, g, pending, retain_graph, create_graph, retain_grads, anomaly)
    return found


def _lean_walk(order, outputs, seeds, retain_graph: bool) -> None:
    """The walk of a plain ``backward()``: no targets, no ``create_graph``, no
    ``retain_grads``, no anomaly detection, not tracing (``_propagate`` runs the general walk
    for those). Same order, same rules, same sums and errors; what it leaves out is the
    per-node work only the rare cases need:

    - the switches are read once, before the loop, not per node or per edge;
    - the edge loop is inline (no ``_apply_backward``/``_accumulate`` call per node and
      edge), tests ``__class__ is Tensor`` before any ``isinstance``, and counts positions
      only when an error message needs one;
    - a gradient summed from three or more edges is added in place into the array the
      second edge made (the walk owns it; nothing else has seen it), not into a new one.

    Measured against the general walk in one process (docs/architecture.md, "The hot
    path"): W4 backward 2.81 → 2.38 µs per node, W3 tanh chain ×1.09, affine ×1.05.
    """
    pending: dict = {}
    for out, seed in zip(outputs, seeds):
        _accumulate(pending, out, seed, False)
    pop = pending.pop
    get = pending.get
    released = not retain_graph
    visit = 0
    for t in reversed(order):
        g = pop(t, None)
        if g is None:
            continue
        if g.__class__ is not Tensor and not isinstance(g, Tensor):
            g = wrap(g)  # a sum of gradients, kept as an array until now
        t._visit = visit
        visit += 1
        op = t._op
        if t._noted:  # a hook, retain_grad() or an earlier pass's edge gradients
            if t._hooks:
                g = _run_hooks(t, g)
            if op is not None:
                t._edge_grads = None  # kept by an earlier retain_grads pass: now stale
                if t._retains_grad:
                    _store_grad(t, g, False)
                else:
                    t.grad = None
        elif op is not None:
            t.grad = None  # a gradient kept by an earlier pass would now be stale
        if op is None:
            _store_grad(t, g, False)
            continue
        if t._released:
            raise RuntimeError(_SECOND_BACKWARD.format(op=op.name))
        inputs = t._inputs
        params = t._params
        try:
            grads = op.backward(g, t, *inputs, **params) if params else op.backward(g, t, *inputs)
        except FloatingPointError as error:
            raise _rule_error(t, error) from None
        if grads.__class__ is not tuple:
            grads = tuple(grads) if isinstance(grads, (tuple, list)) else (grads,)
        if len(grads) != len(inputs):
            _wrong_count(op, grads, inputs)
        for parent, pg in zip(inputs, grads):
            if parent.__class__ is not Tensor and not isinstance(parent, Tensor):
                continue  # a number or constant input
            if not parent._requires_grad:
                continue
            if pg.__class__ is not Tensor:
                if pg is None and parent.data.dtype.kind != "f":
                    continue  # see _apply_backward
                pg = _as_gradient(pg, op.name, _position(inputs, grads, parent, pg))
            data = pg.data
            shape = parent.data.shape
            if data.shape != shape:
                axes = leading_axes(data.shape, shape)
                if axes is None:
                    pg = sum_to_shape(pg, shape, op.name)
                else:  # sum_to_shape's one sum, as the sum op's dispatch for a checked axis
                    pg = get_op("sum")._run((pg,), (data,), {"axis": axes}, pg._requires_grad)
                data = pg.data
            previous = get(parent)
            if previous is None:
                pending[parent] = pg
            elif previous.__class__ is _NDARRAY and previous.dtype is data.dtype:
                previous += data  # the array the sum below made: the walk's own
            else:
                if isinstance(previous, Tensor):
                    previous = previous.data
                pending[parent] = previous + data
        t._released = released


def _position(inputs: tuple, grads: tuple, parent, pg) -> int:
    """The input position of the edge (``parent``, ``pg``), for an error message."""
    for position, (p, g) in enumerate(zip(inputs, grads)):
        if p is parent and g is pg:
            return position
    return -1


def _rule_error(t: Tensor, error: FloatingPointError) -> FloatingPointError:
    """A rule's FloatingPointError (detect_anomaly, np.seterr), naming the op and the line."""
    where = f" (tensor created at {t._trace})" if t._trace else ""
    return FloatingPointError(f"in the backward of op '{t._op.name}'{where}: {error}")


def _wrong_count(op, grads, inputs) -> None:
    raise ValueError(
        f"backward of op '{op.name}' returned {len(grads)} gradient(s) for "
        f"{len(inputs)} input(s)"
    )


def _run_hooks(t: Tensor, g: Tensor) -> Tensor:
    for hook in list(t._hooks):
        replaced = hook(g)
        if replaced is None:
            continue
        if not isinstance(replaced, Tensor):
            replaced = Tensor(np.asarray(replaced, dtype=g.dtype))
        if replaced.shape != g.shape:
            owner = repr(t.name) if t.name else (f"made by op '{t._op.name}'" if t._op
                                                  else "(a leaf)")
            raise ValueError(
                f"hook {getattr(hook, '__name__', hook)!r} on tensor {owner} changed the "
                f"gradient's shape from {g.shape} to {replaced.shape}; a hook must return a "
                "gradient of the same shape"
            )
        g = replaced
    return g


def _apply_backward(t, g, pending, retain_graph, create_graph, retain_grads, anomaly) -> None:
    op = t._op
    if t._released:
        raise RuntimeError(_SECOND_BACKWARD.format(op=op.name))
    inputs = t._inputs
    params = t._params
    try:
        # (an empty **params costs every node a dict; most ops have no settings)
        grads = op.backward(g, t, *inputs, **params) if params else op.backward(g, t, *inputs)
    except FloatingPointError as error:  # raised by detect_anomaly inside the rule
        raise _rule_error(t, error) from None
    if not isinstance(grads, (tuple, list)):
        grads = (grads,)
    if len(grads) != len(inputs):
        _wrong_count(op, grads, inputs)
    edges = [] if retain_grads else None
    if t._edge_grads is not None:
        t._edge_grads = None  # set again below only when this pass keeps them
    position = -1
    for parent, pg in zip(inputs, grads):
        position += 1
        if not (isinstance(parent, Tensor) and parent._requires_grad):
            if edges is not None:
                edges.append(None)
            continue
        if pg.__class__ is not Tensor and not isinstance(pg, Tensor):
            if pg is None and parent.data.dtype.kind != "f":
                # an integer or boolean value that records (a traced input, see the
                # compiler): it carries no gradient, and rules return None for it
                if edges is not None:
                    edges.append(None)
                continue
            pg = _as_gradient(pg, op.name, position)
        shape = parent.data.shape
        if pg.data.shape != shape:
            pg = sum_to_shape(pg, shape, op.name)
        if anomaly:
            check_finite(pg.data, op.name, f"gradient for input {position}", t._trace)
        if edges is not None:
            edges.append(pg)
        _accumulate(pending, parent, pg, create_graph)
    if edges is not None:
        t._edge_grads = tuple(edges)
        t._noted = True
    # The graph stays readable (rendering shows it); only a second backward is refused.
    t._released = not retain_graph


def _as_gradient(pg, op_name: str, position: int) -> Tensor:
    """A rule's gradient that is not a plain Tensor: refuse None, wrap an array or number."""
    if pg is None:
        raise RuntimeError(
            f"op '{op_name}' is not differentiable with respect to input {position}, "
            "but that input requires grad"
        )
    return pg if isinstance(pg, Tensor) else Tensor(np.asarray(pg))


def _accumulate(pending: dict, t: Tensor, g: Tensor, create_graph: bool) -> None:
    """Add the gradient ``g`` arriving at ``t`` to what ``pending`` holds for ``t``.

    Recorded (``create_graph``), the sum is an op, part of the gradient's graph. Otherwise
    it stays a numpy array until ``t`` is walked (``_propagate`` wraps it then): a leaf may
    sum thousands of gradients, and only the total needs a Tensor (no op dispatch per sum).
    """
    previous = pending.get(t)
    if previous is None:
        pending[t] = g
    elif create_graph:
        pending[t] = previous + g
    else:
        if isinstance(previous, Tensor):
            previous = previous.data
        pending[t] = previous + g.data


def _store_grad(t: Tensor, g: Tensor, create_graph: bool) -> None:
    if not create_graph:
        data, dtype = g.data, t.data.dtype
        # (a copy, in the leaf's dtype: the leaf's .grad never shares memory with another)
        g = wrap(data.copy(order="K") if data.__class__ is _NDARRAY and data.dtype is dtype
                 else np.array(data, dtype=dtype, copy=True))
    t.grad = g if t.grad is None else t.grad + g


def _only_towards(order: list, targets) -> list:
    """Keep the tensors from which some target can be reached (no work below the targets)."""
    leads = set(targets)
    kept = []
    for t in order:
        if t in leads or any(p in leads for p in t._inputs if isinstance(p, Tensor)):
            leads.add(t)
            kept.append(t)
    return kept


def _seed_gradient(output: Tensor, grad, caller: str, argument: str) -> Tensor:
    if grad is None:
        if output.data.size != 1:
            raise RuntimeError(
                f"{caller} on a tensor of shape {output.shape} needs {argument}= (a gradient "
                "of the same shape); only single-element tensors get the implicit gradient 1"
            )
        data = output.data
        return wrap(np.ones(data.shape, data.dtype))  # np.ones_like's array, sooner
    if not isinstance(grad, Tensor):
        values = np.asarray(grad) if not isinstance(grad, (str, bytes)) else None
        if values is None or values.dtype.kind not in "biuf":
            raise TypeError(
                f"{caller}: {argument} must be a Tensor or an array of numbers shaped like the "
                f"output {output.shape}, got {type(grad).__name__} {grad!r:.60}"
            )
        grad = Tensor(values.astype(output.dtype, copy=False))
    if grad.shape != output.shape:
        raise ValueError(
            f"{caller}: {argument} has shape {grad.shape} but the output has shape {output.shape}"
        )
    return grad


def _as_tuple(value, what: str) -> tuple:
    items = (value,) if isinstance(value, Tensor) else tuple(value)
    for position, t in enumerate(items):
        if not isinstance(t, Tensor):
            raise TypeError(f"grad(): {what}[{position}] is a {type(t).__name__}, not a Tensor")
    return items


hooks.backward = backward  # Tensor.backward runs this walk (tensor.py imports no layer above)
