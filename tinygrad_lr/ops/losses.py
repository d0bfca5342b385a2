"""Fused loss ops: binary cross-entropy on probabilities and on logits.

Each loss is one op, so the lecture's graph has ``L(a, y)`` as a single node and its
backward is the hand-derived formula itself.
"""

from __future__ import annotations

import numpy as np

from ..formulas import Derivatives, Name
from ..registry import REAL, UNIT_INTERVAL, needs_grad, op
from ..tensor import Tensor
from . import kernels
from .elementwise import clip, sigmoid, where
from .kernels import stable_sigmoid, stable_softplus

REDUCTIONS = ("mean", "sum", "none")


def check_reduction(reduction) -> None:
    """Raise ValueError unless ``reduction`` is 'mean', 'sum' or 'none'."""
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")


def reduce_loss(per_element: np.ndarray, reduction: str) -> np.ndarray:
    """Apply a loss reduction to a numpy array of per-element losses."""
    check_reduction(reduction)
    if reduction == "none":
        return per_element
    if per_element.size == 0:
        raise ValueError("the loss of an empty batch is undefined")
    if reduction == "sum":
        return np.add.reduce(per_element, axis=None)
    if per_element.dtype.type in (np.float64, np.float32):  # what .mean() computes, sooner
        return np.add.reduce(per_element, axis=None) / per_element.size
    return per_element.mean()  # float16 accumulates in float32


def check_targets(prediction, target, what: str) -> None:
    """Targets must have the prediction's shape (or be a single number)."""
    if np.ndim(target) and np.shape(target) != np.shape(prediction):
        raise ValueError(
            f"{what} and target must have the same shape, got {np.shape(prediction)} and "
            f"{np.shape(target)} (reshape one of them; broadcasting here is almost always a bug)"
        )


def _check_probabilities(a: np.ndarray) -> None:
    """Refuse a NaN or a value outside [0, 1], naming it.

    For floats one integer reduction usually decides: the bit patterns of +0.0 … 1.0 are
    the unsigned integers 0 … bits(1.0), and every negative number (−0.0 too), every value
    above 1 and every NaN lies above that. Only an array that fails it is looked at closely.
    """
    if not a.size or in_unit_interval(a):
        return
    smallest, largest = np.minimum.reduce(a, axis=None), np.maximum.reduce(a, axis=None)
    if smallest != smallest:  # NaN: the minimum of an array holding one
        where = tuple(int(i) for i in np.argwhere(np.isnan(a))[0])
        raise ValueError(
            f"binary_cross_entropy needs probabilities in [0, 1], got NaN at position "
            f"{where} of the input"
        )
    if smallest < 0 or largest > 1:
        raise ValueError(
            f"binary_cross_entropy needs probabilities in [0, 1], got values from "
            f"{smallest:.4g} to {largest:.4g}; for raw scores use "
            "binary_cross_entropy_with_logits"
        )


def in_unit_interval(a: np.ndarray) -> bool:
    """Whether every value of a float16/32/64 array lies in [+0.0, 1], in one integer
    reduction (see :func:`_check_probabilities`); False for −0.0, a NaN, another dtype.

    >>> in_unit_interval(np.array([0.0, 0.5, 1.0])), in_unit_interval(np.array([-0.0]))
    (True, False)
    """
    as_bits = _UNIT_INTERVAL_BITS.get(a.dtype)
    return as_bits is not None and bool(a.size) and bool(
        np.maximum.reduce(a.view(as_bits[0]), axis=None) <= as_bits[1])


_UNIT_INTERVAL_BITS = {np.dtype(f): (np.dtype(u), np.array(1, f).view(u)[()])
                       for f, u in ((np.float64, np.uint64), (np.float32, np.uint32),
                                    (np.float16, np.uint16))}


