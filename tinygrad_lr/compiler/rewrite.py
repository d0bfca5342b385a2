"""Rewrite rules over a traced program: patterns of steps replaced by shorter ones.

Each rule is one small function ``rule(step) -> Value | None``: it looks at a step the
trace just recorded and the steps its arguments come from, and returns the step's
replacement (an earlier value, or a new step whose arguments are earlier values), or None
when it does not match. :func:`rewrite` applies the rules in :data:`RULES` order to every
step as :func:`tinygrad_lr.compiler.passes.build` reads the graph; a step a replacement
leaves unused is removed with the other dead steps. The rules (docs/performance.md,
"Rewrite rules", lists what each does to rounding):

- exact: double negation ``−(−x) → x``; a transpose of a transpose that restores the
  order of the axes ``→ x``; ``σ(z) − y`` and ``c·(σ(z) − y)``, the with-logits loss's
  backward, as one kernel in one buffer;
- a few ulp: the sum of a broadcast single value ``Σ broadcast(c) → c·n``; the backward of
  the sigmoid-then-BCE chain ``σ′(∂L/∂a) → g·(a − y)/m`` (guarded: eager's chain where a
  probability is clipped);
- at most ``fused.LOGITS_FORM_ULP`` per element, guarded to ``|z| ≤ fused.LOGIT_LIMIT``
  (beyond: eager's formula): the sigmoid-then-BCE loss in the logits form
  ``softplus(z) − y·z``, and ``log(1 − σ(z)) → −softplus(z)``.

Constant folding, ``x·1``, ``x + 0`` and common subexpressions are done as the graph is
read (:func:`tinygrad_lr.compiler.passes.build`).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..registry import internal_op, registered_ops
from . import fused
from .program import Value
from .rewrite_small import RULES as SMALL_RULES


def _is_op(arg, name: str) -> bool:
    """Whether ``arg`` is a step of the registered op ``name`` (never a user's replacement)."""
    if not (isinstance(arg, Value) and arg.op is not None and arg.op.name == name):
        return False
    return (registered_ops().get(name) or internal_op(name)) is arg.op


def _step(like: Value, op, args: tuple, params: dict | None = None) -> Value:
    """A new step in ``like``'s phase, with ``like``'s shape and dtype."""
    return Value(like.phase, op, args, dict(params or {}), like.example)


def _same_kind(a: Value, b: Value) -> bool:
    return a.shape == b.shape and a.example.dtype == b.example.dtype


def double_negation(v: Value) -> Value | None:
    """−(−x) → x (exact)."""
    if _is_op(v, "neg") and _is_op(v.args[0], "neg"):
        inner = v.args[0].args[0]
        if isinstance(inner, Value) and _same_kind(inner, v):
            return inner
    return None


def _permutation(step: Value) -> list:
    ndim = len(step.args[0].shape)
    axes = step.params.get("axes")
    return list(range(ndim))[::-1] if axes is None else [int(a) % ndim for a in axes]


def transpose_of_transpose(v: Value) -> Value | None:
    """transpose(transpose(x)) → x when the two permutations cancel (exact)."""
    if not (_is_op(v, "transpose") and _is_op(v.args[0], "transpose")):
        return None
    inner = v.args[0]
    x = inner.args[0]
    if not isinstance(x, Value):
        return None
    first, second = _permutation(inner), _permutation(v)
    if [first[i] for i in second] == list(range(len(first))) and _same_kind(x, v):
        return x
    return None


def sum_of_broadcast(v: Value) -> Value | None:
    """Σ broadcast_to(c, shape) → c·n for a single value c, summed over every axis (the
    pairwise sum of n copies of c against one product: at most ⌈log₂ n⌉ roundings apart;
    exact when n is a power of two)."""
    if not (_is_op(v, "sum") and _is_op(v.args[0], "broadcast_to")) or \
            v.params.get("keepdims") or v.shape != ():
        return None
    c = v.args[0].args[0]
    if not isinstance(c, Value) or c.example.size != 1 or \
            c.example.dtype != v.example.dtype or c.example.dtype.kind != "f":
        return None
    n = int(np.prod(v.args[0].shape))
    ops = registered_ops()
    flat = _step(v, ops["reshape"], (c,), {"shape": ()}) if c.shape != () else c
    return _step(v, ops["mul"], (flat, float(n)))


def sigmoid_bce_backward(v: Value) -> Value | None:
    """σ′(∂BCE(a, y)/∂a, a) with a = σ(z) → g·(a − y)/m, the lecture's backward (guarded)."""
    if not (_is_op(v, "sigmoid_backward") and _is_op(v.args[0], "binary_cross_entropy_backward")):
        return None
    s = v.args[1]
    grad, a, y = v.args[0].args
    if a is not s or not _is_op(s, "sigmoid") or not _same_kind(s, v):
        return None
    return _step(v, fused.SIGMOID_BCE_BACKWARD, (grad, s, y), v.args[0].params)


def sigmoid_bce_loss(v: Value) -> Value | None:
    """BCE(σ(z), y), reduced → softplus(z) − y·z, reduced (the logits form; guarded)."""
    if not (_is_op(v, "binary_cross_entropy") and _is_op(v.args[0], "sigmoid")) or \
            v.params.get("reduction", "mean") == "none":
        return None
    s, y = v.args
    z = s.args[0]
    if not isinstance(z, Value) or not _same_kind(z, s):
        return None
    return _step(v, fused.SIGMOID_BCE_LOSS, (z, s, y), v.params)


def log_one_minus_sigmoid(v: Value) -> Value | None:
    """log(1 − σ(z)) → −softplus(z) (guarded)."""
    if not (_is_op(v, "log") and _is_op(v.args[0], "sub")):
        return None
    one, s = v.args[0].args
    is_one = (isinstance(one, (int, float)) and not isinstance(one, bool) and one == 1) or (
        isinstance(one, Value) and one.phase == "constant" and one.example.shape == ()
        and one.example == 1)
    if not is_one or not _is_op(s, "sigmoid") or not _same_kind(s, v):
        return None
    z = s.args[0]
    if not isinstance(z, Value) or not _same_kind(z, s):
        return None
    return _step(v, fused.LOG_ONE_MINUS_SIGMOID, (z, s, one))


def _single_number(arg) -> bool:
    """A Python number or a constant holding one number, not a per-call value."""
    if isinstance(arg, Value):
        return arg.phase == "constant" and np.ndim(arg.example) == 0
    return isinstance(arg, (int, float)) and not isinstance(arg, bool)


def sigmoid_minus_target(v: Value) -> Value | None:
    """σ(z) − y, and c·(σ(z) − y), → one kernel doing eager's calls in one buffer (exact):
    the backward of the with-logits loss (c is the mean's 1/m; 1 for a sum). Only a σ the
    backward pass computed: a σ of the forward pass has other readers (the loss), and the
    kernel would compute it a second time."""
    if _is_op(v, "sub") and _is_op(v.args[0], "sigmoid") and v.args[0].phase == "backward":
        s, y = v.args
        z = s.args[0]
        if isinstance(z, Value) and _same_kind(z, s) and _same_kind(s, v):
            return _step(v, fused.SIGMOID_MINUS_TARGET, (z, y))
        return None
    if not _is_op(v, "mul"):
        return None
    scale, difference = v.args
    if not _single_number(scale):
        scale, difference = difference, scale
    if not (_single_number(scale) and isinstance(difference, Value)
            and difference.op is fused.SIGMOID_MINUS_TARGET and len(difference.args) == 2
            and _same_kind(difference, v)):
        return None
    return _step(v, fused.SIGMOID_MINUS_TARGET, (*difference.args, scale))


RULES: tuple[Callable[[Value], Value | None], ...] = (*SMALL_RULES,
    double_negation, transpose_of_transpose, sum_of_broadcast, sigmoid_bce_backward,
    sigmoid_bce_loss, log_one_minus_sigmoid, sigmoid_minus_target,
)
"""The rules, tried in this order on every step."""

enabled = True
"""Whether :func:`rewrite` applies the rules (tests compare programs with and without)."""


def rewrite(v: Value, steps: list, stats: dict) -> Value:
    """``v`` after the first rule that matches (applied again to its replacement), with
    new steps appended to ``steps`` and the rule's name counted in ``stats["rewrites"]``."""
    if not enabled or v.op is None or not v.op.pure:
        return v
    for _ in range(8):  # a replacement may match another rule; never loop forever
        for rule in RULES:
            found = rule(v)
            if found is not None:
                break
        else:
            return v
        counts = stats.setdefault("rewrites", {})
        counts[rule.__name__] = counts.get(rule.__name__, 0) + 1
        if found.phase != "constant" and found.phase != "input" and found not in steps:
            for arg in found.args:  # a new step may need new steps before it (a reshape)
                if isinstance(arg, Value) and arg.op is not None and arg not in steps:
                    steps.append(arg)
            steps.append(found)
        if found.op is None or not found.op.pure or found.op.internal and \
                registered_ops().get(found.op.name) is not found.op:
            return found
        v = found
    return v
