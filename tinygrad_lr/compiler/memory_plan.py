"""The memory plan: which steps of a program write into buffers kept between calls.

Shapes and dtypes are fixed by a program's signature, so a step whose op is a numpy ufunc
(``add``, ``exp`` ...), ``matmul``, ``sigmoid`` or a kernel of :data:`OUT_KERNELS` can
write its result into a preallocated buffer (``out=``) instead of fresh memory, which on
large arrays costs page faults on every call. A buffer is reused by a later step once
every reader of the value it holds has run.

What keeps this safe:

- only values whose every reader makes a fresh array of its own (a ufunc, ``matmul``,
  the loss and rule kernels in :data:`FRESH_READERS`), or is a reshape or transpose not
  handed to the caller whose own readers all do, are planned; the buffer is free again
  after the last reader of such a view, so no view outlives its value (a slice, or a
  view returned, keeps a value unplanned);
- results handed to the caller are never planned: they are fresh arrays on every call;
- a step writes into the buffer of one of its own arguments only when it is an
  elementwise ufunc reading that argument for the last time (numpy handles the exact
  overlap); ``matmul`` never does;
- each thread has its own buffers (``threading.local``): two threads calling the same
  compiled function never share memory;
- arrays smaller than :data:`PLAN_MIN_SIZE` are left to numpy's allocator (cheap there).

Below that size a kept buffer saves little, but a fresh one still costs (about a
microsecond for 32 KB, as much as the add that fills it): :func:`in_place` lets an
elementwise step write over an argument of the same shape and dtype that a ``matmul`` or
another ufunc of this call just made and that nothing reads afterwards, so ``X @ W + b``
and its ``tanh`` fill the product's array instead of two new ones.

Writing into ``out=`` runs the same numpy loop as allocating: the answers are eager's,
bit for bit (tests/compiler/test_memory_plan.py, test_memory_plan_kernels.py). A kernel
whose guard runs eager's chain returns a new array instead; the program uses the array
each call returns, never the buffer itself.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import numpy as np

from ..ops.kernels import sigmoid_minus_target, stable_sigmoid
from ..registry import get_op
from . import fused

Step = Any
"""A program step (:class:`tinygrad_lr.compiler.program.Value`; program.py imports this
module, so the class is not imported here)."""

PLAN_MIN_SIZE = 1 << 14
"""Below this many elements a fresh array is as cheap as a kept one."""

FRESH_READERS = frozenset({
    "matmul", "sigmoid", "softplus", "sum", "mean", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "binary_cross_entropy_backward", "sigmoid_backward",
    "tanh_backward", "sigmoid_bce_loss", "sigmoid_bce_backward", "log_one_minus_sigmoid",
    "small_sigmoid_bce_loss", "small_sigmoid_bce_backward", "sigmoid_minus_target",
})
"""Ops (besides ufuncs) whose forward never returns a view of an argument."""


OUT_KERNELS = {
    fused.SIGMOID_BCE_BACKWARD: ("sigmoid_bce_backward_out", fused.sigmoid_bce_backward_into),
    fused.SIGMOID_MINUS_TARGET: ("sigmoid_minus_target_out", sigmoid_minus_target),
}
"""Compiled programs' kernels and the function each one's forward calls, which takes
``out=`` (the fast path writes there; the guard's eager chain gives a new array: the
program uses the returned one)."""

VIEW_OPS = frozenset({"reshape", "transpose"})
"""Registered ops whose result may be a view of their argument."""


def writes_out(step: Step) -> bool:
    """Whether ``step``'s forward can take ``out=`` (a ufunc, matmul, sigmoid or one of
    :data:`OUT_KERNELS`)."""
    op = step.op
    if op is None or not isinstance(step.example, np.ndarray):
        return False
    if op in OUT_KERNELS:
        return True
    if step.params:
        return False
    if isinstance(op.forward, np.ufunc):
        return op.forward.nout == 1
    return op.name in ("matmul", "sigmoid") and _is_registered(op)


def out_function(step: Step) -> tuple | None:
    """``(name, function)`` a planned step calls with ``out=`` in place of its op's
    forward (the function that forward calls, which takes ``out=``), or None: the forward
    itself takes ``out=`` (a ufunc)."""
    if isinstance(step.op.forward, np.ufunc):
        return None
    if step.op in OUT_KERNELS:
        return OUT_KERNELS[step.op]
    if step.op.name == "sigmoid":
        return "sigmoid_out", stable_sigmoid
    return "matmul_out", np.matmul


def _is_registered(op) -> bool:
    try:
        return get_op(op.name) is op
    except KeyError:
        return False


def _reads_fresh(step: Step) -> bool:
    op = step.op
    if isinstance(op.forward, np.ufunc):
        return True
    if op.name in ("sum", "mean") and step.params.get("axis") == ():
        return False  # a sum over no axis may give back its argument
    return op.name in FRESH_READERS


def _is_view(step: Step) -> bool:
    return step.op is not None and step.op.name in VIEW_OPS and _is_registered(step.op)


def _safe(step: Step, readers: dict, kept: set) -> bool:
    """Every reader of ``step`` makes a fresh array, or is a view (a reshape, a transpose)
    not handed to the caller whose own readers are all safe: no view outlives its value."""
    return all(_reads_fresh(r) or (_is_view(r) and r not in kept and r in readers
                                   and _safe(r, readers, kept))
               for r in readers[step])


def _end(step: Step, readers: dict, last_use: dict) -> int:
    """The last step reading ``step``'s buffer, through a view too."""
    return max([last_use[step], *(_end(r, readers, last_use) for r in readers[step]
                                  if _is_view(r) and r in readers)])


