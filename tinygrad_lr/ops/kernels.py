"""The engine's speed kernels: numpy code that works in buffers of its own.

Each function here computes a plain formula (written beside it) in fewer passes over
memory than the formula would: in place in one buffer it allocated itself, with no
temporaries. The ops call them as their forwards (sigmoid, the internal backward ops of
sigmoid, tanh and binary cross-entropy, the losses); the op units stay readable, and
tests/ops/test_in_place.py checks every kernel against its plain formula.

A temporary that never leaves its kernel (the per-element terms of a reduced loss, a
clipped copy) lives in a :func:`scratch` buffer kept between calls: two such arrays of
200,000 float64 freed together make glibc hand the memory back to the system, and the
next call pays page faults again (binary cross-entropy's forward: 1.66 ms with fresh
buffers, 0.97 ms with kept ones).
"""

from __future__ import annotations

import functools
import threading

import numpy as np

IN_PLACE_MIN_SIZE = 1 << 14
"""Arrays with fewer elements are multiplied into a new one: numpy allocates small arrays
quickly, and ``out=`` costs more than it saves. Above, fresh memory costs page faults."""


def scaled_in_place(values: np.ndarray, factor) -> np.ndarray:
    """``values * factor``, written into ``values`` (a buffer the caller made) when it fits.

    With ``casting="no"`` numpy refuses, before touching the buffer, whenever the product
    would have another dtype or a bigger shape; then it is a new array, as ``*`` gives.
    """
    if values.__class__ is not np.ndarray or values.size < IN_PLACE_MIN_SIZE:
        return values * factor
    try:
        return np.multiply(values, factor, out=values, casting="no")
    except (TypeError, ValueError):
        return values * factor


SCRATCH_SIZES = (1 << 16, 1 << 18)
"""The sizes (elements) of temporaries kept between calls. Below, fresh memory costs no
more (20,000 elements: the same time); above, the kept buffers would hold more than
2 MB each after the call (two slots per thread), and a step that large pays for its own
arrays anyway."""

_SCRATCH = threading.local()


def scratch(slot: int, shape: tuple, dtype) -> np.ndarray:
    """A buffer of ``shape`` and ``dtype`` for a kernel's temporary, kept between calls.

    ``slot`` is 0 or 1: one buffer each per thread (``threading.local``), so two threads
    never share one, and no kernel calls another while it holds a slot, so a buffer is
    never in use twice. The contents are garbage, and the buffer never leaves its kernel
    (a result handed out is fresh). Sizes outside :data:`SCRATCH_SIZES` are fresh.
    """
    buffers = _SCRATCH.__dict__
    found = buffers.get(slot)
    if found is None or found.shape != shape or found.dtype != dtype:
        found = np.empty(shape, dtype)
        if SCRATCH_SIZES[0] <= found.size <= SCRATCH_SIZES[1]:
            buffers[slot] = found
    return found


