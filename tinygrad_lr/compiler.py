"""The compiler: trace a function of tensors once; replay it as a program of registered ops.

``compile(fn)`` runs ``fn`` once on tensors that record, reads the graph it built and
turns it into a straight-line program: one call of an op's numpy ``forward`` per node,
nothing else. ``value_and_grad(fn)`` also traces the backward pass, through the same
registered backward rules with recording on (what ``create_graph=True`` does), so the
gradients become part of the same program. Later calls whose arguments have the same
structure, shapes and dtypes replay that program on plain arrays: no Tensor objects, no
op dispatch, no topological sort, no graph building. A call with the last call's
signature is recognized by straight-line checks generated at trace time.

Every call gives the eager engine's answer (see docs/autograd.md, "What tracing
guarantees"): backward rules are written in registered ops, masks included (comparison
ops), so they trace into the program like any op and follow each call's values; values
computed without gradient (``no_grad``, ``detach``) are recorded too; tensors ``fn``
reaches from outside (closures, globals, module parameters) are read on every call; Python
numbers are part of the signature (``-0.0`` apart from ``0.0``); impure ops are never
merged. Reading a traced value in Python (``float(t)``, ``if t:``, ``t.item()``,
``np.asarray(t)`` ...) raises :class:`TraceError` naming the line: a program cannot follow
a Python decision on a value.

At trace time the program loses dead code, repeated subexpressions, operations on
constants only (folded), and multiplications by one and additions of zero; every buffer
is released right after its last use, so numpy's allocator hands it to the next step.

>>> import numpy as np
>>> import tinygrad_lr as tg
>>> def loss(w, x):
...     return ((x @ w).tanh() ** 2).sum()
>>> step = tg.value_and_grad(loss)
>>> value, grad = step(np.array([0.5, -0.5]), np.array([[1.0, 2.0], [3.0, 1.0]]))
>>> round(float(value), 6), grad.shape
(0.793578, (2,))
"""

from __future__ import annotations

import builtins
import inspect
import itertools
import keyword
import math
from dataclasses import dataclass, field

import numpy as np

from . import grad_mode
from .autograd import sum_to_shape, topological_order
from .registry import Op, registered_ops
from .tensor import Tensor, TraceError, wrap

CHECKED_CONSTANT_SIZE = 4096
"""Captured arrays up to this many elements are compared by value at every call."""


class StaleTraceError(RuntimeError):
    """A constant the trace captured from outside ``fn`` has changed since tracing."""


# ------------------------------------------------------------------------ arguments
_STATIC = (bool, int, float, complex, str, type(None))


def _flatten(value, leaves: list, where: str):
    """Split an argument into array leaves and a hashable description of everything else.

    ``where`` names the argument in errors (``#0[2]``); it is extended only on the slow path.
    """
    cls = value.__class__
    if cls is np.ndarray:
        leaves.append(value)
        return ("a", value.shape, value.dtype)
    if cls is list or cls is tuple:  # the common case, a list of parameters, kept fast
        specs = []
        for i, v in enumerate(value):
            if v.__class__ is np.ndarray:
                leaves.append(v)
                specs.append(("a", v.shape, v.dtype))
            else:
                specs.append(_flatten(v, leaves, f"{where}[{i}]"))
        return (cls, tuple(specs))
    if cls is Tensor:
        leaves.append(value.data)
        return ("t", value.data.shape, value.data.dtype)
    if isinstance(value, np.generic):  # a numpy scalar is a 0-d array with its dtype
        value = np.asarray(value)
        leaves.append(value)
        return ("a", value.shape, value.dtype)
    if cls is float:  # -0.0 == 0.0, yet 1 / -0.0 is -inf: the sign is part of the signature
        return ("s", cls, value, math.copysign(1.0, value))
    if cls in _STATIC or isinstance(value, _STATIC):
        return ("s", cls, value)
    if isinstance(value, (tuple, list)):
        return (cls, tuple(_flatten(v, leaves, f"{where}[{i}]") for i, v in enumerate(value)))
    if isinstance(value, dict):
        keys = tuple(value)
        return (dict, keys, tuple(_flatten(value[k], leaves, f"{where}[{k!r}]") for k in keys))
    if isinstance(value, Tensor):  # a subclass: the data is what counts
        leaves.append(value.data)
        return ("t", value.data.shape, value.data.dtype)
    if isinstance(value, np.ndarray):
        leaves.append(np.asarray(value))
        return ("a", value.shape, value.dtype)
    raise TypeError(
        f"compiled function: argument {where} is a {cls.__name__}; pass tensors, arrays, "
        "numbers, or tuples, lists and dicts of them"
    )


