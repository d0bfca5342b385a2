"""Tracing: run the function once on recording tensors, build its program, replay it.

:class:`Compiled` keeps one program per signature; the backward pass is the engine's own
walk (:func:`tinygrad_lr.autograd.grad` with ``create_graph=True``), recorded into the same
program. While tracing, every op records (values without gradient too), and reading a
traced value in Python raises :class:`TraceError`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import grad_mode
from ..autograd import grad as _autograd_grad
from ..tensor import Tensor, TracedTensor, TraceError, wrap
from .arguments import (
    arg_names,
    describe,
    finisher,
    flatten,
    grad_finisher,
    has_static,
    leaf_names,
    leaf_objects,
    leaf_specs,
    leaf_starts,
    matcher,
    rebuild,
    tensors_of,
)
from .captured import StaleTraceError, captured_constants, captured_tensors, moved
from .passes import build
from .program import Program


def _recording_leaf(array: np.ndarray, name: str, traced: bool = True,
                    requires_grad: bool = True) -> Tensor:
    """A trace input: it records even when its dtype could not carry a gradient; reading
    its value in Python while tracing raises TraceError (``traced``).

    ``requires_grad=False`` for an input ``value_and_grad`` does not differentiate: ops on
    it record all the same (tracing records every op), but the traced backward never
    computes its gradient, which for the data X of ``X @ w`` would be a copy of X's size.
    """
    t = wrap(array)
    t.name = name
    t._requires_grad = requires_grad
    t._traced_input = traced
    if traced:
        t.__class__ = TracedTensor
    return t


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
        self._entry = None  # the last signature's entry: what the next call most likely is
        self._captured = captured_constants(fn)
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
        entry = self._entry
        leaves = entry.match(args) if entry is not None else None  # the last signature again?
        if leaves is None or grad_mode.state.anomaly:
            leaves = []
            spec = flatten(args, leaves, "args")[1]
            entry = self._programs.get(spec)
            if entry is None or grad_mode.state.anomaly:  # anomaly checks need the eager engine
                return self._trace(spec, args, keep=not grad_mode.state.anomaly)
            self._last, self._entry = spec, entry
        if self._captured:
            self._check_captured()
        program = entry.program
        if program.captured:  # state fn reads from outside: its current value, every call
            if program.captured_paths:
                self._check_not_moved(program)
            current = [c.data if isinstance(c, Tensor) else c for c in program.captured]
            self._check_captured_kind(program, current)
            leaves = [*leaves, *current]
        return entry.finish(program.run(*leaves))

    def program(self, *args) -> Program:
        """The program for ``args``' signature (traced now if new), or for the last call."""
        if args:
            leaves: list = []
            spec = flatten(args, leaves, "args")[1]
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
        return [", ".join(describe(s) for s in spec) for spec in self._programs]

    def _check_captured(self) -> None:
        for where, holder, key, obj, is_number in self._captured:
            current = holder[key] if isinstance(holder, dict) else holder.cell_contents
            if is_number:
                same = type(current) is type(obj) and (current == obj or current != current)
            else:
                same = current is obj
            if not same:
                raise StaleTraceError(
                    f"{self.__name__}: {where} was rebound after tracing; the program holds "
                    "its old value. Pass it as an argument (or compile again)"
                )

    def _check_captured_kind(self, program, current: list) -> None:
        # The program's steps were chosen for the traced shapes and dtypes (direct numpy
        # calls, buffers): a captured value that changed them needs a new trace.
        traced = program.inputs[len(program.inputs) - len(current):]
        for value, array in zip(traced, current):
            if not isinstance(array, np.ndarray) or array.shape != value.shape or \
                    array.dtype != value.example.dtype:
                was = describe(("a", value.shape, value.example.dtype))
                now = describe(("a", array.shape, array.dtype)) if isinstance(
                    array, np.ndarray) else type(array).__name__
                raise StaleTraceError(
                    f"{self.__name__}: the tensor or array it reads from outside its "
                    f"arguments ({value.name}) was an {was} when traced and is now an "
                    f"{now}; compile again for the new shape or dtype")

    def _check_not_moved(self, program) -> None:
        where = moved(program.captured_paths)
        if where is not None:
            raise StaleTraceError(
                f"{self.__name__}: the tensor or array it read at {where} was replaced by "
                "another object after tracing; the program reads the old one. Update it in "
                "place (t.data = ..., or an optimizer step), or compile again")

    def _trace(self, spec, args, keep: bool):
        names: list[str] = []
        for s, name in zip(spec, arg_names(self.fn, len(args))):
            leaf_names(s, name, names)
        leaf_arrays: list = []
        flatten(args, leaf_arrays, "args")
        originals: list = []
        leaf_objects(args, originals)
        names = [getattr(o, "name", None) or n for o, n in zip(originals, names)]
        program, finish = self._record(spec, leaf_arrays, names)
        self.traces += 1
        arrays = [*leaf_arrays, *[c.data if isinstance(c, Tensor) else c
                                  for c in program.captured]]
        results = program.run(*arrays)
        aliased = [i for i, r in enumerate(results) if i not in program._copies and any(
            isinstance(r, np.ndarray) and np.may_share_memory(r, a) for a in arrays)]
        if aliased:  # a view of an argument (a reshape, a transpose): results are fresh
            program.copy_outputs(aliased)
            results = program.run(*arrays)
        if keep:
            self._programs[spec] = self._entry = _Entry(program, finish, matcher(spec))
            self._last = spec
            self._captured = captured_constants(self.fn)
        return finish(results)

    def _record(self, spec, leaf_arrays, names):
        """Run ``fn`` on recording tensors (and its backward); the program and its finisher."""
        inputs = [_recording_leaf(a, n) for a, n in zip(leaf_arrays, names)]
        wrt = [] if self.argnums is None else self._wrt(spec, inputs)
        if wrt:  # only the differentiated leaves require grad (see _recording_leaf)
            differentiated = {id(t) for t, _ in wrt}
            for t in inputs:
                t._requires_grad = id(t) in differentiated
        rebuilt = [rebuild(s, iter(inputs[start:])) for s, start in
                   zip(spec, leaf_starts(spec))]
        with grad_mode.enable_grad(), grad_mode.tracing():
            result = self.fn(*rebuilt)
            try:
                out_spec = flatten(result, [], "result")
                if not any(isinstance(t, Tensor) for t in tensors_of(result)):
                    raise TypeError("no tensor")
            except TypeError:
                raise TraceError(
                    f"{self.__name__} returned a {type(result).__name__}; a compiled function "
                    "returns tensors (or tuples, lists and dicts of them)"
                ) from None
            if self.argnums is None:
                roots = tensors_of(result)
                finish = finisher(out_spec)
            else:
                value = _single_value(result, self.__name__)
                roots = [value] + _trace_backward(value, [t for t, _ in wrt])
                finish = grad_finisher(spec, self.argnums)
        paths = {id(found[0]): found for found in captured_tensors(self.fn)}
        program = build(inputs, roots, [t for t, _ in wrt],
                        {key: found[0] for key, found in paths.items()})
        program.captured_paths = [paths[id(c)] for c in program.captured
                                  if paths[id(c)][3] is not None]
        return program, finish

    def _wrt(self, spec, inputs):
        """The differentiated leaves: (trace tensor, leaf position), from ``argnums``."""
        argnums = (self.argnums,) if isinstance(self.argnums, int) else tuple(self.argnums)
        starts = leaf_starts(spec)
        chosen = []
        for n in argnums:
            if not -len(spec) <= n < len(spec):
                raise TraceError(f"{self.__name__}: argnums {n} is out of range for "
                                 f"{len(spec)} argument(s)")
            n %= len(spec)
            if has_static(spec[n]):
                raise TraceError(
                    f"{self.__name__}: argument {n} holds a Python number or None "
                    f"({describe(spec[n])}); numbers are constants of the trace: pass an "
                    "array (np.asarray(x)) for every value to differentiate"
                )
            specs: list = []
            leaf_specs(spec[n], specs)
            for k, s in enumerate(specs):
                if s[2].kind != "f":
                    raise TraceError(
                        f"{self.__name__}: argument {n} holds a {s[2]} array; only real "
                        "floating-point values can be differentiated"
                    )
                chosen.append((inputs[starts[n] + k], starts[n] + k))
        return chosen


