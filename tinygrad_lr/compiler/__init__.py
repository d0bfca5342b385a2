"""The compiler: trace a function of tensors once; replay it as a program of registered ops.

``compile(fn)`` runs ``fn`` once on tensors that record, reads the graph it built and
turns it into a straight-line program: one call of an op's numpy ``forward`` per node,
nothing else. ``value_and_grad(fn)`` also traces the backward pass, through the same
registered backward rules with recording on (what ``create_graph=True`` does), so the
gradients become part of the same program. Later calls whose arguments have the same
structure, shapes and dtypes replay that program on plain arrays: no Tensor objects, no
op dispatch, no topological sort, no graph building.

Every call gives the eager engine's answer (see docs/autograd.md, "What tracing
guarantees"): backward rules are written in registered ops, masks included (comparison
ops), so they trace into the program like any op and follow each call's values; values
computed without gradient (``no_grad``, ``detach``) are recorded too; tensors ``fn``
reaches from outside (closures, globals, module parameters) are read on every call; Python
numbers are part of the signature (``-0.0`` apart from ``0.0``); impure ops are never
merged. Reading a traced value in Python (``float(t)``, ``if t:``, ``t.item()``,
``np.asarray(t)`` ...) raises :class:`TraceError` naming the line.

The parts, each with one responsibility: :mod:`.arguments` (flattening arguments,
signatures, rebuilding results), :mod:`.tracing` (running ``fn`` on recording tensors, the
backward walk of :mod:`tinygrad_lr.autograd`, the per-signature cache), :mod:`.passes`
(from the recorded graph to an optimized program), :mod:`.rewrite` (the rewrite rules,
with their guarded kernels in :mod:`.fused`; those for small arrays in
:mod:`.rewrite_small`), :mod:`.program` (the program and the Python source it runs),
:mod:`.lowering` (steps written as the numpy call their forward makes), :mod:`.memory_plan`
(buffers kept between calls, writes over dying temporaries), :mod:`.captured` (state
reached from outside the arguments).

>>> import numpy as np
>>> import tinygrad_lr as tg
>>> def loss(w, x):
...     return ((x @ w).tanh() ** 2).sum()
>>> step = tg.value_and_grad(loss)
>>> value, grad = step(np.array([0.5, -0.5]), np.array([[1.0, 2.0], [3.0, 1.0]]))
>>> round(float(value), 6), grad.shape
(0.793578, (2,))
"""

from ..tensor import TraceError
from .captured import StaleTraceError
from .program import Program, Value
from .tracing import Compiled, compile, value_and_grad  # noqa: A004 - as torch.compile

__all__ = ["Compiled", "Program", "StaleTraceError", "TraceError",
           "Value", "compile", "value_and_grad"]