def _builder(spec, first: int = 0):
    """A function ``flat -> structure`` for output ``spec``, generated once per signature.

    ``("w",)`` leaves (see :func:`_as_outputs`) become Tensors, array leaves stay arrays,
    static leaves are constants; ``first`` is the position of the first leaf in ``flat``.
    """
    namespace = {"wrap": wrap, "asarray": np.asarray}
    position = itertools.count(first)

    def expression(spec) -> str:
        # A 0-d result may come out of numpy as a scalar (a reduction's): eager makes
        # every result an array, and so does this.
        kind = spec[0]
        if kind == "w":
            if len(spec) > 1 and spec[1] != ():
                return f"wrap(flat[{next(position)}])"
            return f"wrap(asarray(flat[{next(position)}]))"
        if kind in ("a", "t"):
            return f"flat[{next(position)}]" if spec[1] != () else \
                f"asarray(flat[{next(position)}])"
        if kind == "s":
            name = f"s{len(namespace)}"
            namespace[name] = spec[2]
            return name
        if kind is dict:
            keys = f"k{len(namespace)}"
            namespace[keys] = spec[1]
            items = ", ".join(f"{keys}[{i}]: {expression(s)}" for i, s in enumerate(spec[2]))
            return "{" + items + "}"
        items = "".join(f"{expression(s)}, " for s in spec[1])
        if kind is tuple:
            return f"({items})"
        if kind is list:
            return f"[{items}]"
        name = f"t{len(namespace)}"
        namespace[name] = kind
        return f"{name}([{items}])"

    source = f"def build(flat):\n    return {expression(spec)}\n"
    exec(builtins.compile(source, "<tinygrad_lr results>", "exec"), namespace)
    return namespace["build"]


def _matcher(spec):
    """A function ``args -> leaves or None``, generated once per signature ``spec``.

    It returns the arguments' leaves, as :func:`_flatten` would, if ``args`` has exactly
    that signature: straight-line checks of each container's type and length and each
    array's type, shape and dtype, about half the cost of describing the arguments and
    looking the description up. ``None`` (for anything else, or anything equal in another
    form, such as another dtype object) sends the call down that general path.
    """
    namespace = {"ndarray": np.ndarray, "Tensor": Tensor}
    lines = ["def match(args):", f"    if len(args) != {len(spec)}:", "        return None"]
    leaves = []
    counter = itertools.count()

    def constant(value) -> str:
        name = f"k{next(counter)}"
        namespace[name] = value
        return name

    def refuse_unless(condition: str) -> None:
        lines.extend([f"    if not ({condition}):", "        return None"])

    def check(spec, expression: str) -> None:
        value = f"x{next(counter)}"
        lines.append(f"    {value} = {expression}")
        kind = spec[0]
        if kind in ("a", "t"):
            leaf = value
            if kind == "t":
                refuse_unless(f"{value}.__class__ is Tensor")
                leaf = f"x{next(counter)}"
                lines.append(f"    {leaf} = {value}.data")
            else:
                refuse_unless(f"{value}.__class__ is ndarray")
            refuse_unless(f"{leaf}.shape == {constant(spec[1])} and "
                          f"{leaf}.dtype is {constant(spec[2])}")
            leaves.append(leaf)
        elif kind == "s":
            refuse_unless(f"{value}.__class__ is {constant(spec[1])} and "
                          f"{value} == {constant(spec[2])}")
            if len(spec) > 3:
                namespace["copysign"] = math.copysign
                refuse_unless(f"copysign(1.0, {value}) == {constant(spec[3])}")
        elif kind is dict:
            keys = constant(spec[1])
            refuse_unless(f"{value}.__class__ is dict and tuple({value}) == {keys}")
            for i, s in enumerate(spec[2]):
                check(s, f"{value}[{keys}[{i}]]")
        else:
            refuse_unless(f"{value}.__class__ is {constant(kind)} and "
                          f"len({value}) == {len(spec[1])}")
            for i, s in enumerate(spec[1]):
                check(s, f"{value}[{i}]")

    for i, s in enumerate(spec):
        check(s, f"args[{i}]")
    lines.append(f"    return [{', '.join(leaves)}]")
    exec(builtins.compile("\n".join(lines) + "\n", "<tinygrad_lr signature>", "exec"), namespace)
    return namespace["match"]


