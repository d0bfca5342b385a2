"""More of numpy's differentiable functions, each a composition of existing ops (so first and
higher derivatives come free): degrees, radians, fabs, nan_to_num, append, row_stack, diff,
linspace, partition, rollaxis, select, and the one-axis step of ``gradient``.

``gradient`` itself returns one tensor per axis (a tuple, as numpy), so it is a plain
function over the registered ``gradient_along`` op, like the split family.
"""

from __future__ import annotations

import numpy as np

from ..composite import composite
from ..registry import BOOLEAN, KINK_AT_ZERO, REAL, Op
from ..tensor import Tensor
from .elementwise import where
from .reductions import normalize_axes
from .reshaping import atleast_2d, take_along_axis
from .shape import SequenceOp, concatenate, getitem, stack


def _along(axis: int, part) -> tuple:
    return (slice(None),) * axis + (part,)


def _constant_setting(value, op_name: str, setting: str):
    """A setting that numpy allows to be an array: a constant here, never a lost gradient."""
    if isinstance(value, Tensor):
        if value.requires_grad:
            raise TypeError(f"{op_name}: {setting}= is a constant setting and gets no gradient; "
                            f"join the tensor yourself with tg.concatenate to differentiate it")
        return value.data
    return value


# ------------------------------------------------------------------------ elementwise
@composite("degrees", formula="degrees(x) = x·180/π", numpy=np.degrees)
def degrees(x):
    """Radians to degrees, as ``np.degrees`` (the same as ``rad2deg``).

    >>> tg.degrees(tg.Tensor(3.141592653589793)).item()
    180.0
    """
    return x * (180 / np.pi)


@composite("radians", formula="radians(x) = x·π/180", numpy=np.radians)
def radians(x):
    """Degrees to radians, as ``np.radians`` (the same as ``deg2rad``).

    >>> round(tg.radians(tg.Tensor(180.0)).item(), 12)
    3.14159265359
    """
    return x * (np.pi / 180)


@composite("fabs", formula="∂|x|/∂x = sign(x)", numpy=np.fabs, domain=KINK_AT_ZERO)
def fabs(x):
    """The absolute value as a float, as ``np.fabs``; the gradient is sign(x) (0 at 0).

    >>> tg.fabs(tg.Tensor([-1.5, 2.0])).tolist()
    [1.5, 2.0]
    """
    return abs(x)


def _nan_to_num_forward(x, *, copy=True, nan=0.0, posinf=None, neginf=None):
    return np.nan_to_num(x, copy=True, nan=nan, posinf=posinf, neginf=neginf)


@composite("nan_to_num", formula="nan_to_num(x) = x where finite, else a constant (∂ = 0 there)",
           numpy=_nan_to_num_forward,
           cases=lambda shape: [((shape,), {}), ((shape,), {"nan": 1.5, "posinf": 9.0})])
def nan_to_num(x, *, copy=True, nan=0.0, posinf=None, neginf=None):
    """NaN → ``nan``, +inf → ``posinf``, −inf → ``neginf`` (the dtype's extremes by default),
    as ``np.nan_to_num``; always a new tensor (``copy`` is accepted for numpy's sake). The
    gradient is 1 at finite elements and 0 at the replaced ones.

    >>> tg.nan_to_num(tg.Tensor([float("nan"), 1.0, float("-inf")]), neginf=-9.0).tolist()
    [0.0, 1.0, -9.0]
    """
    info = np.finfo(x.dtype) if x.dtype.kind == "f" else np.finfo(np.float64)
    high = info.max if posinf is None else posinf
    low = info.min if neginf is None else neginf
    out = where(x == np.inf, high, x)
    out = where(x == -np.inf, low, out)
    return where(x != x, nan, out)


# ---------------------------------------------------------------------------- arrays
def _append_cases(shape):
    cases = [((shape, (2,)), {})]
    if shape:
        cases.append(((shape, (2,) + tuple(shape[1:])), {"axis": 0}))
        cases.append(((shape, tuple(shape)), {"axis": -1}))
    return cases


@composite("append", formula="append(x, v) = concatenate(x, v) (flattened for axis=None)",
           numpy=lambda x, values, *, axis=None: np.append(x, values, axis=axis),
           cases=_append_cases)
