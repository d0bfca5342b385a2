"""Shape functions with numpy's names and semantics, all compositions of reshape, transpose,
indexing, concatenate and multiplication by constant masks: their gradients are free.

The split family returns a list of tensors, each a slice of the input (a ``getitem`` node),
so it is a plain function rather than a registered op.
"""

from __future__ import annotations

import numpy as np

from ..composite import composite
from ..tensor import Tensor
from .reductions import normalize_axes
from .selection import argsort, gather_along_axis
from .shape import SequenceOp, broadcast_to, concatenate, getitem, reshape, scatter_add


def _shape_after(numpy_fn, shape, *args, **kwargs) -> tuple:
    """The shape numpy's function gives, from a zero-strided stand-in (no memory used)."""
    return np.shape(numpy_fn(np.broadcast_to(np.zeros((), bool), shape), *args, **kwargs))


def _along(axis: int, part) -> tuple:
    return (slice(None),) * axis + (part,)


def _one_axis_cases(shape):
    return [((shape,), {})] + ([((shape,), {"axis": 0}), ((shape,), {"axis": -1})]
                               if shape else [])


@composite("ravel", formula="ravel(x) = reshape(x, −1)", numpy=np.ravel, method=True,
           cases=lambda shape: [((shape,), {})])
def ravel(x):
    """The elements as a 1-D tensor, in C order, as ``np.ravel``.

    >>> tg.Tensor([[1.0, 2.0], [3.0, 4.0]]).ravel().tolist()
    [1.0, 2.0, 3.0, 4.0]
    """
    return reshape(x, shape=(-1,))


@composite("flatten", formula="flatten(x) = reshape(x, −1)", numpy=np.ravel, method=True,
           cases=lambda shape: [((shape,), {})])
def flatten(x):
    """The elements as a 1-D tensor, in C order (numpy's ``ndarray.flatten``).

    >>> tg.Tensor([[1.0], [2.0]]).flatten().shape
    (2,)
    """
    return reshape(x, shape=(-1,))


def _squeeze_cases(shape):
    with_ones = tuple(shape) + (1,)
    return [((with_ones,), {}), ((with_ones,), {"axis": -1}), (((1,) + tuple(shape),),
                                                               {"axis": 0})]


@composite("squeeze", formula="squeeze(x) = reshape without the length-1 axes",
           numpy=lambda x, *, axis=None: np.squeeze(x, axis=axis), method=True,
           cases=_squeeze_cases)
def squeeze(x, *, axis=None):
    """Drop length-1 axes (all of them, or those in ``axis``), as ``np.squeeze``.

    >>> tg.zeros(1, 3, 1).squeeze().shape
    (3,)
    """
    return reshape(x, shape=_shape_after(np.squeeze, x.shape, axis=axis))


@composite("expand_dims", formula="expand_dims(x) = reshape with a new length-1 axis",
           numpy=lambda x, *, axis: np.expand_dims(x, axis), method=True,
           cases=lambda shape: [((shape,), {"axis": 0}), ((shape,), {"axis": -1}),
                                ((shape,), {"axis": (0, -1)})])
def expand_dims(x, *, axis):
    """Insert length-1 axes at the positions ``axis``, as ``np.expand_dims``.

    >>> tg.zeros(3).expand_dims(0).shape
    (1, 3)
    """
    return reshape(x, shape=_shape_after(np.expand_dims, x.shape, axis))


def _moved_order(ndim: int, source, destination) -> tuple:
    source = normalize_axes(source, ndim)
    destination = normalize_axes(destination, ndim)
    if len(source) != len(destination):
        raise ValueError("moveaxis: source and destination need the same number of axes")
    order = [i for i in range(ndim) if i not in source]
    for dest, src in sorted(zip(destination, source)):
        order.insert(dest, src)
    return tuple(order)


def _two_axis_cases(first: str, second: str):
    def cases(shape):
        shape = tuple(shape) + (2,) * max(0, 2 - len(shape))
        return [((shape,), {first: 0, second: -1}), ((shape,), {first: -1, second: 0})]
    return cases


@composite("moveaxis", formula="moveaxis(x) = transpose(x, order)",
           numpy=lambda x, *, source, destination: np.moveaxis(x, source, destination),
           method=True, cases=_two_axis_cases("source", "destination"))