def _rebuild(spec, leaves):
    """The inverse of :func:`_flatten`: ``leaves`` is an iterator of the new leaf values.

    A ``("w",)`` leaf (see :func:`_as_outputs`) wraps its array in a Tensor.
    """
    kind = spec[0]
    if kind == "w":
        return wrap(next(leaves))
    if kind in ("a", "t"):
        return next(leaves)
    if kind == "s":
        return spec[2]
    if kind is dict:
        return {k: _rebuild(s, leaves) for k, s in zip(spec[1], spec[2])}
    items = [_rebuild(s, leaves) for s in spec[1]]
    return items if kind is list else (tuple(items) if kind is tuple else kind(items))


def _leaf_specs(spec, out: list) -> None:
    """The ("a" | "t", shape, dtype) of every leaf, in flattening order."""
    kind = spec[0]
    if kind in ("a", "t"):
        out.append(spec)
    elif kind is dict:
        for s in spec[2]:
            _leaf_specs(s, out)
    elif kind != "s":
        for s in spec[1]:
            _leaf_specs(s, out)


def _describe(spec) -> str:
    kind = spec[0]
    if kind in ("a", "t"):
        return f"{'Tensor' if kind == 't' else 'array'}{tuple(spec[1])} {spec[2]}"
    if kind == "s":
        return repr(spec[2])
    if kind is dict:
        return "{" + ", ".join(f"{k!r}: {_describe(s)}" for k, s in zip(spec[1], spec[2])) + "}"
    inner = ", ".join(_describe(s) for s in spec[1])
    return f"[{inner}]" if kind is list else f"({inner})"


# -------------------------------------------------------------------- the program
@dataclass(eq=False)
class Value:
    """One value of a traced program: an input, a constant or the result of one op call.

    ``phase`` is ``"input"``, ``"constant"``, ``"forward"`` or ``"backward"``; ``args``
    holds Values and inline Python numbers. ``example`` is a constant's value; for the other
    values, once the program is built, a zero-strided stand-in with the traced shape and
    dtype (the program keeps no buffer of the trace).
    """

    phase: str
    op: Op | None = None
    args: tuple = ()
    params: dict = field(default_factory=dict)
    example: np.ndarray | None = None
    name: str | None = None
    index: int = -1  # position among the inputs, or the program step
    line: str = ""  # the step's line of the program's source

    @property
    def shape(self) -> tuple:
        """The shape seen at trace time (fixed by the signature)."""
        return np.shape(self.example)


class Program:
    """A traced, optimized program: inputs, steps (one op call each) and outputs.

    Built by :class:`Compiled` for one signature; see :attr:`source` for the Python it runs
    and :meth:`to_dot` / :meth:`render` for its picture (forward and backward pass).

    >>> import numpy as np
    >>> import tinygrad_lr as tg
    >>> f = tg.compile(lambda x: (x * 1.0 + 0.0).exp())
    >>> _ = f(np.zeros(3))
    >>> f.program().source.splitlines()[1].strip()
    'v1 = exp(a0)'
    """

    def __init__(self, inputs, steps, outputs, stats, copies, wrt=()):
        # constants: name in the source -> value (arrays and numbers the program uses)
        self.inputs: list[Value] = inputs
        self.wrt: list[Value] = list(wrt)  # the differentiated inputs, in gradient order
        self.steps: list[Value] = steps
        self.outputs: list = outputs  # Values (or constants) in output order
        self.stats: dict = stats  # what each optimization removed
        self._copies = copies
        self.captured: list = []  # tensors read at call time, after the arguments' leaves
        self.source, self.run, self.constants = _generate(self)
        for v in [*inputs, *steps]:  # keep shapes and dtypes, not the trace's buffers
            v.example = np.broadcast_to(np.zeros((), v.example.dtype), v.example.shape)

    def copy_outputs(self, positions) -> None:
        """Return copies of these outputs (they would share memory with an argument)."""
        for position in positions:
            self._copies[position] = True
        self.source, self.run, self.constants = _generate(self)

    def __repr__(self) -> str:
        backward = sum(1 for s in self.steps if s.phase == "backward")
        return (f"<Program: {len(self.inputs)} inputs, {len(self.steps) - backward} forward "
                f"and {backward} backward steps>")

    def to_dot(self, title: str | None = None) -> str:
        """The program as Graphviz DOT: the forward pass and the backward pass side by side."""
        from .viz.program import program_dot

        return program_dot(self, title=title)

    def render(self, path, title: str | None = None):
        """Draw the program into ``path`` (``.svg``, ``.png``, ``.pdf`` or ``.dot``)."""
        from .viz import backends

        backends.format_for(path)
        return backends.write(self.to_dot(title=title), path)