def append(x, values, *, axis=None):
    """``values`` joined after ``x`` along ``axis`` (both flattened for None), as ``np.append``.

    >>> tg.append(tg.Tensor([[1.0, 2.0]]), tg.Tensor([3.0])).tolist()
    [1.0, 2.0, 3.0]
    """
    if axis is None:
        return concatenate([x.reshape(-1), values.reshape(-1)], axis=0)
    return concatenate([x, values], axis=axis)


@composite("row_stack", formula="row_stack(x…) = vstack(x…)",
           numpy=lambda *xs: np.concatenate([np.atleast_2d(x) for x in xs], axis=0),
           cases=lambda shape: [((shape, shape), {}), ((shape, shape, shape), {}),
                                (((2, 3), (3,)), {})])
def row_stack(*tensors):
    """Join tensors row-wise, numpy's older name for :func:`vstack`.

    >>> tg.row_stack([tg.ones(2), tg.zeros(2)]).shape
    (2, 2)
    """
    return concatenate([atleast_2d(t) for t in tensors], axis=0)


row_stack.__class__ = SequenceOp  # one array given alone is the sequence of its rows


def _diff_forward(x, *, n=1, axis=-1, prepend=None, append=None):
    extra = {}
    if prepend is not None:
        extra["prepend"] = _constant_setting(prepend, "diff", "prepend")
    if append is not None:
        extra["append"] = _constant_setting(append, "diff", "append")
    return np.diff(x, n=n, axis=axis, **extra)


def _diff_cases(shape):
    shape = tuple(max(side, 2) for side in shape) or (3,)
    return [((shape,), {}), (((4,) + shape[1:],), {"n": 2, "axis": 0}),
            ((shape,), {"prepend": 0.5, "append": 2.0}), (((4,),), {"n": 0})]


@composite("diff", formula="diff(x)ᵢ = xᵢ₊₁ − xᵢ, n times along axis", numpy=_diff_forward,
           cases=_diff_cases)
def diff(x, *, n=1, axis=-1, prepend=None, append=None):
    """The n-th discrete difference along ``axis``, as ``np.diff``; ``prepend`` and ``append``
    (constants) are joined to x first.

    >>> tg.diff(tg.Tensor([1.0, 4.0, 9.0, 16.0])).tolist()
    [3.0, 5.0, 7.0]
    """
    if n < 0:
        raise ValueError(f"diff: order n must be non-negative, got {n}")
    if x.ndim == 0:
        raise ValueError("diff needs an input with at least 1 dimension")
    (axis,) = normalize_axes(axis, x.ndim)
    parts = []
    for edge, value in (("prepend", prepend), ("append", append)):
        if value is not None:
            value = np.asarray(_constant_setting(value, "diff", edge), dtype=x.dtype)
            if value.ndim == 0:
                shape = list(x.shape)
                shape[axis] = 1
                value = np.broadcast_to(value, shape)
            parts.append((edge, Tensor(value)))
    if parts:
        before = [t for edge, t in parts if edge == "prepend"]
        after = [t for edge, t in parts if edge == "append"]
        x = concatenate(before + [x] + after, axis=axis)
    for _ in range(n):
        x = getitem(x, index=_along(axis, slice(1, None))) - getitem(
            x, index=_along(axis, slice(None, -1)))
    return x * 1 if n == 0 else x


def _gradient_coefficients(length: int, spacing, edge_order: int):
    """The weights of f[i−1], f[i], f[i+1] for the interior and of the three edge points,
    from the sample coordinates (uniform for a scalar spacing), as numpy derives them."""
    if np.ndim(spacing) == 0:
        coordinates = np.arange(length) * float(spacing)
    else:
        coordinates = np.asarray(spacing, dtype=np.float64)
        if coordinates.shape != (length,):
            raise ValueError(f"gradient: coordinates of shape {coordinates.shape} do not match "
                             f"an axis of length {length}")
    if length < edge_order + 1:
        raise ValueError(f"gradient: an axis of length {length} is too short for "
                         f"edge_order={edge_order} (needs at least {edge_order + 1} samples)")
    dx = np.diff(coordinates)
    left, right = dx[:-1], dx[1:]
    interior = (-right / (left * (left + right)), (right - left) / (left * right),
                left / (right * (left + right)))
    if edge_order == 1:
        first = ((-1 / dx[0], 1 / dx[0], 0.0), (0, 1, 2))
        last = ((0.0, -1 / dx[-1], 1 / dx[-1]), (-3, -2, -1))
    else:
        a, b = dx[0], dx[1]
        first = ((-(2 * a + b) / (a * (a + b)), (a + b) / (a * b), -a / (b * (a + b))), (0, 1, 2))
        a, b = dx[-2], dx[-1]
        last = ((b / (a * (a + b)), -(a + b) / (a * b), (2 * b + a) / (b * (a + b))),
                (-3, -2, -1))
    return interior, first, last