def moveaxis(x, *, source, destination):
    """Move axes ``source`` to positions ``destination``, keeping the others' order.

    >>> tg.zeros(2, 3, 4).moveaxis(0, -1).shape
    (3, 4, 2)
    """
    return x.transpose(axes=_moved_order(x.ndim, source, destination))


@composite("swapaxes", formula="swapaxes(x) = transpose(x, order)",
           numpy=lambda x, *, axis1, axis2: np.swapaxes(x, axis1, axis2), method=True,
           cases=_two_axis_cases("axis1", "axis2"))
def swapaxes(x, *, axis1, axis2):
    """Exchange two axes, as ``np.swapaxes``.

    >>> tg.zeros(2, 3).swapaxes(0, 1).shape
    (3, 2)
    """
    order = list(range(x.ndim))
    first, second = normalize_axes((axis1, axis2), x.ndim)
    order[first], order[second] = order[second], order[first]
    return x.transpose(axes=tuple(order))


@composite("flip", formula="flip(x) = x[…, ::−1, …]",
           numpy=lambda x, *, axis=None: np.flip(x, axis), method=True, cases=_one_axis_cases)
def flip(x, *, axis=None):
    """Reverse the order of elements along ``axis`` (all axes by default), as ``np.flip``.

    >>> tg.Tensor([1.0, 2.0, 3.0]).flip().tolist()
    [3.0, 2.0, 1.0]
    """
    axes = normalize_axes(axis, x.ndim) if x.ndim else ()
    return getitem(x, index=tuple(slice(None, None, -1) if i in axes else slice(None)
                                  for i in range(x.ndim)))


@composite("fliplr", formula="fliplr(x) = x[:, ::−1]", numpy=np.fliplr,
           cases=lambda shape: [((tuple(shape) + (2,) * max(0, 2 - len(shape)),), {})])
def fliplr(x):
    """Reverse the columns (axis 1; at least 2-D), as ``np.fliplr``.

    >>> tg.fliplr(tg.Tensor([[1.0, 2.0]])).tolist()
    [[2.0, 1.0]]
    """
    if x.ndim < 2:
        raise ValueError("fliplr needs an input with at least 2 dimensions")
    return flip(x, axis=1)


@composite("flipud", formula="flipud(x) = x[::−1]", numpy=np.flipud,
           cases=lambda shape: [((shape or (2,),), {})])
def flipud(x):
    """Reverse the rows (axis 0; at least 1-D), as ``np.flipud``.

    >>> tg.flipud(tg.Tensor([[1.0], [2.0]])).tolist()
    [[2.0], [1.0]]
    """
    if x.ndim < 1:
        raise ValueError("flipud needs an input with at least 1 dimension")
    return flip(x, axis=0)


def _roll_cases(shape):
    cases = [((shape,), {"shift": 1})]
    if shape:
        cases += [((shape,), {"shift": -1, "axis": 0}), ((shape,), {"shift": 2, "axis": -1})]
    return cases


@composite("roll", formula="roll(x)ᵢ = x[(i − shift) mod n]",
           numpy=lambda x, *, shift, axis=None: np.roll(x, shift, axis), method=True,
           cases=_roll_cases)
def roll(x, *, shift, axis=None):
    """Shift elements along ``axis`` cyclically (the flattened input for ``axis=None``).

    >>> tg.Tensor([1.0, 2.0, 3.0]).roll(1).tolist()
    [3.0, 1.0, 2.0]
    """
    if axis is None:
        return roll(x.reshape(-1), shift=shift, axis=0).reshape(x.shape)
    axes = normalize_axes(axis, x.ndim)
    shifts = np.broadcast_to(shift, (len(axes),))
    for ax, s in zip(axes, shifts):
        n = x.shape[ax]
        x = getitem(x, index=_along(ax, (np.arange(n) - int(s)) % n))
    return x


@composite("rot90", formula="rot90(x) = flips and a transpose of two axes",
           numpy=lambda x, *, k=1, axes=(0, 1): np.rot90(x, k, axes), method=True,
           cases=lambda shape: [(((2, 3),), {}), (((2, 3),), {"k": 2}), (((2, 3, 2),),
                                                                        {"k": -1, "axes": (1, 2)})])
