"""From a recorded graph to an optimized program: the passes run at trace time.

Reading the graph folds operations on constants, drops multiplications by one and
additions of zero, merges repeated subexpressions (never calls of an impure op), applies
the rewrite rules of :mod:`.rewrite` to every new step, makes
tensors captured from outside inputs read on every call, and removes dead steps.
"""

from __future__ import annotations

import numpy as np

from ..autograd import topological_order  # noqa: F401  (graph order of layer 1)
from ..registry import registered_ops
from ..tensor import Tensor
from .program import Program, Value
from .rewrite import rewrite


def _graph_order(outputs) -> list[Tensor]:
    """Every recorded tensor behind ``outputs`` (masks and values without gradient too),
    each after the tensors it was made from."""
    order: list[Tensor] = []
    state: dict[int, bool] = {}
    stack = [(t, False) for t in outputs]
    while stack:
        t, expanded = stack.pop()
        if expanded:
            if not state[id(t)]:
                state[id(t)] = True
                order.append(t)
            continue
        if id(t) in state:
            continue
        state[id(t)] = False
        stack.append((t, True))
        stack.extend((p, False) for p in t._inputs  # (the order of topological_order)
                     if isinstance(p, Tensor) and id(p) not in state)
    return order


def build(inputs: list, roots: list, wrt: list, captured=None) -> Program:
    """Read the recorded graph behind ``roots`` into an optimized :class:`Program`.

    Leaf tensors whose id is in ``captured`` (state ``fn`` reached from outside: closures,
    globals, module parameters) become extra inputs, read on every call."""
    captured = captured or {}
    captured_tensors: list = []  # Tensors (read .data) and arrays, in input order
    stats = {"recorded": 0, "folded": 0, "identities": 0, "common": 0, "dead": 0}
    values: dict[int, Value] = {}
    input_values = []
    for i, t in enumerate(inputs):
        v = Value("input", example=t.data, name=t.name, index=i)
        values[id(t)] = values[("data", id(t.data))] = v
        input_values.append(v)
    forward_ids = set()
    backward_start = None
    order = _graph_order([r for r in roots if isinstance(r, Tensor)])
    if len(roots) > 1 and roots[0] is not None:  # value_and_grad: the value's graph is forward
        forward_ids = {id(t) for t in _graph_order([roots[0]])}
        backward_start = True
    steps: list[Value] = []
    constants: dict = {}
    for t in order:
        if id(t) in values:
            continue
        if t._op is None:
            source = captured.get(id(t))
            if source is None:
                source = captured.get(id(t.data))  # a captured array, wrapped in the trace
            if source is None:
                continue  # a constant, or an input: resolved where it is used (_value_of)
            # state reached from fn (closures, globals, module parameters): read every call
            v = Value("input", example=t.data, name=t.name or "captured",
                      index=len(input_values))
            input_values.append(v)
            captured_tensors.append(source)
            values[id(t)] = v
            continue
        stats["recorded"] += 1
        phase = "backward" if backward_start and id(t) not in forward_ids else "forward"
        args = tuple(_value_of(p, values, constants) if isinstance(p, Tensor) else p
                     for p in t._inputs)
        found = _simplify(Value(phase, t._op, args, dict(t._params or {}), t.data),
                          steps, constants, stats)
        if phase == "forward":  # a backward step merged into a forward one runs with it
            _move_to_forward(found)
        values[id(t)] = found
        values.setdefault(("data", id(t.data)), values[id(t)])
    outputs = []
    copies: dict[int, object] = {}
    for position, r in enumerate(roots):
        if r is None:  # a gradient the value does not depend on: zeros, as jax gives
            leaf = wrt[position - 1]
            v = _constant(np.zeros_like(leaf.data), None, constants)
        else:
            v = _value_of(r, values, constants) if isinstance(r, Tensor) else _constant(
                np.asarray(r), None, constants)
        if position and wrt and v.example.dtype != wrt[position - 1].data.dtype:
            copies[position] = wrt[position - 1].data.dtype
        elif v.phase in ("constant", "input") or v in outputs:
            copies[position] = True  # the caller may write into what it gets
        outputs.append(v)
    steps = _without_dead(steps, outputs, stats)
    # The forward never reads the backward: running it first frees its buffers sooner.
    steps = [s for s in steps if s.phase == "forward"] + [s for s in steps
                                                          if s.phase == "backward"]
    for i, s in enumerate(steps):
        s.index = i
    wrt_values = [values[id(t)] for t in wrt]
    program = Program(input_values, steps, outputs, stats, copies, wrt_values)
    program.captured = captured_tensors
    return program