_RESERVED = frozenset({"program"})


def _generate(program: Program):
    """Python source for the program: one line per op call, ``del`` after a last use."""
    names: dict[Value, str] = {}
    namespace: dict[str, object] = {}
    for i, v in enumerate(program.inputs):
        names[v] = f"a{i}"
    op_names: dict[Op, str] = {}
    counter = itertools.count()

    constants: dict[str, object] = {}

    def ref(arg) -> str:
        if isinstance(arg, Value):
            if arg not in names:  # a constant
                if arg.phase != "constant":
                    raise TraceError(f"internal error: step {arg.op.name} is used before it "
                                     "is computed in the program")
                names[arg] = f"c{next(counter)}"
                namespace[names[arg]] = constants[names[arg]] = arg.example
            return names[arg]
        if isinstance(arg, (bool, int)) or (isinstance(arg, float) and np.isfinite(arg)):
            return repr(arg)
        name = f"c{next(counter)}"
        namespace[name] = constants[name] = arg
        return name

    last_use: dict[Value, int] = {}
    for i, step in enumerate(program.steps):
        for arg in step.args:
            if isinstance(arg, Value):
                last_use[arg] = i
    kept = {v for v in program.outputs if isinstance(v, Value)}
    lines = [f"def program({', '.join(names[v] for v in program.inputs)}):"]
    for i, step in enumerate(program.steps):
        names[step] = f"v{i + len(program.inputs)}"
        promote = _promotes(step)
        function = op_names.get((step.op, promote))
        if function is None:
            function = step.op.name if step.op.name.isidentifier() else f"op{len(op_names)}"
            function += "_f64" if promote else ""
            while function in namespace or function in _RESERVED or keyword.iskeyword(
                    function) or (function[0] in "avc" and function[1:].isdigit()):
                function += "_"
            op_names[(step.op, promote)] = function
            namespace[function] = _in_float64(step.op.forward) if promote else step.op.forward
        call = ", ".join([ref(a) for a in step.args]
                         + [f"{k}={ref(p)}" for k, p in step.params.items()])
        step.line = f"{names[step]} = {function}({call})"
        lines.append(f"    {step.line}")
        dead = [a for a in dict.fromkeys(step.args)
                if isinstance(a, Value) and a.phase != "constant" and last_use.get(a) == i
                and a not in kept and a.phase != "input"]
        if dead:
            lines.append(f"    del {', '.join(names[a] for a in dead)}")
    results = []
    for position, out in enumerate(program.outputs):
        text = ref(out)
        if position in program._copies:
            text += ".copy()" if not isinstance(program._copies[position], np.dtype) else \
                f".astype({ref(program._copies[position])})"
        results.append(text)
    lines.append(f"    return ({', '.join(results)}{',' if len(results) == 1 else ''})")
    source = "\n".join(lines) + "\n"
    exec(builtins.compile(source, "<tinygrad_lr program>", "exec"), namespace)
    return source, namespace["program"], constants


def _promotes(step: Value) -> bool:
    """Whether eager promoted this step to float64: a floating result from integer or
    boolean arrays only (numpy would give float16 for uint8; see ``registry``)."""
    if step.example.dtype != np.float64:
        return False
    kinds = [a.example.dtype.kind for a in step.args if isinstance(a, Value)]
    return bool(kinds) and all(k in "biu" for k in kinds)


def _in_float64(forward):
    """``forward`` on integer and boolean arrays widened to float64 first."""
    def widened(*arrays, **params):
        return forward(*[a.astype(np.float64) if isinstance(a, np.ndarray) and
                         a.dtype.kind in "biu" else a for a in arrays], **params)
    return widened