def rot90(x, *, k=1, axes=(0, 1)):
    """Rotate by 90° ``k`` times in the plane of ``axes``, as ``np.rot90``.

    >>> tg.Tensor([[1.0, 2.0], [3.0, 4.0]]).rot90().tolist()
    [[2.0, 4.0], [1.0, 3.0]]
    """
    first, second = normalize_axes(axes, x.ndim)
    k %= 4
    if k == 0:
        return x * 1
    if k == 2:
        return flip(x, axis=(first, second))
    order = list(range(x.ndim))
    order[first], order[second] = order[second], order[first]
    if k == 1:
        return flip(x, axis=second).transpose(axes=tuple(order))
    return flip(x.transpose(axes=tuple(order)), axis=second)


def _triangle_cases(shape):
    shape = tuple(shape) + (3,) * max(0, 2 - len(shape))
    return [((shape,), {}), ((shape,), {"k": 1}), ((shape,), {"k": -1}), (((2, 2, 3),), {})]


def _tri(x, k: int) -> np.ndarray:
    return np.tri(x.shape[-2], x.shape[-1], k, dtype=x.dtype)


@composite("tril", formula="tril(x) = x · [j ≤ i + k]", numpy=lambda x, *, k=0: np.tril(x, k),
           method=True, cases=_triangle_cases)
def tril(x, *, k=0):
    """Zero the elements above the k-th diagonal (of the last two axes), as ``np.tril``.

    >>> tg.Tensor([[1.0, 2.0], [3.0, 4.0]]).tril().tolist()
    [[1.0, 0.0], [3.0, 4.0]]
    """
    if x.ndim < 2:
        raise ValueError("tril needs an input with at least 2 dimensions")
    return x * _tri(x, k)


@composite("triu", formula="triu(x) = x · [j ≥ i + k]", numpy=lambda x, *, k=0: np.triu(x, k),
           method=True, cases=_triangle_cases)
def triu(x, *, k=0):
    """Zero the elements below the k-th diagonal (of the last two axes), as ``np.triu``.

    >>> tg.Tensor([[1.0, 2.0], [3.0, 4.0]]).triu().tolist()
    [[1.0, 2.0], [0.0, 4.0]]
    """
    if x.ndim < 2:
        raise ValueError("triu needs an input with at least 2 dimensions")
    return x * (1 - _tri(x, k - 1))


def _repeat_cases(shape):
    cases = [((shape,), {"repeats": 2})]
    if shape:
        cases.append(((shape,), {"repeats": [1, 0, 2][:shape[0]] + [1] * (shape[0] - 3),
                                 "axis": 0}))
    return cases


@composite("repeat", formula="repeat(x) = x[i // repeats] (gradients of copies add up)",
           numpy=lambda x, *, repeats, axis=None: np.repeat(x, repeats, axis), method=True,
           cases=_repeat_cases)
def repeat(x, *, repeats, axis=None):
    """Repeat each element ``repeats`` times along ``axis`` (flattened for None).

    >>> tg.Tensor([1.0, 2.0]).repeat(2).tolist()
    [1.0, 1.0, 2.0, 2.0]
    """
    if axis is None:
        x, axis = x.reshape(-1), 0
    (axis,) = normalize_axes(axis, x.ndim)
    return getitem(x, index=_along(axis, np.repeat(np.arange(x.shape[axis]), repeats)))


@composite("tile", formula="tile(x) = x broadcast along interleaved axes, then reshaped",
           numpy=lambda x, *, reps: np.tile(x, reps),
           cases=lambda shape: [((shape,), {"reps": 2}), ((shape,), {"reps": (2, 1, 2)})])
def tile(x, *, reps):
    """Repeat the whole input ``reps`` times along each axis, as ``np.tile``.

    >>> tg.tile(tg.Tensor([1.0, 2.0]), reps=2).tolist()
    [1.0, 2.0, 1.0, 2.0]
    """
    reps = (int(reps),) if np.ndim(reps) == 0 else tuple(int(r) for r in reps)
    ndim = max(len(reps), x.ndim)
    reps = (1,) * (ndim - len(reps)) + reps
    shape = (1,) * (ndim - x.ndim) + x.shape
    spread = x.reshape(tuple(s for n in shape for s in (1, n)))
    tiled = broadcast_to(spread, shape=tuple(s for r, n in zip(reps, shape) for s in (r, n)))
    return tiled.reshape(tuple(r * n for r, n in zip(reps, shape)))


