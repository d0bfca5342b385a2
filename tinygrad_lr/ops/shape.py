"""Ops that move elements around: reshape, transpose, broadcast_to, indexing, concatenate, stack."""

from __future__ import annotations

import numpy as np

from ..broadcasting import sum_to_shape
from ..registry import Op, op
from ..tensor import Tensor


def _shape_from_args(shape) -> tuple:
    """Accept ``f(2, 3)`` and ``f((2, 3))`` alike."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)


def _reshape_cases(shape):
    size = int(np.prod(shape))
    return [((shape,), {"shape": (size,)}), ((shape,), {"shape": (1, size, 1)}),
            ((shape,), {"shape": (-1,)})]


@op("reshape", label="reshape", formula="∂reshape(x)/∂x = reshape⁻¹", method=True,
    cases=_reshape_cases)
class reshape:
    """The same elements in a new shape (one entry may be -1).

    >>> tg.Tensor([1.0, 2.0, 3.0, 4.0]).reshape(2, 2).shape
    (2, 2)
    """

    def forward(x, *, shape):
        return np.reshape(x, shape)

    def backward(grad, out, x, *, shape):
        return grad.reshape(x.shape)

    def as_method(self, *shape):
        return reshape(self, shape=_shape_from_args(shape))


@op("transpose", label="transpose", formula="∂xᵀ/∂x = permutation⁻¹", method=True,
    cases=lambda shape: [((shape,), {}), ((shape,), {"axes": tuple(range(len(shape)))[::-1]})])
class transpose:
    """Permute the axes (reverse them by default), as ``np.transpose``.

    >>> tg.Tensor([[1.0, 2.0]]).transpose().shape
    (2, 1)
    """

    def forward(x, *, axes=None):
        return np.asarray(x).transpose(axes)  # the method: np.transpose's result, sooner

    def backward(grad, out, x, *, axes=None):
        if axes is None:
            return grad.transpose()
        return grad.transpose(axes=tuple(np.argsort([a % x.ndim for a in axes])))

    def as_method(self, *axes_args, axes=None):
        return transpose(self, axes=_shape_from_args(axes_args) if axes_args else axes)


@op("broadcast_to", label="broadcast", formula="∂broadcast(x)/∂x = sum over the new axes",
    method=True, cases=lambda shape: [((shape,), {"shape": (2,) + tuple(shape)})])
class broadcast_to:
    """Repeat x along new or length-1 axes to ``shape``, as ``np.broadcast_to``.

    >>> tg.Tensor([1.0, 2.0]).broadcast_to(3, 2).shape
    (3, 2)
    """

    def forward(x, *, shape):
        return np.broadcast_to(x, shape)

    def backward(grad, out, x, *, shape):
        return sum_to_shape(grad, x.shape, "broadcast_to")

    def as_method(self, *shape):
        return broadcast_to(self, shape=_shape_from_args(shape))


def plain_index(index):
    """Tensors inside an index become numpy arrays; lists become integer/bool arrays."""
    if isinstance(index, tuple):
        return tuple(plain_index(i) for i in index)
    if isinstance(index, Tensor):
        return index.numpy()  # (a traced index tensor refuses: it is a setting of getitem)
    if isinstance(index, list):
        return np.asarray(index)
    return index


def _is_basic(index) -> bool:
    """Basic indices (ints, slices) never select an element twice."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(isinstance(p, (int, np.integer, slice)) or p is None or p is Ellipsis
               for p in parts)


def _index_cases(shape):
    if not shape:
        return [((shape,), {"index": ()})]
    cases = [((shape,), {"index": 0}), ((shape,), {"index": np.array([0, 0, -1])}),
             ((shape,), {"index": slice(None, None, -1)})]
    if len(shape) >= 2:
        cases.append(((shape,), {"index": (slice(None), np.array([0, 0]))}))
    return cases


@op("getitem", label="[ ]", formula="∂x[i]/∂x = 1 at i (repeats add up)",
    method="__getitem__", cases=_index_cases)
class getitem:
    """``x[index]`` with numpy's basic and advanced indexing.

    >>> tg.Tensor([1.0, 2.0, 3.0])[[0, 0, 2]].tolist()
    [1.0, 1.0, 3.0]
    """

    def forward(x, *, index):
        return x[plain_index(index)]

    def backward(grad, out, x, *, index):
        return scatter_add(grad, index=index, shape=x.shape)

    def as_method(self, index):
        return getitem(self, index=plain_index(index))


