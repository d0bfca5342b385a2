"""Direct calls: steps written as the numpy call their op's forward makes, decided once.

A program's signature fixes every step's shape and dtype, so what an op's forward decides
on each call (which numpy routine, which axes) can be decided when the program is
generated, and the program calls numpy directly:

- a 2-D ``transpose`` (reversing the axes) is the array's ``.T``: the view the forward's
  ``x.transpose(axes)`` returns, without two Python calls;
- ``matmul`` is ``np.matmul`` itself (its forward only adds a clearer message for shapes
  that cannot multiply, and a program's shapes are checked before it runs), and the
  product of a column by a row (a contraction of length one, as in ``dz @ W.T`` for a
  one-unit layer) is :func:`~tinygrad_lr.ops.kernels.outer_product`, the kernel the
  forward itself calls there;
- ``sum(x, axis=0)`` of a 2-D float array with at least two columns is
  :func:`~tinygrad_lr.ops.kernels.column_sum`, the kernel the forward calls there (the
  same sums in the same order, about twice as fast on tall narrow arrays: W2's bias
  gradients); any other ``sum`` is the forward's ``np.add.reduce`` call.

Each lowered call gives the forward's answer bit for bit (the kernels are the forwards'
own: tests/ops/test_direct_kernels.py compares them with numpy on random and edge values,
tests/compiler/test_lowering.py whole programs with eager).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..ops.kernels import column_sum, outer_product
from ..registry import registered_ops

Step = Any
"""A program step (:class:`tinygrad_lr.compiler.program.Value`; program.py imports this
module)."""

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def _is_registered(step: Step, name: str) -> bool:
    return step.op is not None and step.op.name == name and registered_ops().get(name) is step.op


def call(step: Step, ref: Callable[[Any], str], namespace: dict) -> str | None:
    """The text of ``step``'s direct call (its arguments named by ``ref``), or None when
    the step runs its op's forward. Adds the functions it names to ``namespace``."""
    args = step.args
    if _is_registered(step, "matmul") and len(args) == 2 and not step.params and all(
            hasattr(a, "example") for a in args):
        a, b = (np.asarray(x.example) for x in args)
        if (a.ndim == 2 and b.ndim == 2 and a.shape[1] == 1 and a.shape[0] > 1
                and b.shape[1] > 1 and a.dtype == b.dtype and a.dtype in _FLOATS):
            namespace["outer_product"] = outer_product
            return f"outer_product({ref(args[0])}, {ref(args[1])})"
        namespace["np_matmul"] = np.matmul
        return f"np_matmul({ref(args[0])}, {ref(args[1])})"
    if _is_registered(step, "transpose") and len(args) == 1:
        x = args[0]
        axes = step.params.get("axes")
        if hasattr(x, "example") and np.ndim(x.example) == 2 and (
                axes is None or [int(a) % 2 for a in axes] == [1, 0]):
            return f"{ref(x)}.T"
    if _is_registered(step, "sum") and len(args) == 1:
        x = args[0]
        axis = step.params.get("axis")
        axis = tuple(axis) if isinstance(axis, (list, tuple)) else (axis,)
        example = getattr(x, "example", None)
        if (isinstance(example, np.ndarray) and example.ndim == 2 and example.shape[1] > 1
                and example.dtype in _FLOATS and not step.params.get("keepdims")
                and len(axis) == 1 and isinstance(axis[0], int)
                and not isinstance(axis[0], bool) and axis[0] % 2 == 0
                and np.shape(step.example) == example.shape[1:]):
            namespace["column_sum"] = column_sum
            return f"column_sum({ref(x)})"
        if set(step.params) <= {"axis", "keepdims"}:  # the forward's own call, made here
            axis = step.params.get("axis")
            namespace["add_reduce"] = np.add.reduce
            return (f"add_reduce({ref(x)}, {ref(tuple(axis) if isinstance(axis, list) else axis)}"
                    f", keepdims={ref(step.params.get('keepdims', False))})")
    return None