def stable_sigmoid(z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """1 / (1 + e^-z) for any z, accurate in both tails.

    e^-z would overflow for very negative z; clamping z there changes σ(z) by less than
    the smallest normal float. The steps run in place on one buffer: on large arrays that
    is several times faster than the same formula with temporaries. ``out``: a buffer of
    the result's shape and dtype to write into (a compiled program's kept buffer; the
    same calls, the same bits); any other is ignored and the result is fresh.
    """
    z = np.asarray(z)
    dtype = z.dtype if z.dtype.kind == "f" else np.dtype(np.float64)
    if out is None or out.shape != z.shape or out.dtype != dtype or \
            out.__class__ is not np.ndarray:
        out = np.empty(z.shape, dtype)
    out = np.maximum(z, -_exp_limit(dtype), out=out)  # clamp and copy
    np.negative(out, out=out)
    np.exp(out, out=out)
    out += 1
    np.divide(1.0, out, out=out)  # what np.reciprocal computes, in numpy's vectorized loop
    return out


@functools.cache
def _exp_limit(dtype: np.dtype) -> float:
    """The largest x whose e^x is finite in ``dtype``, with a margin."""
    return float(np.log(np.finfo(dtype).max)) - 1.0


def stable_softplus(x: np.ndarray) -> np.ndarray:
    """log(1 + e^x) = max(x, 0) + log1p(e^−|x|) for any x, in one buffer (as for sigmoid)."""
    x = np.asarray(x)
    x = x if x.dtype.kind == "f" else x.astype(np.float64)
    out = np.abs(x, out=np.empty_like(x))  # out= keeps 0-d inputs as arrays
    np.negative(out, out=out)
    np.exp(out, out=out)
    np.log1p(out, out=out)
    out += x.clip(0, np.inf)  # max(x, 0); clip with two bounds is numpy's fast loop
    return out


def logits_loss(z: np.ndarray, y, *, keep: bool = True) -> np.ndarray | None:
    """softplus(z) − y·z per element, as ``stable_softplus(z) − y·z`` rounds it, or None
    when some z is ±inf (the caller takes the limits there).

    Two buffers: the minimum of −|z| says whether a z is infinite (no separate ``isinf``
    pass); max(z, 0) and then y·z share the second one, a :func:`scratch` buffer.
    ``keep=False`` (the caller only reduces the terms): the terms are in a scratch buffer
    too. (``abs`` then an in-place ``negative``, not ``copysign``: numpy's float32
    ``copysign`` loop is not vectorized, three times slower.)
    """
    x = z if z.dtype.kind == "f" else z.astype(np.float64)
    out = np.abs(x, out=np.empty(x.shape, x.dtype) if keep else scratch(0, x.shape, x.dtype))
    np.negative(out, out=out)  # −|x|
    if out.size:
        smallest = np.minimum.reduce(out, axis=None)
        if smallest == -np.inf or (smallest != smallest and np.isinf(x).any()):
            return None
    np.exp(out, out=out)
    np.log1p(out, out=out)
    if np.result_type(y, z) != out.dtype or np.shape(y) not in ((), out.shape):
        out += x.clip(0, np.inf)
        out -= np.multiply(y, z)  # another dtype or shape: numpy's own promotion
        return out
    other = scratch(1, x.shape, x.dtype)
    out += x.clip(0, np.inf, out=other)  # max(x, 0); clip is numpy's fast loop
    out -= np.multiply(y, z, out=other)
    return out


def sigmoid_minus_target(z: np.ndarray, y, scale=None,
                         out: np.ndarray | None = None) -> np.ndarray:
    """scale · (σ(z) − y), rounded as ``scale * (stable_sigmoid(z) - y)`` (without a
    scale, ``stable_sigmoid(z) - y``): in σ's buffer, ``out`` when given (see
    :func:`stable_sigmoid`; the result may still be a new array: use the returned one)."""
    out = stable_sigmoid(z, out)
    if np.result_type(out, y) != out.dtype or np.shape(y) not in ((), out.shape):
        out = out - y
    else:
        out -= y
    if scale is None:
        return out
    if np.result_type(scale, out) != out.dtype or np.ndim(scale):
        return scale * out
    out *= scale
    return out


def sigmoid_backward(grad, out):
    """grad · out · (1 − out): σ's rule for the output out = σ(z)."""
    slope = 1 - out
    slope *= out  # in place: one buffer for the whole rule
    return scaled_in_place(slope, grad)


SMALL_RULE_SIZE = 2048
"""Below this many elements a rule's formula runs as plain expressions: ``out=`` costs each
call more than a fresh tiny array (tanh's rule on one element: 1.0 µs plain, 2.0 µs in
place; at 4,096 elements in place wins, 4.3 against 5.2 µs)."""


def tanh_backward(grad, out):
    """grad · (1 − out²): tanh's rule for the output out = tanh(x)."""
    slope = out * out  # then in place: one buffer for the whole rule (a 0-d one is a scalar)
    if slope.__class__ is not np.ndarray or slope.size < SMALL_RULE_SIZE:
        return (1 - slope) * grad
    np.subtract(1, slope, out=slope)
    if grad.__class__ is np.ndarray and grad.shape == slope.shape and grad.dtype == slope.dtype:
        return np.multiply(slope, grad, out=slope)  # slope * grad, even on small arrays
    return scaled_in_place(slope, grad)


def binary_cross_entropy_backward(grad, a, y, *, reduction, low, high):
    """grad · (−y/c + (1−y)/(1−c)) with c = clip(a, low, high), divided by a.size for
    ``reduction='mean'``."""
    a = np.asarray(a)
    if isinstance(y, np.ndarray) and y.dtype != a.dtype and a.dtype.kind == "f":
        y = y.astype(a.dtype)  # float32 probabilities keep float32 gradients
    dtype = a.dtype if a.dtype.kind == "f" else np.dtype(np.float64)
    clipped = a.clip(low, high, out=scratch(0, a.shape, dtype))
    # −y/c + (1−y)/(1−c) = (c − y) / c / (1 − c): two buffers and no temporaries,
    # which on large arrays saves most of the time (fresh memory is what costs)
    out = np.subtract(clipped, y)
    out /= clipped
    np.subtract(1, clipped, out=clipped)
    out /= clipped
    out = scaled_in_place(out, grad)
    if reduction == "mean":
        out /= a.size  # in place: cheaper than dividing a 0-d grad first
    return out


# --- Direct numpy calls with the answer of the call they replace, bit for bit --------------
# (sum's and matmul's forwards call them, and compiled programs name them directly:
# compiler/lowering.py; tests/ops/test_direct_kernels.py compares them on edge values)

try:  # the C functions np.einsum (optimize=False) and np.count_nonzero (no axis) call,
    # without their Python wrappers: ~1 µs and ~0.15 µs a call on W2's arrays
    from numpy._core.multiarray import c_einsum as _einsum
    from numpy._core.multiarray import count_nonzero as _count_nonzero
except ImportError:  # pragma: no cover - another numpy layout: the public functions
    _einsum, _count_nonzero = np.einsum, np.count_nonzero

COLUMN_SUM_MIN_ROWS = 16
"""``column_sum`` takes ``einsum`` for arrays at least this tall and at least as tall as
wide; on shorter or wider ones the ufunc reduction is as fast or faster (measured: 256 × 16
5.2 → 2.1 µs, 1024 × 32 21 → 9 µs, 100000 × 3 ×5; but 3 × 100000 and 20 × 500 slower)."""


def column_sum(x: np.ndarray) -> np.ndarray:
    """``np.add.reduce(x, axis=0)`` of a 2-D float array, bit for bit, through ``einsum``
    where that is faster.

    For a C-contiguous array with at least two columns both walk the rows in order and add
    each row into the running sums, so they round alike; ``einsum`` loops over a row at a
    time where the ufunc reduction pays per group of elements (on tall arrays: see
    :data:`COLUMN_SUM_MIN_ROWS`). Where a zero sum's sign could depend on how each one
    starts (−0.0 + −0.0 is −0.0, 0.0 + −0.0 is 0.0), a zero in the result is recomputed by
    ``np.add.reduce`` itself, as is any other layout or shape.

    >>> column_sum(np.array([[1.0, 2.0], [3.0, 4.0]])).tolist()
    [4.0, 6.0]
    """
    rows, columns = x.shape
    if (columns > 1 and rows >= COLUMN_SUM_MIN_ROWS and rows >= columns
            and x.flags.c_contiguous):
        out = _einsum("ij->j", x)
        if _count_nonzero(out) == out.size:
            return out
    return np.add.reduce(x, axis=0)


def outer_product(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``np.matmul(a, b)`` of an (m, 1) and a (1, n) float array, bit for bit, through
    ``einsum``.

    Each element of either is one product added to a zero: ``0 + aᵢ·bⱼ``, one rounding
    (and +0.0 for a product of −0.0), so they agree bit for bit; ``einsum`` skips the BLAS
    call's set-up, which dominates a product with nothing to sum (256 × 1 by 1 × 16:
    5.8 → 3.4 µs; 1000 × 1000 ×2.3). Below :data:`OUTER_PRODUCT_MIN_SIZE` elements it is
    ``np.matmul`` itself, as fast there.

    >>> outer_product(np.array([[1.0], [2.0]]), np.array([[3.0, -0.0]])).tolist()
    [[3.0, 0.0], [6.0, 0.0]]
    """
    if a.shape[0] * b.shape[1] < OUTER_PRODUCT_MIN_SIZE:
        return np.matmul(a, b)
    return _einsum("ik,kj->ij", a, b)


OUTER_PRODUCT_MIN_SIZE = 64
"""Smaller outer products are ``np.matmul``'s (2 × 2: 0.65 µs, einsum 0.83 µs)."""