def _gradient_forward(f, *, axis=0, spacing=1.0, edge_order=1):
    return np.asarray(np.gradient(f, _constant_setting(spacing, "gradient", "spacing"),
                                  axis=axis, edge_order=edge_order))


def _gradient_cases(shape):
    shape = tuple(max(side, 3) for side in shape) or (4,)
    return [((shape,), {}), ((shape,), {"axis": -1, "spacing": 0.5, "edge_order": 2}),
            (((4,) + shape[1:],), {"spacing": np.array([0.0, 0.5, 1.5, 1.75])}),
            (((4,),), {"spacing": np.array([0.0, 1.0, 1.5, 3.0]), "edge_order": 2})]


@composite("gradient_along", formula="central differences inside, one-sided at the edges",
           numpy=_gradient_forward, cases=_gradient_cases)
def gradient_along(f, *, axis=0, spacing=1.0, edge_order=1):
    """numpy's ``gradient`` along one axis: second-order central differences inside and
    ``edge_order`` one-sided differences at the ends; ``spacing`` is the sample distance or
    the samples' coordinates (a 1-D constant). :func:`gradient` calls it per axis.

    >>> tg.gradient_along(tg.Tensor([1.0, 4.0, 9.0, 16.0])).tolist()
    [3.0, 4.0, 6.0, 7.0]
    """
    if edge_order not in (1, 2):
        raise ValueError(f"gradient: edge_order must be 1 or 2, got {edge_order!r}")
    (axis,) = normalize_axes(axis, f.ndim)
    length = f.shape[axis]
    spacing = _constant_setting(spacing, "gradient", "spacing")
    interior, first, last = _gradient_coefficients(length, spacing, edge_order)
    shape = [1] * f.ndim
    shape[axis] = -1

    def weighted(weights, start, stop):
        return Tensor(np.reshape(weights, shape)) * getitem(
            f, index=_along(axis, slice(start, stop)))

    def edge(weights, points):
        total = None
        for weight, point in zip(weights, points):
            if weight == 0.0:
                continue
            term = getitem(f, index=_along(axis, slice(point, point + 1 or None))) * weight
            total = term if total is None else total + term
        return total

    middle = (weighted(interior[0], None, -2) + weighted(interior[1], 1, -1)
              + weighted(interior[2], 2, None))
    return concatenate([edge(*first), middle, edge(*last)], axis=axis)


def gradient(f, *varargs, axis=None, edge_order: int = 1):
    """The gradient of sampled values, as ``np.gradient``: one tensor per axis (a tuple when
    there are several axes, the tensor itself for one). ``varargs``: nothing (spacing 1), one
    spacing for every axis, or one spacing or coordinate array per axis.

    >>> import tinygrad_lr as tg
    >>> tg.gradient(tg.Tensor([1.0, 2.0, 4.0, 7.0]), 2.0).tolist()
    [0.5, 0.75, 1.25, 1.5]
    """
    f = f if isinstance(f, Tensor) else Tensor(np.asarray(f, dtype=np.float64))
    if f.ndim == 0:
        raise ValueError("gradient needs an input with at least 1 dimension")
    axes = normalize_axes(axis, f.ndim)
    if not varargs:
        spacings = [1.0] * len(axes)
    elif len(varargs) == 1 and np.ndim(varargs[0]) == 0:
        spacings = list(varargs) * len(axes)
    elif len(varargs) == len(axes):
        spacings = list(varargs)
    else:
        raise TypeError(f"gradient: give no spacing, one, or one per axis ({len(axes)}); "
                        f"got {len(varargs)}")
    results = tuple(gradient_along(f, axis=a, spacing=s, edge_order=edge_order)
                    for a, s in zip(axes, spacings))
    return results[0] if len(results) == 1 else results