def probability_bounds(dtype) -> tuple[float, float]:
    """The interval probabilities are clipped to, so that logs and quotients stay finite.

    Below, the smallest value the sigmoid returns (σ of its clamped input, a subnormal
    number whose reciprocal is still finite): every probability σ(z) produces passes the
    clip unchanged, so BCE's ∂L/∂a = −y/a times the sigmoid's a(1−a) gives dz = a − y
    however confident and wrong the prediction (dz = −1 for z ≤ −709 with y = 1). Above,
    1 − ε: nothing between it and 1 is representable.

    >>> probability_bounds("float64")
    (1.512094459139881e-308, 0.9999999999999998)
    """
    bounds = _BOUNDS.get(dtype)  # one lookup per call: the ops ask on every step
    if bounds is None:
        bounds = _BOUNDS[dtype] = _bounds(np.dtype(dtype if np.dtype(dtype).kind == "f"
                                                   else np.float64))
    return bounds


def _bounds(dtype: np.dtype) -> tuple[float, float]:
    info = np.finfo(dtype)
    floor = float(stable_sigmoid(np.array(-np.inf, dtype=dtype)))
    with np.errstate(over="ignore", divide="ignore"):
        usable = 0 < floor <= info.tiny and np.isfinite(dtype.type(1) / dtype.type(floor))
    return (floor if usable else float(info.tiny)), float(1 - info.eps)


_BOUNDS: dict = {}


def _in_dtype_of(y, like):
    """Targets in the prediction's dtype, so a float32 graph gets float32 gradients."""
    if isinstance(y, Tensor) and y.dtype != like.dtype and like.dtype.kind == "f":
        return y.astype(like.dtype)
    return y


def _per_element_grad(grad, a, reduction):
    return grad / np.size(a) if reduction == "mean" else grad


def _loss_cases(shape):
    return [((shape, shape), {"reduction": r}) for r in REDUCTIONS] + [(((), ()), {})]


@op("binary_cross_entropy", label="L(a, y)",
    derivatives=Derivatives("L", a=-Name("y") / Name("a") + (1 - Name("y")) / (1 - Name("a"))),
    domain=(UNIT_INTERVAL, UNIT_INTERVAL),
    cases=_loss_cases)
class binary_cross_entropy:
    """−(y·log a + (1−y)·log(1−a)) for probabilities a, clipped away from 0 and 1.

    >>> round(tg.binary_cross_entropy(tg.Tensor(0.5), 1.0).item(), 6)
    0.693147
    """

    def forward(a, y, *, reduction="mean"):
        check_targets(a, y, "binary_cross_entropy: input")
        a = np.asarray(a)
        _check_probabilities(a)
        dtype = a.dtype if a.dtype.kind == "f" else np.dtype(np.float64)
        low, high = probability_bounds(dtype)
        check_reduction(reduction)
        # out=: 0-d stays an array; a reduced loss keeps its terms in scratch buffers
        log_a = a.clip(low, high, out=np.empty(a.shape, dtype) if reduction == "none"
                       else kernels.scratch(0, a.shape, dtype))
        log_1_minus_a = np.negative(log_a, out=kernels.scratch(1, a.shape, dtype))
        np.log1p(log_1_minus_a, out=log_1_minus_a)
        np.log(log_a, out=log_a)
        # −(y·log a + (1−y)·log(1−a)) rearranged to work in place on the two log buffers
        log_a -= log_1_minus_a
        log_a *= y
        log_a += log_1_minus_a
        if reduction != "none":  # −Σt = Σ(−t) exactly: negate the sum, not every term
            return np.negative(reduce_loss(log_a, reduction))
        return np.negative(log_a, out=log_a)

    def backward(grad, out, a, y, *, reduction="mean"):
        grad_a = grad_y = None
        if needs_grad(a):
            grad_a = binary_cross_entropy_backward(grad, a, y, reduction=reduction)
        if needs_grad(y):
            g = _per_element_grad(grad, a, reduction)
            low, high = probability_bounds(a.dtype)
            clipped = clip(a, min=low, max=high)
            grad_y = g * ((1 - clipped).log() - clipped.log())
        return grad_a, grad_y


def _backward_cases(shape):
    return ([(((), shape, shape), {"reduction": r}) for r in ("mean", "sum")]
            + [((shape, shape, shape), {"reduction": "none"})])


@op("binary_cross_entropy_backward", label="∂L/∂a",
    formula="g·(−y/a + (1−y)/(1−a)), a clipped as in the loss",
    domain=(REAL, UNIT_INTERVAL, UNIT_INTERVAL), cases=_backward_cases, internal=True)
