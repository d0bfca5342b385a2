"""The steps rewrites put into a program: guarded kernels, each the eager ops' answer.

Each kernel here replaces a chain of op calls the rewrite rules (:mod:`.rewrite`) found in
a traced program. A kernel checks, on every call, that this call's values lie where its
shorter formula agrees with the eager chain within the documented tolerance (see
docs/performance.md, "Rewrite rules"); where they do not (a saturated sigmoid, a clipped
probability, a NaN, a logit beyond ``LOGIT_LIMIT``), it runs the eager chain itself, the
same op forwards in the same order, so the answer is eager's bit for bit, and its errors
are eager's errors.

The elementwise work of a kernel is a few in-place numpy calls, or, switched on with
:func:`use_numexpr` (or ``TINYGRAD_LR_NUMEXPR=1``) when the optional ``numexpr`` package is
installed, one multi-threaded numexpr pass over memory. Both agree within a few ulp (the
differential tests assert it). numexpr is off by default: measured on the benchmark
machine it was slower (docs/performance.md, "Fused kernels"), since numpy's own loops for
exp and log are vectorized and numexpr's are not.

These ops are never registered: they exist only inside compiled programs, which are
never traced again, so their backward refuses.
"""

from __future__ import annotations

import os

import numpy as np

from ..ops.kernels import logits_loss, sigmoid_minus_target, stable_softplus
from ..ops.losses import check_targets, in_unit_interval, probability_bounds, reduce_loss
from ..registry import Op, get_op

try:  # the optional fused backend: one pass over memory, on every core
    import numexpr
except ImportError:  # pragma: no cover - exercised when the extra is not installed
    numexpr = None

LOGIT_LIMIT = 4.0
"""The logits-form rules apply while every |z| ≤ this: there the eager form's own rounding
(1 − σ(z) computed after σ(z) was rounded) stays within ``LOGITS_FORM_ULP`` of the
logits form, per element. Beyond, the kernel computes the eager form."""

LOGITS_FORM_ULP = 128
"""The documented tolerance of the logits-form rules, in ulp of each element's value."""

FUSED_MIN_SIZE = 1 << 15
"""numexpr pays a start-up cost per call: below this many elements numpy is faster."""

_SIGMOID_RANGE: dict = {}


def use_numexpr(enabled: bool | None = None) -> bool:
    """Whether kernels use numexpr; ``enabled=False`` turns it off (tests compare both
    paths), ``True`` turns it back on when installed. Returns the setting now in force."""
    global _ENABLED
    if enabled is not None:
        _ENABLED = bool(enabled) and numexpr is not None
    return _ENABLED


_ENABLED = numexpr is not None and os.environ.get("TINYGRAD_LR_NUMEXPR", "") == "1"


def _fused(array: np.ndarray) -> bool:
    return _ENABLED and array.size >= FUSED_MIN_SIZE and array.dtype.kind == "f"


def _sigmoid_range(dtype: np.dtype) -> tuple:
    """σ(−LOGIT_LIMIT) and σ(LOGIT_LIMIT) in ``dtype``: s between them means |z| ≤ limit."""
    found = _SIGMOID_RANGE.get(dtype)
    if found is None:
        limit = np.asarray(LOGIT_LIMIT, dtype)
        found = _SIGMOID_RANGE[dtype] = (1 / (1 + np.exp(limit)), 1 / (1 + np.exp(-limit)))
    return found


def _within_logit_limit(s: np.ndarray) -> bool:
    """Every σ(z) corresponds to |z| ≤ LOGIT_LIMIT (False for any NaN). The upper side
    first: in training the logits of the confident class outgrow the limit first, and
    then one reduction decides."""
    if not s.size:
        return False
    low, high = _sigmoid_range(s.dtype)
    return bool(np.maximum.reduce(s, axis=None) <= high) and bool(
        np.minimum.reduce(s, axis=None) >= low)


def _unit_targets(y, like: np.ndarray) -> bool:
    """Targets are numbers in [0, 1] of ``like``'s shape (or one number) and dtype (one
    integer reduction; a −0.0 target sends the call to eager's chain)."""
    if isinstance(y, (int, float)) and not isinstance(y, bool):
        return 0 <= y <= 1
    if not isinstance(y, np.ndarray) or y.dtype != like.dtype or (
            y.ndim and y.shape != like.shape):
        return False
    return in_unit_interval(y)


def _kernel(name: str, label: str, formula: str, forward) -> Op:
    def backward(grad, out, *inputs, **params):
        raise RuntimeError(f"'{name}' is a compiled program's kernel: it has no backward")

    return Op(name, forward, backward, label=label, formula=formula, internal=True,
              doc=forward.__doc__)


_OPS = {name: get_op(name) for name in (
    "sigmoid_backward", "binary_cross_entropy", "binary_cross_entropy_backward", "log", "sub")}