enabled = True
"""Whether programs are generated with the plan (tests compare with and without)."""


def _readers(steps: list) -> tuple[dict, dict]:
    """The steps reading each step's value, and the index of its last reader."""
    ids = {id(step) for step in steps}
    readers: dict = {}
    last_use: dict = {}
    for i, step in enumerate(steps):
        for arg in step.args:
            if id(arg) in ids:
                readers.setdefault(arg, []).append(step)
                last_use[arg] = i
    return readers, last_use


def plan(steps: list, kept: set, promotes) -> dict:
    """Buffer slot of each planned step: ``{step: (slot, shape, dtype)}``.

    ``kept`` are the outputs (never planned); ``promotes(step)`` says a step runs widened
    to float64 (never planned: its dtype is not its arguments')."""
    if not enabled:
        return {}
    readers, last_use = _readers(steps)
    slots: list = []  # (shape, dtype) per slot
    free: dict = {}  # (shape, dtype) -> free slot numbers
    planned: dict = {}
    release: dict = {}  # step index -> slots freed after it
    for i, step in enumerate(steps):
        example = step.example
        if (step not in kept and writes_out(step) and not promotes(step)
                and example.size >= PLAN_MIN_SIZE and step in readers
                and _safe(step, readers, kept)):
            key = (example.shape, example.dtype)
            busy = {planned[a][0] for a in step.args if a in planned}
            if isinstance(step.op.forward, np.ufunc):
                # elementwise: writing over an argument read for the last time here is
                # safe (numpy handles the exact overlap), and holds one buffer, not two
                for a in dict.fromkeys(a for a in step.args if a in readers):
                    entry = (planned[a][0], key) if a in planned else None
                    if entry is not None and last_use[a] == i and entry in release.get(i, []):
                        busy.discard(entry[0])
                        free.setdefault(key, []).append(entry[0])
                        release[i].remove(entry)
            choices = [s for s in free.get(key, []) if s not in busy]
            if choices:
                slot = choices[0]
                free[key].remove(slot)
            else:
                slot = len(slots)
                slots.append(key)
            planned[step] = (slot, *key)
            release.setdefault(_end(step, readers, last_use), []).append((slot, key))
        for slot, key in release.pop(i, []):
            free.setdefault(key, []).append(slot)
    return planned


def _owned(step: Step) -> bool:
    """Whether ``step``'s result is a new array of this call, shared with nothing: made by
    a ufunc (of one output) or by ``matmul``, which never return an argument or a view."""
    op = step.op
    if op is None or step.params or not isinstance(step.example, np.ndarray) or \
            not step.example.ndim:  # a 0-d ufunc result is a numpy scalar, not an array
        return False
    if isinstance(op.forward, np.ufunc):
        return op.forward.nout == 1
    return op.name == "matmul" and _is_registered(op)


def in_place(steps: list, kept: set, promotes: Callable[[Step], bool], planned: dict) -> dict:
    """The argument each elementwise step writes its result over: ``{step: argument}``.

    A ufunc step (not widened, not given a kept buffer by :func:`plan`) writes into an
    argument when that argument is a step of this program whose array this call made
    (:func:`_owned`), has the step's shape and dtype, is not handed to the caller, gets no
    kept buffer, and is read here for the last time by a step that, like every other
    reader of it, makes a fresh array (so no view of it outlives this write). numpy runs
    the same loop with ``out=`` an exact overlap of an input: the bits are eager's."""
    if not enabled:
        return {}
    ids = {id(step) for step in steps}
    readers, last_use = _readers(steps)
    chosen: dict = {}
    for i, step in enumerate(steps):
        if step in planned or not _owned(step) or promotes(step) or \
                not isinstance(step.op.forward, np.ufunc):
            continue
        for arg in step.args:
            if (id(arg) in ids and last_use[arg] == i and arg not in kept
                    and arg not in planned and _owned(arg)
                    and arg.example.shape == step.example.shape
                    and arg.example.dtype == step.example.dtype
                    and all(_reads_fresh(r) for r in readers[arg])):
                chosen[step] = arg
                break
    return chosen


def buffers(slots: list) -> Callable[[], list]:
    """A function returning this thread's buffers for ``slots`` (made on first use)."""
    local = threading.local()

    def mine() -> list:
        found = getattr(local, "buffers", None)
        if found is None:
            found = local.buffers = [np.empty(shape, dtype) for shape, dtype in slots]
        return found

    return mine