def _pad_widths(pad_width, ndim: int) -> np.ndarray:
    try:
        widths = np.broadcast_to(np.asarray(pad_width, dtype=np.int64), (ndim, 2))
    except ValueError:
        raise ValueError(
            f"pad: pad_width {pad_width!r} does not fit an input with {ndim} dimension(s): "
            "give an int, (before, after) or one pair per axis") from None
    if (widths < 0).any():
        raise ValueError(f"pad: pad_width must not be negative, got {pad_width!r}")
    return widths


def _pad_forward(x, *, pad_width, mode="constant", constant_values=0):
    _check_pad(mode, constant_values)
    widths = _pad_widths(pad_width, np.ndim(x))
    return np.pad(x, widths, mode="constant", constant_values=constant_values)


def _check_pad(mode, constant_values) -> None:
    if mode != "constant":
        raise ValueError(f"pad: only mode='constant' is supported, got mode={mode!r}")
    if np.ndim(constant_values) != 0:
        raise ValueError("pad: constant_values must be a single number")


@composite("pad", formula="pad(x) = x placed inside a constant frame", numpy=_pad_forward,
           cases=lambda shape: [((shape or (2,),), {"pad_width": 1}),
                                ((shape or (2,),), {"pad_width": [(0, 2)] * max(len(shape), 1),
                                                    "constant_values": 1.5})])
def pad(x, *, pad_width, mode="constant", constant_values=0):
    """Surround x with ``constant_values`` (mode='constant' only), as ``np.pad``.

    >>> tg.pad(tg.Tensor([1.0, 2.0]), pad_width=(1, 2)).tolist()
    [0.0, 1.0, 2.0, 0.0, 0.0]
    """
    _check_pad(mode, constant_values)
    widths = _pad_widths(pad_width, x.ndim)
    shape = tuple(int(n + before + after) for n, (before, after) in zip(x.shape, widths))
    inside = tuple(slice(int(before), int(before) + n) for n, (before, _) in zip(x.shape, widths))
    placed = scatter_add(x, index=inside, shape=shape)
    if constant_values == 0:
        return placed
    frame = np.full(shape, constant_values, dtype=placed.dtype)
    frame[inside] = 0
    return placed + frame


def _leading_cases(shape):
    return [((shape,), {})]


@composite("atleast_1d", formula="atleast_1d(x) = reshape to ≥ 1 dimension",
           numpy=np.atleast_1d, cases=_leading_cases)
def atleast_1d(x):
    """x with at least one dimension, as ``np.atleast_1d`` (one input).

    >>> tg.atleast_1d(tg.Tensor(2.0)).shape
    (1,)
    """
    return x.reshape(x.shape or (1,))


@composite("atleast_2d", formula="atleast_2d(x) = reshape to ≥ 2 dimensions",
           numpy=np.atleast_2d, cases=_leading_cases)
def atleast_2d(x):
    """x with at least two dimensions (a vector becomes one row), as ``np.atleast_2d``.

    >>> tg.atleast_2d(tg.Tensor([1.0, 2.0])).shape
    (1, 2)
    """
    return x.reshape((1,) * (2 - x.ndim) + x.shape) if x.ndim < 2 else x * 1


@composite("atleast_3d", formula="atleast_3d(x) = reshape to ≥ 3 dimensions",
           numpy=np.atleast_3d, cases=_leading_cases)
def atleast_3d(x):
    """x with at least three dimensions, as ``np.atleast_3d``: (n,) → (1, n, 1), (m, n) → (m, n, 1).

    >>> tg.atleast_3d(tg.Tensor([1.0, 2.0])).shape
    (1, 2, 1)
    """
    if x.ndim == 0:
        return x.reshape(1, 1, 1)
    if x.ndim == 1:
        return x.reshape(1, x.shape[0], 1)
    if x.ndim == 2:
        return x.reshape(x.shape + (1,))
    return x * 1


def _stack_cases(shape):
    return [((shape, shape), {}), ((shape, shape, shape), {})]


@composite("hstack", formula="hstack(x…) = concatenate along axis 1 (axis 0 for vectors)",
           numpy=lambda *xs: np.hstack(xs),
           cases=lambda shape: _stack_cases(shape) + [(((2,), (3,)), {}), (((2, 1), (2, 3)), {})])