def _sigmoid_bce_loss(z, s, y, *, reduction="mean"):
    """BCE of s = σ(z) against y in the logits form softplus(z) − y·z, reduced; the eager
    ``binary_cross_entropy(s, y)`` where some |z| > LOGIT_LIMIT, y is outside [0, 1], or a
    value is NaN."""
    if not (isinstance(s, np.ndarray) and s.dtype.type in (np.float32, np.float64)
            and isinstance(z, np.ndarray) and z.dtype == s.dtype
            and _within_logit_limit(s) and _unit_targets(y, s)):
        return _OPS["binary_cross_entropy"].forward(s, y, reduction=reduction)
    check_targets(s, y, "binary_cross_entropy: input")
    if _fused(z):  # |z| ≤ LOGIT_LIMIT: log1p(e^z) needs no shift
        loss = numexpr.evaluate("log1p(exp(z)) - y * z", local_dict={"z": z, "y": y})
    else:  # eager's with-logits terms (|z| ≤ LOGIT_LIMIT: finite)
        loss = logits_loss(z, y, keep=False)
    return reduce_loss(loss, reduction)


def _sigmoid_bce_backward(grad, s, y, *, reduction="mean"):
    """∂BCE(σ(z), y)/∂z = grad·(s − y) (divided by s.size for ``reduction='mean'``), the
    lecture's (a − y)/m; the eager chain σ′(∂L/∂a) where a probability is clipped (σ(z)
    rounds to 1), a value is NaN, or the dtypes would promote."""
    return sigmoid_bce_backward_into(grad, s, y, reduction=reduction)


def sigmoid_bce_backward_into(grad, s, y, *, reduction="mean", out=None):
    """The ``sigmoid_bce_backward`` kernel, its fast path writing into ``out`` (a kept
    buffer of s's shape and dtype: the same calls, the same bits). The guard's eager chain
    gives a new array, as does an ``out`` of another shape or dtype: use the returned one."""
    fast = (isinstance(s, np.ndarray) and s.dtype.type in (np.float32, np.float64)
            and np.ndim(grad) == 0 and np.result_type(grad, s) == s.dtype
            and (isinstance(y, (int, float)) and not isinstance(y, bool)
                 or isinstance(y, np.ndarray) and (y.shape == s.shape or not y.ndim)
                 and np.result_type(y, s) == s.dtype))
    if fast and s.size:
        high = probability_bounds(s.dtype)[1]
        fast = bool(np.maximum.reduce(s, axis=None) <= high)  # False for a NaN too
    if not fast:
        return _OPS["sigmoid_backward"].forward(_OPS["binary_cross_entropy_backward"].forward(
            grad, s, y, reduction=reduction), s)
    if out is not None and (out.shape != s.shape or out.dtype != s.dtype):
        out = None
    scale = s.dtype.type(grad)
    if reduction == "mean":
        if _fused(s):
            return numexpr.evaluate("(s - y) * scale / n", local_dict={
                "s": s, "y": y, "scale": scale, "n": s.dtype.type(s.size)}, out=out)
        out = np.subtract(s, y, out=out)
        if scale != 1:
            out *= scale
        out /= s.size
        return out
    if _fused(s):
        return numexpr.evaluate("(s - y) * scale", local_dict={"s": s, "y": y, "scale": scale},
                                out=out)
    out = np.subtract(s, y, out=out)
    if scale != 1:
        out *= scale
    return out


def _log_one_minus_sigmoid(z, s, one):
    """log(1 − σ(z)) as −softplus(z); eager's ``log(1 − s)`` where some |z| > LOGIT_LIMIT
    or a value is NaN."""
    if not (isinstance(s, np.ndarray) and s.dtype.type in (np.float32, np.float64)
            and isinstance(z, np.ndarray) and z.dtype == s.dtype and _within_logit_limit(s)):
        return _OPS["log"].forward(_OPS["sub"].forward(one, s))
    if _fused(z):
        return numexpr.evaluate("-log1p(exp(z))", local_dict={"z": z})
    out = stable_softplus(z)
    return np.negative(out, out=out)


SIGMOID_BCE_LOSS = _kernel("sigmoid_bce_loss", "L(z, y)", "softplus(z) − y·z",
                           _sigmoid_bce_loss)
SIGMOID_BCE_BACKWARD = _kernel("sigmoid_bce_backward", "∂L/∂z", "g·(a − y)/m",
                               _sigmoid_bce_backward)
LOG_ONE_MINUS_SIGMOID = _kernel("log_one_minus_sigmoid", "−softplus", "−softplus(z)",
                                _log_one_minus_sigmoid)


def _sigmoid_minus_target(z, y, scale=None):
    """scale·(σ(z) − y), the with-logits loss's backward: eager's ``scale * (σ(z) − y)``
    bit for bit, in one buffer (exact: no guard)."""
    return sigmoid_minus_target(z, y, scale)


SIGMOID_MINUS_TARGET = _kernel("sigmoid_minus_target", "∂L/∂z", "g·(σ(z) − y)",
                               _sigmoid_minus_target)