def _scatter_cases(shape):
    if not shape:
        return [((shape,), {"index": (), "shape": shape})]
    return [(((2,) + tuple(shape[1:]),), {"index": np.array([0, 0]), "shape": shape}),
            ((shape,), {"index": slice(None), "shape": shape})]


@op("scatter_add", label="scatter+", formula="∂scatter(g)/∂g = g[i]", cases=_scatter_cases)
class scatter_add:
    """Zeros of ``shape`` with ``values`` added at ``index`` (repeated indices add up).

    >>> tg.scatter_add(tg.Tensor([1.0, 2.0]), index=[0, 0], shape=(2,)).tolist()
    [3.0, 0.0]
    """

    def forward(values, *, index, shape):
        index = plain_index(index)
        out = np.zeros(shape, dtype=np.result_type(values, np.float32))
        if _is_basic(index):
            out[index] = values
        else:
            np.add.at(out, index, values)
        return out

    def backward(grad, out, values, *, index, shape):
        return getitem(grad, index=index)


def _concat_cases(shape):
    if not shape:
        return [(((1,), (2,), (1,)), {"axis": 0})]
    other = (2,) + tuple(shape[1:])
    return [((shape, other, shape), {"axis": 0})]


def _slab(ndim: int, axis: int, where) -> tuple:
    return (slice(None),) * axis + (where,)


@op("concatenate", label="concat", formula="∂concat(x…)/∂xᵢ = its slice", cases=_concat_cases)
class concatenate:
    """Join tensors along an existing ``axis`` (pass a list: ``concatenate([a, b], axis=0)``).

    >>> tg.concatenate([tg.ones(1), tg.zeros(2)]).tolist()
    [1.0, 0.0, 0.0]
    """

    def forward(*inputs, axis=0):
        return np.concatenate(inputs, axis=axis)

    def backward(grad, out, *inputs, axis=0):
        axis = axis % out.ndim
        grads, start = [], 0
        for x in inputs:
            stop = start + np.shape(x)[axis]
            grads.append(getitem(grad, index=_slab(out.ndim, axis, slice(start, stop))))
            start = stop
        return tuple(grads)


@op("stack", label="stack", formula="∂stack(x…)/∂xᵢ = its slab",
    cases=lambda shape: [((shape, shape), {"axis": 0}), ((shape, shape, shape), {"axis": -1})])
class stack:
    """Join same-shaped tensors along a new ``axis`` (pass a list: ``stack([a, b])``).

    >>> tg.stack([tg.ones(2), tg.zeros(2)]).shape
    (2, 2)
    """

    def forward(*inputs, axis=0):
        return np.stack(inputs, axis=axis)

    def backward(grad, out, *inputs, axis=0):
        axis = axis % out.ndim
        return tuple(getitem(grad, index=_slab(out.ndim, axis, i)) for i in range(len(inputs)))


class SequenceOp(Op):
    """A variadic op called as numpy calls it: one array (or tensor) given alone is the
    sequence of its rows, as numpy iterates the first axis (``np.vstack(a)``), and, for
    ``concatenate``, ``axis=None`` joins the flattened inputs."""

    def __call__(self, *args, **params):
        if len(args) == 1 and isinstance(args[0], (Tensor, np.ndarray)):
            whole = args[0]
            if np.ndim(whole) == 0:
                raise TypeError(f"{self.name}() needs a sequence of arrays; a single 0-d "
                                "array has no rows to join")
            args = (list(whole),)
        if len(args) == 2 and isinstance(args[0], (list, tuple)) and "axis" not in params:
            args, params = args[:1], {**params, "axis": args[1]}
        if self.name == "concatenate" and "axis" in params and params["axis"] is None:
            items = args[0] if len(args) == 1 and isinstance(args[0], (list, tuple)) else args
            flat = [item.reshape(-1) if isinstance(item, Tensor) else np.ravel(item)
                    for item in items]
            args, params = (flat,), {**params, "axis": 0}
        return Op.__call__(self, *args, **params)


# The registry made plain Ops; these only add numpy's ways of passing the inputs.
concatenate.__class__ = SequenceOp
stack.__class__ = SequenceOp