def _linspace_forward(start, stop, *, num=50, endpoint=True, retstep=False, dtype=None,
                      axis=0):
    _check_linspace(num, retstep, dtype)
    return np.linspace(start, stop, num, endpoint=endpoint, dtype=dtype, axis=axis)


def _check_linspace(num, retstep, dtype) -> None:
    if retstep:
        raise TypeError("linspace: retstep=True is handled by tg.linspace itself")
    if int(num) != num or num < 0:
        raise ValueError(f"linspace: num must be a non-negative integer, got {num!r}")
    if dtype is not None and np.dtype(dtype).kind != "f":
        raise TypeError(f"linspace: dtype={np.dtype(dtype)} has no gradient; only floating "
                        "dtypes are supported on tensors")


def _linspace_cases(shape):
    return [((shape, shape), {"num": 5}), (((), ()), {"num": 4, "endpoint": False}),
            ((shape, shape), {"num": 3, "axis": -1}), (((), (2,)), {"num": 2}),
            (((), ()), {"num": 1})]


class _LinspaceOp(Op):
    """``retstep=True`` returns ``(samples, step)`` as numpy does: two tensors."""

    def __call__(self, *args, **params):
        if not params.get("retstep"):
            return Op.__call__(self, *args, **params)
        params = {**params, "retstep": False}
        samples = Op.__call__(self, *args, **params)
        start, stop = args[:2]
        num = params.get("num", args[2] if len(args) > 2 else 50)
        endpoint = params.get("endpoint", True)
        divisions = num - 1 if endpoint else num
        step = (stop - start) / divisions if divisions > 0 else (stop - start) * np.nan
        return samples, step if isinstance(step, Tensor) else Tensor(step)


@composite("linspace", formula="linspace(a, b)ₖ = a + (b − a)·k/(num − 1)",
           numpy=_linspace_forward, cases=_linspace_cases)