def _single_value(result, name: str) -> Tensor:
    if not isinstance(result, Tensor):
        raise TraceError(f"value_and_grad({name}): the function must return one Tensor (the "
                         f"value to differentiate), got {type(result).__name__}")
    if result.data.size != 1:
        raise TraceError(f"value_and_grad({name}): the value must have a single element, got "
                         f"shape {result.shape}")
    return result


def compile(fn):  # noqa: A001 - the name a PyTorch/jax user expects
    """Trace ``fn`` (tensors in, tensors out) once per signature; replay it on arrays.

    ``fn`` takes tensors, arrays, numbers, or tuples, lists and dicts of them, and returns
    tensors (or such containers). The first call with a new signature (argument structure,
    shapes, dtypes and the Python numbers) runs ``fn`` on recording tensors and keeps the
    optimized program; later calls replay it. Results are Tensors that do not require grad
    (arrays where ``fn`` returned arrays). See docs/autograd.md for what tracing guarantees
    and refuses.

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


def _trace_backward(value: Tensor, wrt: list) -> list:
    """The gradients of ``value`` into ``wrt``, recorded: the engine's own backward walk
    with ``create_graph=True`` (None for a leaf the value does not depend on)."""
    if not value.requires_grad:  # a constant value: nothing depends on wrt
        return [None] * len(wrt)
    try:
        return list(_autograd_grad([value], wrt, create_graph=True, allow_unused=True))
    except RuntimeError as error:
        raise TraceError(str(error)) from None