class binary_cross_entropy_backward:
    """The gradient of binary cross-entropy with respect to the probabilities, as one op.

    ``grad`` is the loss's incoming gradient (divided by the number of elements for
    ``reduction='mean'``); ``a`` is clipped exactly as in the loss. One op call instead of
    eight in every backward pass (and compiled program); its own backward keeps second
    derivatives (Newton's method, ``tg.hessian``) exact.

    >>> bce_backward = tg.get_op("binary_cross_entropy_backward")  # internal: not tg.*
    >>> bce_backward(tg.Tensor(1.0), tg.Tensor([0.8]), 1.0).tolist()
    [-1.25]
    """

    def forward(grad, a, y, *, reduction="mean"):
        a = np.asarray(a)
        low, high = probability_bounds(a.dtype if a.dtype.kind == "f" else np.float64)
        return kernels.binary_cross_entropy_backward(grad, a, y, reduction=reduction,
                                                     low=low, high=high)

    def backward(h, out, grad, a, y, *, reduction="mean"):
        # out is linear in grad; in a and y it is g·(−y/c + (1−y)/(1−c)) with c = clip(a).
        g = _per_element_grad(grad, a, reduction)
        y = _in_dtype_of(y, a)
        low, high = probability_bounds(a.dtype)
        clipped = clip(a, min=low, max=high)
        grad_grad = (binary_cross_entropy_backward(h, a, y, reduction=reduction)
                     if needs_grad(grad) else None)
        grad_a = None
        if needs_grad(a):
            inside = (a >= low) & (a <= high)  # clip's derivative: a mask, no gradient
            grad_a = where(inside, h * g * (y / (clipped * clipped)
                                            + (1 - y) / ((1 - clipped) * (1 - clipped))), 0.0)
        grad_y = h * g * -(1 / clipped + 1 / (1 - clipped)) if needs_grad(y) else None
        return grad_grad, grad_a, grad_y


@op("binary_cross_entropy_with_logits", label="L(z, y)",
    formula="∂L/∂z = σ(z) − y", domain=(REAL, UNIT_INTERVAL), cases=_loss_cases)
class binary_cross_entropy_with_logits:
    """Binary cross-entropy of σ(z) against y, computed from the logit z (finite for any
    finite z; at z = ±inf it is the limit: inf against the wrong label, 0 against the
    right one).

    >>> round(tg.binary_cross_entropy_with_logits(tg.Tensor(0.0), 1.0).item(), 6)
    0.693147
    >>> tg.binary_cross_entropy_with_logits(tg.Tensor([float("inf")] * 2), [0.0, 1.0],
    ...                                     reduction="none").tolist()
    [inf, 0.0]
    """

    def forward(z, y, *, reduction="mean"):
        check_targets(z, y, "binary_cross_entropy_with_logits: input")
        check_reduction(reduction)
        loss = kernels.logits_loss(np.asarray(z), y, keep=reduction == "none")
        if loss is None:  # some z is ±inf
            loss = _loss_at_infinite_logits(z, y)
        return reduce_loss(loss, reduction)

    def backward(grad, out, z, y, *, reduction="mean"):
        g = _per_element_grad(grad, z, reduction)
        y = _in_dtype_of(y, z)
        grad_z = g * (sigmoid(z) - y) if needs_grad(z) else None
        grad_y = g * -z if needs_grad(y) else None
        return grad_z, grad_y


def _loss_at_infinite_logits(z, y) -> np.ndarray:
    """softplus(z) − y·z where some z are ±inf, with each inf − inf replaced by its limit.

    At z = +inf the loss is (1 − y)·z, at z = −inf it is y·(−z): infinite unless that
    coefficient is 0, then 0 (a NaN y stays NaN).
    """
    with np.errstate(invalid="ignore"):
        loss = stable_softplus(z)
        loss -= np.multiply(y, z)
        z = np.broadcast_to(z, loss.shape)
        y = np.broadcast_to(np.asarray(y, dtype=loss.dtype), loss.shape)
        for sign, coefficient in ((1, lambda t: 1 - t), (-1, lambda t: t)):
            rows = np.isnan(loss) & (z == sign * np.inf)
            if rows.any():
                c = coefficient(y[rows])
                loss[rows] = np.where(c == 0, 0.0, c * np.inf)
    return loss