def hstack(*tensors):
    """Join tensors column-wise (vectors end to end), as ``np.hstack``.

    >>> tg.hstack([tg.ones(2), tg.zeros(1)]).tolist()
    [1.0, 1.0, 0.0]
    """
    tensors = [atleast_1d(t) for t in tensors]
    return concatenate(tensors, axis=0 if tensors[0].ndim == 1 else 1)


@composite("vstack", formula="vstack(x…) = concatenate along axis 0 after atleast_2d",
           numpy=lambda *xs: np.vstack(xs),
           cases=lambda shape: _stack_cases(shape) + [(((2, 3), (3,)), {})])
def vstack(*tensors):
    """Join tensors row-wise (vectors become rows), as ``np.vstack``.

    >>> tg.vstack([tg.ones(2), tg.zeros(2)]).shape
    (2, 2)
    """
    return concatenate([atleast_2d(t) for t in tensors], axis=0)


@composite("dstack", formula="dstack(x…) = concatenate along axis 2 after atleast_3d",
           numpy=lambda *xs: np.dstack(xs), cases=_stack_cases)
def dstack(*tensors):
    """Join tensors along the third axis, as ``np.dstack``.

    >>> tg.dstack([tg.ones(2), tg.zeros(2)]).shape
    (1, 2, 2)
    """
    return concatenate([atleast_3d(t) for t in tensors], axis=2)


@composite("column_stack", formula="column_stack(x…) = vectors as columns, concatenated",
           numpy=lambda *xs: np.column_stack(xs),
           cases=lambda shape: [(((3,), (3,)), {}), (((3,), (3, 2)), {})])
def column_stack(*tensors):
    """Join 1-D tensors as columns (2-D ones as they are), as ``np.column_stack``.

    >>> tg.column_stack([tg.ones(2), tg.zeros(2)]).tolist()
    [[1.0, 0.0], [1.0, 0.0]]
    """
    return concatenate([t.reshape(-1, 1) if t.ndim < 2 else t for t in tensors], axis=1)


# One array given alone is the sequence of its rows, as numpy iterates it.
for _stacking in (hstack, vstack, dstack, column_stack):
    _stacking.__class__ = SequenceOp


def _gather_index(shape: tuple, indices: np.ndarray, axis: int) -> tuple:
    """An advanced index that picks ``indices`` along ``axis`` and keeps every other axis."""
    index = []
    for d in range(len(shape)):
        if d == axis:
            index.append(indices)
        else:
            along = [1] * len(shape)
            along[d] = indices.shape[d]
            index.append(np.arange(indices.shape[d]).reshape(along))
    return tuple(index)


def _take_cases(shape):
    if not shape:
        return [((shape,), {"indices": np.zeros(1, dtype=np.int64), "axis": None})]
    indices = np.random.default_rng(0).integers(0, shape[-1], size=shape)
    return [((shape,), {"indices": indices, "axis": -1})]


def _take_forward(x, *, indices, axis):
    return np.take_along_axis(x, np.asarray(indices), axis)


@composite("take_along_axis", formula="take_along_axis(x)ᵢ = x[…, indices[i], …]",
           numpy=_take_forward, cases=_take_cases)
def take_along_axis(x, *, indices, axis):
    """Pick values at ``indices`` along ``axis`` (1-D flattened for None), as numpy's.

    >>> tg.take_along_axis(tg.Tensor([[10.0, 20.0]]), [[1, 0]], axis=1).tolist()
    [[20.0, 10.0]]
    """
    indices = np.asarray(indices.numpy() if isinstance(indices, Tensor) else indices)
    if indices.dtype.kind not in "iu":
        raise TypeError(f"take_along_axis: indices must be integers, got dtype {indices.dtype}")
    if axis is None:
        x, axis = x.reshape(-1), 0
    (axis,) = normalize_axes(axis, x.ndim)
    return getitem(x, index=_gather_index(x.shape, indices, axis))


def _sort_forward(x, *, axis=-1):
    return np.sort(x, axis=axis)


@composite("sort", formula="sort(x) = x[argsort(x)]: the gradient follows the permutation",
           numpy=_sort_forward, method=True,
           cases=lambda shape: [((shape or (3,),), {}), ((shape,), {"axis": None})]
           + ([((shape,), {"axis": 0})] if shape else []))