def _move_to_forward(v: Value) -> None:
    """Put ``v`` and the backward steps it reads into the forward pass (which runs first)."""
    stack = [v]
    while stack:
        v = stack.pop()
        if isinstance(v, Value) and v.phase == "backward":
            v.phase = "forward"
            stack.extend(v.args)


def _value_of(t: Tensor, values: dict, constants: dict) -> Value:
    """The Value of a graph tensor; a leaf that records nothing is a constant.

    A leaf holding the very array of a traced value (``t.detach()``, ``Tensor(t)``) is
    that value, replayed: its gradient was cut at trace time, its value is recomputed.
    """
    found = values.get(id(t))
    if found is None:
        found = values.get(("data", id(t.data)))
        if found is None:
            found = _constant(t.data, t.name, constants)
        values[id(t)] = found
    return found


def _constant(array, name, constants: dict) -> Value:
    array = np.asarray(array)
    key = (array.shape, array.dtype.str, array.tobytes()) if array.size <= 64 else id(array)
    found = constants.get(key)
    if found is None:
        found = constants[key] = Value("constant", example=array, name=name)
    return found


def _is_constant(arg, number: float) -> bool:
    if isinstance(arg, Value):
        return arg.phase == "constant" and arg.example.size <= 64 and \
            bool(np.all(arg.example == number))
    return isinstance(arg, (int, float)) and not isinstance(arg, bool) and arg == number


_IDENTITIES = {"mul": ((0, 1.0), (1, 1.0)), "add": ((0, 0.0), (1, 0.0)), "sub": ((1, 0.0),),
               "div": ((1, 1.0),)}


def _simplify(v: Value, steps: list, constants: dict, stats: dict) -> Value:
    """Fold constants, drop x·1 and x+0, reuse an identical earlier step; else append ``v``."""
    if not v.op.pure:  # random: called every time, never folded or merged
        steps.append(v)
        return v
    if all(not isinstance(a, Value) or a.phase == "constant" for a in v.args):
        stats["folded"] += 1
        return _constant(v.example, None, constants)
    neutral_args = _IDENTITIES.get(v.op.name, ()) if registered_ops().get(v.op.name) is v.op \
        else ()
    for position, neutral in neutral_args:
        other = v.args[1 - position]
        if _is_constant(v.args[position], neutral) and isinstance(other, Value) and \
                other.shape == v.shape and other.example.dtype == v.example.dtype:
            stats["identities"] += 1
            return other
    key = _cse_key(v)
    table = constants.setdefault("__steps__", {})
    if key is not None and key in table:
        stats["common"] += 1
        return table[key]
    steps.append(v)
    found = rewrite(v, steps, stats)  # the rules of .rewrite (v itself when none matches)
    if key is not None:
        table[key] = found
    return found


def _cse_key(v: Value):
    parts = []
    for a in v.args:
        if isinstance(a, Value):
            parts.append(("v", id(a)))
        elif isinstance(a, (bool, int, float)):
            parts.append((type(a), a))
        else:
            return None
    try:
        params = tuple(sorted(v.params.items()))
        hash(params)
    except TypeError:
        return None
    return (v.op, tuple(parts), params)


def _without_dead(steps: list, outputs: list, stats: dict) -> list:
    live = {v for v in outputs if isinstance(v, Value)}
    kept = []
    for s in reversed(steps):
        if s in live:
            kept.append(s)
            live.update(a for a in s.args if isinstance(a, Value))
        else:
            stats["dead"] += 1
    return kept[::-1]
