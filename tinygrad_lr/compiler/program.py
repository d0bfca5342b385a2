"""The program: its values and steps, and the Python source it runs (code generation).

A :class:`Program` is a straight-line list of op calls; :func:`generate` writes it as one
Python function, one line per step, with ``del`` after each buffer's last use. Pictures of
programs are drawn by :mod:`tinygrad_lr.viz.program`, which reads these objects.
"""

from __future__ import annotations

import builtins
import itertools
import keyword
from dataclasses import dataclass, field

import numpy as np

from ..registry import Op
from ..tensor import TraceError
from . import lowering, memory_plan


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
    and :func:`tinygrad_lr.viz.program.program_dot` for its picture (forward and backward
    pass), which reads this object.

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
        self.captured_paths: list = []  # where they were found, checked on every call
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


_RESERVED = frozenset({"program", "b", "buffers", "matmul_out", "sigmoid_out", "column_sum",
                       "np_matmul", "outer_product", "add_reduce", "sigmoid_bce_backward_out",
                       "sigmoid_minus_target_out"})


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
        # Exact types only: a numpy scalar's repr is not valid here, and its type matters to
        # numpy's promotion rules (np.float64 is a float subclass, but not a weak Python float).
        if type(arg) in (bool, int) or (type(arg) is float and np.isfinite(arg)):
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
    planned = memory_plan.plan(program.steps, kept, _promotes)
    over = memory_plan.in_place(program.steps, kept, _promotes, planned)
    if planned:  # this thread's buffers, kept between calls (see memory_plan)
        slots = {slot: (shape, dtype) for slot, shape, dtype in planned.values()}
        namespace["buffers"] = memory_plan.buffers([slots[k] for k in sorted(slots)])
        lines.append("    b = buffers()")
    for i, step in enumerate(program.steps):
        names[step] = f"v{i + len(program.inputs)}"
        promote = _promotes(step)
        direct = None if promote or step in planned or step in over else \
            lowering.call(step, ref, namespace)
        if direct is not None:  # the forward's numpy call itself (see lowering)
            step.line = f"{names[step]} = {direct}"
        else:
            function = op_names.get((step.op, promote))
            if function is None:
                function = step.op.name if step.op.name.isidentifier() else \
                    f"op{len(op_names)}"
                function += "_f64" if promote else ""
                while function in namespace or function in _RESERVED or keyword.iskeyword(
                        function) or (function[0] in "avc" and function[1:].isdigit()):
                    function += "_"
                op_names[(step.op, promote)] = function
                namespace[function] = _in_float64(step.op.forward) if promote else \
                    step.op.forward
            call = ", ".join([ref(a) for a in step.args]
                             + [f"{k}={ref(p)}" for k, p in step.params.items()])
            if step in planned:  # into a kept buffer (matmul's forward has no out=: numpy's)
                call += f", out=b[{planned[step][0]}]"
                substitute = memory_plan.out_function(step)
                if substitute is not None:
                    function, namespace[substitute[0]] = substitute
            elif step in over:  # over a dying argument this call made (see memory_plan)
                call += f", out={names[over[step]]}"
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
