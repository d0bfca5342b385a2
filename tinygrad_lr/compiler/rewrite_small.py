"""Rewrite rules for small arrays: the sigmoid-then-BCE chain with its checks made once.

On a few hundred elements a numpy call costs about a microsecond whatever it computes, so
the guarded kernels of :mod:`.fused` spend most of their time deciding whether their
shorter formula applies: type, dtype and shape tests, then reductions over the values. A
program's signature fixes shapes and dtypes, so these rules, tried before
:mod:`.rewrite`'s on chains of at most :data:`SMALL_MAX_SIZE` elements, settle those
tests at trace time:

- the backward ``σ′(∂BCE(a, y)/∂a)`` with ``a = σ(z)`` becomes the lecture's
  ``g·(a − y)/m``, computed in :mod:`.fused`'s order (the same bits, the same tolerance),
  after one value check, ``max a ≤ 1 − ε`` (no probability clipped; False for a NaN);
  where it fails, eager's chain runs: eager's answer, bit for bit;
- the loss ``BCE(σ(z), y)`` stays eager's op, exactly: the logits form is right only
  while every ``|z| ≤ fused.LOGIT_LIMIT``, and checking that costs a reduction on every
  call which, on a trained network (the W2 MLP passes |z| = 4 within a few hundred
  steps), buys nothing: eager's formula runs anyway.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..ops.losses import probability_bounds
from ..registry import Op, get_op, internal_op, registered_ops
from .program import Value

SMALL_MAX_SIZE = 1 << 14
"""Chains of at most this many elements get these rules; larger ones keep :mod:`.fused`'s
kernels (whose passes over memory matter there, not their checks)."""

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))

_OPS = {name: get_op(name) for name in (
    "sigmoid_backward", "binary_cross_entropy", "binary_cross_entropy_backward")}


def _is_op(arg, name: str) -> bool:
    """Whether ``arg`` is a step of the engine's op ``name`` (never a user's replacement)."""
    if not (isinstance(arg, Value) and arg.op is not None and arg.op.name == name):
        return False
    return (registered_ops().get(name) or internal_op(name)) is arg.op


def _small_float(v: Value) -> bool:
    example = v.example
    return isinstance(example, np.ndarray) and example.dtype in _FLOATS and \
        example.ndim > 0 and 0 < example.size <= SMALL_MAX_SIZE


def _targets_like(y, s: Value) -> bool:
    """Targets the kernels read as arrays: a value of ``s``'s shape and dtype."""
    return isinstance(y, Value) and isinstance(y.example, np.ndarray) and \
        y.shape == s.shape and y.example.dtype == s.example.dtype


def _small_sigmoid_bce_backward(grad, s, y, *, reduction="mean"):
    """∂BCE(σ(z), y)/∂z = grad·(s − y), divided by s.size for ``reduction='mean'``, while
    no probability is clipped; eager's chain σ′(∂L/∂a) otherwise (a NaN included)."""
    if np.maximum.reduce(s, axis=None) <= probability_bounds(s.dtype)[1]:
        out = np.subtract(s, y)
        scale = s.dtype.type(grad)
        if scale != 1:
            out *= scale
        if reduction == "mean":
            out /= s.size
        return out
    return _OPS["sigmoid_backward"].forward(_OPS["binary_cross_entropy_backward"].forward(
        grad, s, y, reduction=reduction), s)


def _kernel(name: str, label: str, formula: str, forward, doc: str) -> Op:
    def backward(grad, out, *inputs, **params):
        raise RuntimeError(f"'{name}' is a compiled program's kernel: it has no backward")

    return Op(name, forward, backward, label=label, formula=formula, internal=True, doc=doc)


SMALL_BINARY_CROSS_ENTROPY = _kernel(
    "small_binary_cross_entropy", _OPS["binary_cross_entropy"].label,
    _OPS["binary_cross_entropy"].formula, _OPS["binary_cross_entropy"].forward,
    "eager's binary_cross_entropy forward, which no later rule rewrites")
SMALL_SIGMOID_BCE_BACKWARD = _kernel(
    "small_sigmoid_bce_backward", "∂L/∂z", "g·(a − y)/m", _small_sigmoid_bce_backward,
    _small_sigmoid_bce_backward.__doc__)


def small_bce_stays_eager(v: Value) -> Value | None:
    """BCE(σ(z), y), reduced, on a small float array stays eager's op (exact): the logits
    form's value checks cost more there than its shorter formula saves."""
    if not (_is_op(v, "binary_cross_entropy") and _is_op(v.args[0], "sigmoid")
            and _small_float(v.args[0])):
        return None
    return Value(v.phase, SMALL_BINARY_CROSS_ENTROPY, v.args, dict(v.params), v.example)


def small_sigmoid_bce_backward(v: Value) -> Value | None:
    """σ′(∂BCE(a, y)/∂a, a) with a = σ(z), on a small float array → (a − y)·g/m."""
    if not (_is_op(v, "sigmoid_backward") and _is_op(v.args[0], "binary_cross_entropy_backward")):
        return None
    s = v.args[1]
    grad, a, y = v.args[0].args
    if a is not s or not _is_op(s, "sigmoid") or not _small_float(s) or \
            not _targets_like(v, s) or not _targets_like(y, s):
        return None
    g = grad.example if isinstance(grad, Value) else grad
    if isinstance(g, bool) or np.ndim(g) != 0 or np.result_type(g, s.example) != s.example.dtype:
        return None
    return Value(v.phase, SMALL_SIGMOID_BCE_BACKWARD, (grad, s, y), dict(v.args[0].params),
                 v.example)


RULES: tuple[Callable[[Value], Value | None], ...] = (
    small_sigmoid_bce_backward, small_bce_stays_eager)
"""The small-array rules, tried before :data:`tinygrad_lr.compiler.rewrite.RULES`."""