def sort(x, *, axis=-1):
    """Sorted copy along ``axis`` (flattened for None), as ``np.sort``; the gradient of each
    output element goes to the input element that landed there.

    >>> x = tg.Tensor([3.0, 1.0, 2.0], requires_grad=True)
    >>> (x.sort() * tg.Tensor([1.0, 10.0, 100.0])).sum().backward()
    >>> x.grad.tolist()
    [100.0, 1.0, 10.0]
    """
    if axis is None:
        x, axis = x.reshape(-1), 0
    return gather_along_axis(x, argsort(x, axis=axis), axis=axis)


# ----------------------------------------------------------------------- the split family
def _split_points(length: int, sections, equal: bool, name: str) -> list:
    if np.ndim(sections) == 0:
        count = int(sections)
        if count <= 0:
            raise ValueError(f"{name}: the number of sections must be positive, got {count}")
        if equal and length % count:
            raise ValueError(f"{name}: an axis of length {length} does not split into "
                             f"{count} equal parts; use array_split for unequal parts")
        size, extra = divmod(length, count)
        sizes = [size + 1] * extra + [size] * (count - extra)
        return list(np.cumsum([0] + sizes))
    points = [min(max(int(p) + (length if p < 0 else 0), 0), length) for p in sections]
    return [0] + points + [length]


def _split(x, sections, axis, equal: bool, name: str) -> list:
    if not isinstance(x, Tensor):
        x = Tensor(x)
    if x.ndim == 0:
        raise ValueError(f"{name} needs an input with at least 1 dimension")
    (axis,) = normalize_axes(axis, x.ndim)
    points = _split_points(x.shape[axis], sections, equal, name)
    return [getitem(x, index=_along(axis, slice(start, max(start, stop))))
            for start, stop in zip(points[:-1], points[1:])]


def split(x, indices_or_sections, axis: int = 0) -> list:
    """Split into equal parts (an int) or at the given indices along ``axis``, as ``np.split``.

    Each part is a slice of ``x`` in the graph, so gradients flow back from every part.

    >>> import tinygrad_lr as tg
    >>> [part.tolist() for part in tg.split(tg.arange(4), 2)]
    [[0.0, 1.0], [2.0, 3.0]]
    """
    return _split(x, indices_or_sections, axis, equal=True, name="split")


def array_split(x, indices_or_sections, axis: int = 0) -> list:
    """As :func:`split`, but n sections need not be equal (the first ones are longer).

    >>> import tinygrad_lr as tg
    >>> [part.shape for part in tg.array_split(tg.arange(5), 2)]
    [(3,), (2,)]
    """
    return _split(x, indices_or_sections, axis, equal=False, name="array_split")


def hsplit(x, indices_or_sections) -> list:
    """Split along axis 1 (axis 0 for a 1-D input), as ``np.hsplit``.

    >>> import tinygrad_lr as tg
    >>> [part.shape for part in tg.hsplit(tg.zeros(2, 4), 2)]
    [(2, 2), (2, 2)]
    """
    x = x if isinstance(x, Tensor) else Tensor(x)
    return _split(x, indices_or_sections, 1 if x.ndim > 1 else 0, equal=True, name="hsplit")


def vsplit(x, indices_or_sections) -> list:
    """Split along axis 0 (at least 2-D), as ``np.vsplit``.

    >>> import tinygrad_lr as tg
    >>> [part.shape for part in tg.vsplit(tg.zeros(4, 2), [1])]
    [(1, 2), (3, 2)]
    """
    x = x if isinstance(x, Tensor) else Tensor(x)
    if x.ndim < 2:
        raise ValueError("vsplit needs an input with at least 2 dimensions")
    return _split(x, indices_or_sections, 0, equal=True, name="vsplit")


def dsplit(x, indices_or_sections) -> list:
    """Split along axis 2 (at least 3-D), as ``np.dsplit``.

    >>> import tinygrad_lr as tg
    >>> [part.shape for part in tg.dsplit(tg.zeros(1, 2, 4), 2)]
    [(1, 2, 2), (1, 2, 2)]
    """
    x = x if isinstance(x, Tensor) else Tensor(x)
    if x.ndim < 3:
        raise ValueError("dsplit needs an input with at least 3 dimensions")
    return _split(x, indices_or_sections, 2, equal=True, name="dsplit")