# ------------------------------------------------------------------------- tracing
def _arg_names(fn, count: int) -> list[str]:
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        params = []
    names = [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return names[:count] + [f"arg{i}" for i in range(len(names), count)]


def _leaf_names(spec, prefix: str, out: list) -> None:
    kind = spec[0]
    if kind in ("a", "t"):
        out.append(prefix)
    elif kind is dict:
        for k, s in zip(spec[1], spec[2]):
            _leaf_names(s, f"{prefix}[{k!r}]", out)
    elif kind != "s":
        for i, s in enumerate(spec[1]):
            _leaf_names(s, f"{prefix}[{i}]", out)


def _leaf_objects(value, out: list) -> None:
    """The arguments' leaves as passed (Tensors keep their names), in flattening order."""
    if isinstance(value, (Tensor, np.ndarray, np.generic)):
        out.append(value)
    elif isinstance(value, (tuple, list)):
        for v in value:
            _leaf_objects(v, out)
    elif isinstance(value, dict):
        for v in value.values():
            _leaf_objects(v, out)


def _recording_leaf(array: np.ndarray, name: str, traced: bool = True) -> Tensor:
    """A trace input: it records even when its dtype could not carry a gradient; reading
    its value in Python while tracing raises TraceError (``traced``)."""
    t = wrap(array)
    t.name = name
    t._requires_grad = True  # so every op on it is recorded, integer and bool inputs too
    t._traced_input = traced
    return t


class _Modes:
    """Grad-mode switches, read whether they are module attributes or thread-local state."""

    @property
    def anomaly(self) -> bool:
        return getattr(grad_mode, "state", grad_mode).anomaly


_modes = _Modes()


@dataclass(frozen=True)
class _Entry:
    """One traced signature: its program, the finisher of its results, its argument check."""

    program: Program
    finish: object
    match: object


class Compiled:
    """A traced function: call it like ``fn``; one cached :class:`Program` per signature.

    Made by :func:`compile` and :func:`value_and_grad`. ``traces`` counts how often ``fn``
    ran (once per new signature); :meth:`program` returns the program for the last call's
    signature (or for given arguments).
    """

    def __init__(self, fn, argnums=None):
        if not callable(fn):
            raise TypeError(f"compile() needs a callable, got {type(fn).__name__}")
        self.fn = fn
        self.argnums = argnums
        self.traces = 0
        self._programs: dict = {}
        self._last = None
        self._captured = _captured_constants(fn)
        self.__doc__ = getattr(fn, "__doc__", None)
        self.__name__ = getattr(fn, "__name__", "compiled")
        self.__wrapped__ = fn

    def __repr__(self) -> str:
        kind = "value_and_grad" if self.argnums is not None else "compile"
        return f"<{kind}({self.__name__}): {len(self._programs)} traced signature(s)>"

    def __call__(self, *args, **kwargs):
        # The per-call path: describe the arguments, find their program, run it.
        if kwargs:
            raise TypeError(f"{self.__name__}: a compiled function takes positional "
                            f"arguments only, got keyword(s) {sorted(kwargs)}")
        entry = self._programs.get(self._last)
        leaves = entry.match(args) if entry is not None else None  # the last signature again?
        if leaves is None or _modes.anomaly:
            leaves = []
            spec = _flatten(args, leaves, "args")[1]
            entry = self._programs.get(spec)
            if entry is None or _modes.anomaly:  # anomaly checks need the eager engine
                return self._trace(spec, args, keep=not _modes.anomaly)
            self._last = spec
        if self._captured:
            self._check_captured()
        program = entry.program
        if program.captured:  # state fn reads from outside: its current value, every call
            leaves = [*leaves, *[t.data for t in program.captured]]
        return entry.finish(program.run(*leaves))

    def program(self, *args) -> Program:
        """The program for ``args``' signature (traced now if new), or for the last call."""
        if args:
            leaves: list = []
            spec = _flatten(args, leaves, "args")[1]
            if spec not in self._programs:
                self._trace(spec, args, keep=True)
        else:
            spec = self._last
            if spec is None:
                raise RuntimeError(f"{self.__name__} has not been called yet: call it, or "
                                   "pass example arguments to program(...)")
        return self._programs[spec].program

    def signatures(self) -> list[str]:
        """A readable line per traced signature."""
        return [", ".join(_describe(s) for s in spec) for spec in self._programs]

    def _check_captured(self) -> None:
        for where, holder, key, obj, data, snapshot in self._captured:
            current = holder[key] if isinstance(holder, dict) else holder.cell_contents
            now = current.data if isinstance(current, Tensor) else current
            if current is not obj or (data is not None and now is not data):
                raise StaleTraceError(
                    f"{self.__name__}: {where} was rebound after tracing; the program holds "
                    "its old value. Pass it as an argument (or compile again)"
                )
            if snapshot is not None and not np.array_equal(now, snapshot, equal_nan=True):
                raise StaleTraceError(
                    f"{self.__name__}: the values of {where} changed in place after tracing; "
                    "the program holds the old ones. Pass it as an argument (or compile again)"
                )

    def _trace(self, spec, args, keep: bool):
        names: list[str] = []
        for s, name in zip(spec, _arg_names(self.fn, len(args))):
            _leaf_names(s, name, names)
        leaf_arrays: list = []
        _flatten(args, leaf_arrays, "args")
        originals: list = []
        _leaf_objects(args, originals)
        names = [getattr(o, "name", None) or n for o, n in zip(originals, names)]
        program, finish = self._record(spec, leaf_arrays, names)
        self.traces += 1
        arrays = [*leaf_arrays, *[t.data for t in program.captured]]
        results = program.run(*arrays)
        aliased = [i for i, r in enumerate(results) if i not in program._copies and any(
            isinstance(r, np.ndarray) and np.may_share_memory(r, a) for a in arrays)]
        if aliased:  # a view of an argument (a reshape, a transpose): results are fresh
            program.copy_outputs(aliased)
            results = program.run(*arrays)
        if keep:
            self._programs[spec] = _Entry(program, finish, _matcher(spec))
            self._last = spec
            self._captured = _captured_constants(self.fn)
        return finish(results)

    def _record(self, spec, leaf_arrays, names):
        """Run ``fn`` on recording tensors (and its backward); the program and its finisher."""
        inputs = [_recording_leaf(a, n) for a, n in zip(leaf_arrays, names)]
        rebuilt = [_rebuild(s, iter(inputs[start:])) for s, start in
                   zip(spec, _leaf_starts(spec))]
        wrt = []
        with grad_mode.enable_grad(), grad_mode.tracing():
            result = self.fn(*rebuilt)
            try:
                out_spec = _flatten(result, [], "result")
                if not any(isinstance(t, Tensor) for t in _tensors_of(result)):
                    raise TypeError("no tensor")
            except TypeError:
                raise TraceError(
                    f"{self.__name__} returned a {type(result).__name__}; a compiled function "
                    "returns tensors (or tuples, lists and dicts of them)"
                ) from None
            if self.argnums is None:
                roots = _tensors_of(result)
                finish = _finisher(out_spec)
            else:
                wrt = self._wrt(spec, inputs)
                value = _single_value(result, self.__name__)
                roots = [value] + _trace_backward(value, [t for t, _ in wrt])
                finish = _grad_finisher(spec, self.argnums)
        captured = {id(t) for t in _captured_tensors(self.fn)}
        return _build(inputs, roots, [t for t, _ in wrt], captured), finish

    def _wrt(self, spec, inputs):
        """The differentiated leaves: (trace tensor, leaf position), from ``argnums``."""
        argnums = (self.argnums,) if isinstance(self.argnums, int) else tuple(self.argnums)
        starts = _leaf_starts(spec)
        chosen = []
        for n in argnums:
            if not -len(spec) <= n < len(spec):
                raise TraceError(f"{self.__name__}: argnums {n} is out of range for "
                                 f"{len(spec)} argument(s)")
            n %= len(spec)
            if _has_static(spec[n]):
                raise TraceError(
                    f"{self.__name__}: argument {n} holds a Python number or None "
                    f"({_describe(spec[n])}); numbers are constants of the trace: pass an "
                    "array (np.asarray(x)) for every value to differentiate"
                )
            specs: list = []
            _leaf_specs(spec[n], specs)
            for k, s in enumerate(specs):
                if s[2].kind != "f":
                    raise TraceError(
                        f"{self.__name__}: argument {n} holds a {s[2]} array; only real "
                        "floating-point values can be differentiated"
                    )
                chosen.append((inputs[starts[n] + k], starts[n] + k))
        return chosen


def _has_static(spec) -> bool:
    kind = spec[0]
    if kind == "s":
        return True
    if kind in ("a", "t"):
        return False
    return any(_has_static(s) for s in (spec[2] if kind is dict else spec[1]))


def _leaf_starts(spec) -> list[int]:
    starts, total = [], 0
    for s in spec:
        starts.append(total)
        specs: list = []
        _leaf_specs(s, specs)
        total += len(specs)
    return starts


def _tensors_of(result) -> list:
    if isinstance(result, Tensor):
        return [result]
    if isinstance(result, np.ndarray):
        return [result]
    if isinstance(result, (tuple, list)):
        return [t for r in result for t in _tensors_of(r)]
    if isinstance(result, dict):
        return [t for r in result.values() for t in _tensors_of(r)]
    return []


def _single_value(result, name: str) -> Tensor:
    if not isinstance(result, Tensor):
        raise TraceError(f"value_and_grad({name}): the function must return one Tensor (the "
                         f"value to differentiate), got {type(result).__name__}")
    if result.data.size != 1:
        raise TraceError(f"value_and_grad({name}): the value must have a single element, got "
                         f"shape {result.shape}")
    return result


def _finisher(out_spec):
    """Turn the program's flat arrays back into ``fn``'s output structure, with Tensors."""
    return _builder(_as_outputs(out_spec))


def _grad_finisher(spec, argnums):
    """(value, grads): grads mirror the differentiated arguments (arrays or Tensors)."""
    single = isinstance(argnums, int)
    argnums = (argnums,) if single else tuple(argnums)
    chosen = [_as_outputs(spec[n % len(spec)]) for n in argnums]
    return _builder((tuple, (("w", ()), chosen[0] if single else (tuple, tuple(chosen)))))


def _as_outputs(spec):
    """A spec whose Tensor leaves become Tensors again when rebuilt (arrays stay arrays)."""
    kind = spec[0]
    if kind == "t":
        return ("w", spec[1])
    if kind in ("a", "s"):
        return spec
    if kind is dict:
        return (dict, spec[1], tuple(_as_outputs(s) for s in spec[2]))
    return (kind, tuple(_as_outputs(s) for s in spec[1]))


def _captured_constants(fn) -> list:
    """Tensors and arrays ``fn`` reaches through its closure and globals, to re-check later."""
    found = []
    code = getattr(fn, "__code__", None)
    if code is None:
        return found
    cells = zip(code.co_freevars, getattr(fn, "__closure__", None) or ())
    for name, cell in cells:
        try:
            obj = cell.cell_contents
        except ValueError:  # an empty cell
            continue
        _remember(found, f"the closure variable '{name}'", cell, None, obj)
    module = getattr(fn, "__globals__", {})
    for name in code.co_names:
        if name in module:
            _remember(found, f"the global '{name}'", module, name, module[name])
    return found


def _captured_tensors(fn, depth: int = 3) -> list:
    """Tensors ``fn`` can reach from outside its arguments: through closures and globals,
    the functions those name, objects with ``parameters()`` (an ``nn.Module``), and lists,
    tuples and dicts. Their values are read on every call of the compiled program."""
    found: list = []
    seen: set = set()

    def visit(obj, depth):
        if id(obj) in seen or depth < 0:
            return
        seen.add(id(obj))
        if isinstance(obj, Tensor):
            found.append(obj)
        elif isinstance(obj, (list, tuple)):
            for item in obj:
                visit(item, depth - 1)
        elif isinstance(obj, dict):
            for item in list(obj.values())[:1000]:
                visit(item, depth - 1)
        elif inspect.isfunction(obj) or inspect.ismethod(obj):
            visit_function(getattr(obj, "__func__", obj), depth - 1)
            visit(getattr(obj, "__self__", None), depth - 1)
        elif callable(getattr(obj, "parameters", None)) and not isinstance(obj, type):
            try:
                for p in obj.parameters():
                    visit(p, depth)
            except TypeError:
                pass
            call = vars(type(obj)).get("forward") or vars(type(obj)).get("__call__")
            if inspect.isfunction(call):
                visit_function(call, depth - 1)

    def visit_function(function, depth):
        code = getattr(function, "__code__", None)
        if code is None or depth < 0:
            return
        for cell in getattr(function, "__closure__", None) or ():
            try:
                visit(cell.cell_contents, depth)
            except ValueError:  # an empty cell
                pass
        module = getattr(function, "__globals__", {})
        for name in code.co_names:
            if name in module and not inspect.ismodule(module[name]):
                visit(module[name], depth)

    visit(fn, depth)
    return found


def _remember(found, where, holder, key, obj) -> None:
    if not isinstance(obj, (Tensor, np.ndarray)):
        return
    # A tensor's current value is read on every call (see _captured_tensors): only
    # rebinding the name is stale. An array is a constant of the program: checked by value.
    snapshot = None if isinstance(obj, Tensor) or obj.size > CHECKED_CONSTANT_SIZE else \
        obj.copy()
    found.append((where, holder, key, obj, None, snapshot))


# ------------------------------------------------------------------- the backward
def _trace_backward(value: Tensor, wrt: list) -> list:
    """Record the backward pass of ``value`` into the leaves ``wrt``; their gradients."""
    order = topological_order([value])
    leads = set(wrt)
    for t in order:
        if t._op is not None and any(p in leads for p in t._inputs if isinstance(p, Tensor)):
            leads.add(t)
    seed = _recording_leaf(np.ones_like(value.data), "1", traced=False)
    pending = {value: seed}
    found = {}
    for t in reversed(order):
        g = pending.pop(t, None)
        if g is None or t not in leads:
            continue
        if t._op is None:
            found[t] = g
            continue
        grads = _call_rule(t._op, g, t, t._inputs, t._params or {})
        for position, (parent, pg) in enumerate(zip(t._inputs, grads)):
            if not (isinstance(parent, Tensor) and parent in leads):
                continue
            if pg is None:
                raise TraceError(f"op '{t._op.name}' is not differentiable with respect to "
                                 f"input {position}, but that input needs a gradient")
            if not isinstance(pg, Tensor):
                pg = Tensor(np.asarray(pg))
            if pg.data.shape != parent.data.shape:
                pg = sum_to_shape(pg, parent.data.shape, t._op.name)
            previous = pending.get(parent)
            pending[parent] = pg if previous is None else previous + pg
    return [found.get(w) for w in wrt]


def _call_rule(op: Op, g, out, inputs, params):
    grads = op.backward(g, out, *inputs, **params)
    if not isinstance(grads, (tuple, list)):
        grads = (grads,)
    if len(grads) != len(inputs):
        raise TraceError(f"backward of op '{op.name}' returned {len(grads)} gradient(s) for "
                         f"{len(inputs)} input(s)")
    return tuple(grads)


# --------------------------------------------------------------------- building
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


def _build(inputs: list, roots: list, wrt: list, captured=frozenset()) -> Program:
    """Read the recorded graph behind ``roots`` into an optimized :class:`Program`.

    Leaf tensors whose id is in ``captured`` (state ``fn`` reached from outside: closures,
    globals, module parameters) become extra inputs, read on every call."""
    captured_tensors: list[Tensor] = []
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
            if id(t) not in captured:
                continue  # a constant, or an input: resolved where it is used (_value_of)
            # state reached from fn (closures, globals, module parameters): read every call
            v = Value("input", example=t.data, name=t.name or "captured",
                      index=len(input_values))
            input_values.append(v)
            captured_tensors.append(t)
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
    if key is not None:
        table = constants.setdefault("__steps__", {})
        if key in table:
            stats["common"] += 1
            return table[key]
        table[key] = v
    steps.append(v)
    return v


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


# --------------------------------------------------------------------- public API
def compile(fn):  # noqa: A001 - the name a PyTorch/jax user expects
    """Trace ``fn`` (tensors in, tensors out) once per signature; replay it on arrays.

    ``fn`` takes tensors, arrays, numbers, or tuples, lists and dicts of them, and returns
    tensors (or such containers). The first call with a new signature (argument structure,
    shapes, dtypes and the Python numbers) runs ``fn`` on recording tensors and keeps the
    optimized program; later calls replay it. Results are Tensors that do not require grad
    (arrays where ``fn`` returned arrays). See the module docs for what tracing freezes.

    >>> import numpy as np
    >>> import tinygrad_lr as tg
    >>> f = tg.compile(lambda x, w: (x @ w).sigmoid())
    >>> f(np.ones((2, 3)), np.zeros(3)).tolist()
    [0.5, 0.5]
    >>> f(np.ones((4, 3)), np.zeros(3)).shape, f.traces  # a new shape: traced again
    ((4,), 2)
    """
    return Compiled(fn)


def value_and_grad(fn, argnums=0):
    """Compile ``fn`` and its gradient: the call returns ``(value, grads)``.

    ``fn`` returns a single-element Tensor. ``grads`` mirrors argument ``argnums`` (an
    int, or a tuple of ints for a tuple of results): the same tuples, lists and dicts,
    with arrays for arrays and Tensors for Tensors. Every floating-point leaf of those
    arguments is differentiated; a leaf the value does not depend on gets zeros. The
    backward pass is traced through the registered rules, as ``create_graph=True``
    records it, and replayed with the forward as one program.

    >>> import numpy as np
    >>> import tinygrad_lr as tg
    >>> import tinygrad_lr.functional as F
    >>> def loss(params, X, y):
    ...     w, b = params
    ...     return F.binary_cross_entropy_with_logits(X @ w + b, y)
    >>> step = tg.value_and_grad(loss)
    >>> X, y = np.array([[1.0, 2.0], [0.5, -1.0]]), np.array([1.0, 0.0])
    >>> value, (dw, db) = step((np.zeros(2), np.zeros(())), X, y)
    >>> round(float(value), 6), dw.tolist(), float(db)
    (0.693147, [-0.125, -0.75], 0.0)
    """
    if not isinstance(argnums, int) and not (
            isinstance(argnums, tuple) and argnums and all(isinstance(n, int) for n in argnums)):
        raise TypeError(f"argnums must be an int or a non-empty tuple of ints, got {argnums!r}")
    return Compiled(fn, argnums=argnums)