def linspace(start, stop, *, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    """``num`` evenly spaced samples from ``start`` to ``stop`` (arrays broadcast; the samples
    along ``axis``), as ``np.linspace``; differentiable in start and stop.

    >>> tg.linspace(tg.Tensor(0.0), tg.Tensor(1.0), num=5).tolist()
    [0.0, 0.25, 0.5, 0.75, 1.0]
    """
    _check_linspace(num, retstep, dtype)
    num = int(num)
    divisions = num - 1 if endpoint else num
    steps = np.arange(num, dtype=np.float64) / max(divisions, 1)
    span_shape = np.broadcast_shapes(start.shape, stop.shape)
    fractions = Tensor(steps.reshape((num,) + (1,) * len(span_shape)))
    samples = start + (stop - start) * fractions
    if num and endpoint and num > 1:  # the last sample is stop itself, as numpy makes it
        last = stop.broadcast_to(span_shape).reshape((1,) + span_shape)
        samples = concatenate([getitem(samples, index=slice(None, -1)), last], axis=0)
    if dtype is not None:
        samples = samples.astype(dtype)
    (axis,) = normalize_axes(axis, samples.ndim)
    if axis:
        order = list(range(1, samples.ndim))
        order.insert(axis, 0)
        samples = samples.transpose(axes=tuple(order))
    return samples


linspace.__class__ = _LinspaceOp


def _partition_cases(shape):
    shape = shape or (3,)
    return [((shape,), {"kth": 0}), ((shape,), {"kth": -1, "axis": 0}),
            ((shape,), {"kth": (0, shape[-1] - 1)}), ((shape,), {"kth": 0, "axis": None})]


@composite("partition", formula="partition(x) = x[argpartition(x)]: the gradient follows "
           "the permutation", cases=_partition_cases)
def partition(x, *, kth, axis=-1, kind="introselect", order=None):
    """A copy with the k-th element in its sorted place, the smaller ones before it and the
    larger after, along ``axis`` (flattened for None), as ``np.partition``.

    >>> tg.partition(tg.Tensor([3.0, 1.0, 2.0]), kth=1).tolist()[1]
    2.0
    """
    if order is not None:
        raise ValueError("partition: order= applies to structured arrays, which tensors are not")
    if axis is None:
        x, axis = x.reshape(-1), 0
    indices = np.argpartition(x.data, kth, axis=axis, kind=kind)
    return take_along_axis(x, indices=indices, axis=axis)


def _rolled_order(ndim: int, axis: int, start: int) -> tuple:
    (axis,) = normalize_axes(axis, ndim)
    if not -ndim <= start <= ndim:
        raise ValueError(f"rollaxis: start={start} is out of range for an array of {ndim} "
                         "dimension(s)")
    start = start + ndim if start < 0 else start
    if axis < start:
        start -= 1
    order = [i for i in range(ndim) if i != axis]
    order.insert(start, axis)
    return tuple(order)


@composite("rollaxis", formula="rollaxis(x) = transpose(x, order)",
           numpy=lambda x, *, axis, start=0: np.rollaxis(x, axis, start),
           cases=lambda shape: [(((2, 3, 4),), {"axis": 2}), (((2, 3, 4),), {"axis": 0,
                                                                              "start": 3}),
                                ((shape or (2,),), {"axis": -1, "start": 0})])
def rollaxis(x, *, axis, start=0):
    """Move ``axis`` to before position ``start``, as ``np.rollaxis`` (moveaxis is clearer).

    >>> tg.rollaxis(tg.zeros(2, 3, 4), axis=2).shape
    (4, 2, 3)
    """
    return x.transpose(axes=_rolled_order(x.ndim, axis, start))


def _select_forward(conditions, choices, default):
    return np.select(list(conditions), list(choices), default)


def _select_cases(shape):
    return [((((2,) + tuple(shape)), (2,) + tuple(shape), shape), {}),
            ((((3,) + tuple(shape)), (3,) + tuple(shape), ()), {})]


class _SelectOp(Op):
    """numpy's ``select(condlist, choicelist, default=0)``: the default may be left out."""

    def __call__(self, *args, **params):
        if len(args) == 2:
            args = args + (params.pop("default", 0.0),)
        if len(args) == 3 and isinstance(args[0], (list, tuple)) \
                and isinstance(args[1], (list, tuple)):
            args = _stacked_choices(*args)
        return Op.__call__(self, *args, **params)


def _stacked_choices(condlist, choicelist, default):
    """numpy's lists, broadcast against each other and stacked: the conditions as one
    boolean array (constants), the choices as one tensor (keeping their gradients)."""
    if len(condlist) != len(choicelist):
        raise ValueError(f"select: {len(condlist)} condition(s) for {len(choicelist)} "
                         "choice(s); the lists must have the same length")
    if not condlist:
        raise ValueError("select needs at least one condition and choice")
    conditions = [np.asarray(c.data if isinstance(c, Tensor) else c) for c in condlist]
    for position, condition in enumerate(conditions):
        if condition.dtype != np.bool_:
            raise TypeError(f"select: condition {position} must be booleans, got "
                            f"{condition.dtype}")
    shape = np.broadcast_shapes(*(np.shape(v) for v in conditions + list(choicelist)),
                                np.shape(default))
    choices = [c if isinstance(c, Tensor) else Tensor(np.asarray(c, dtype=np.float64))
               for c in choicelist]
    return (np.stack([np.broadcast_to(c, shape) for c in conditions]),
            stack([c.broadcast_to(shape) for c in choices]), default)


@composite("select", formula="select(c, x, d) = x[first i with cᵢ], else d (∂ follows the pick)",
           numpy=_select_forward, domain=(BOOLEAN, REAL, REAL), cases=_select_cases)
def select(condlist, choicelist, default):
    """From ``choicelist``, the element of the first choice whose condition holds, else
    ``default``, as ``np.select`` (lists of same-shaped conditions and choices, stacked).

    >>> tg.select([tg.Tensor([1.0, -1.0]) > 0], [tg.Tensor([5.0, 6.0])], 0.0).tolist()
    [5.0, 0.0]
    """
    if condlist.ndim == 0 or condlist.shape[0] != choicelist.shape[0]:
        raise ValueError(f"select: {condlist.shape[0] if condlist.ndim else 0} condition(s) "
                         f"for {choicelist.shape[0] if choicelist.ndim else 0} choice(s)")
    if condlist.dtype != np.bool_:
        raise TypeError(f"select: the conditions must be booleans, got {condlist.dtype}")
    out = default
    for i in reversed(range(condlist.shape[0])):
        out = where(condlist[i], choicelist[i], out)
    return out * 1 if out is default else out


select.__class__ = _SelectOp
