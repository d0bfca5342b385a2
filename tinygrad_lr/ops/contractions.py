"""Contractions with numpy's semantics: einsum (the one primitive) and what is built on it.

einsum's gradient for an operand is again an einsum, of the incoming gradient with the
other operands, so one rule covers dot, inner, outer, tensordot and vdot, and second
derivatives come for free. trace, diagonal and diag pick elements with indexing.
"""

from __future__ import annotations

import string

import numpy as np

from ..composite import composite
from ..registry import Op, needs_grad, register_op
from ..tensor import Tensor
from .shape import getitem, scatter_add, stack


def parse_subscripts(subscripts: str, shapes) -> tuple[list[str], str]:
    """Split einsum subscripts into one letter string per operand and the output's letters.

    ``...`` becomes fresh letters (right-aligned, as numpy broadcasts it) and an implicit
    output (no ``->``) is every letter used once, in alphabetical order, after the ``...``.

    >>> parse_subscripts("ij,jk", [(2, 3), (3, 4)])
    (['ij', 'jk'], 'ik')
    >>> parse_subscripts("...i,i->...", [(5, 2, 3), (3,)])
    (['abi', 'i'], 'ab')
    """
    if not isinstance(subscripts, str):
        raise TypeError(f"einsum: subscripts must be a str such as 'ij,jk->ik', "
                        f"got {type(subscripts).__name__}")
    text = subscripts.replace(" ", "")
    inputs_text, arrow, output = text.partition("->")
    terms = inputs_text.split(",")
    if len(terms) != len(shapes):
        raise ValueError(f"einsum: subscripts {subscripts!r} name {len(terms)} operand(s), "
                         f"got {len(shapes)}")
    for term in terms + [output]:
        if any(c not in string.ascii_letters for c in term.replace("...", "")):
            raise ValueError(f"einsum: subscripts may use only letters, ',', '->' and '...', "
                             f"got {subscripts!r}")
    unused = [c for c in string.ascii_letters if c not in text]
    widths = [len(shape) - len(term.replace("...", "")) if "..." in term else 0
              for term, shape in zip(terms, shapes)]
    ellipsis = "".join(unused[:max(widths, default=0)])
    expanded = []
    for term, width, shape in zip(terms, widths, shapes):
        if width < 0 or ("..." not in term and len(term) != len(shape)):
            raise ValueError(f"einsum: term {term!r} does not fit an operand of shape {shape}")
        expanded.append(term.replace("...", ellipsis[len(ellipsis) - width:]))
    if arrow:
        output = output.replace("...", ellipsis)
    else:
        letters = "".join(expanded)
        output = ellipsis + "".join(sorted(c for c in set(letters) - set(ellipsis)
                                           if letters.count(c) == 1))
    return expanded, output


def _einsum_forward(*operands, subscripts):
    terms, output = parse_subscripts(subscripts, [np.shape(x) for x in operands])
    return np.einsum(f"{','.join(terms)}->{output}", *operands)


def _einsum_backward(grad, out, *operands, subscripts):
    shapes = [np.shape(x) for x in operands]
    terms, output = parse_subscripts(subscripts, shapes)
    sizes = {c: n for term, shape in zip(terms, shapes) for c, n in zip(term, shape) if n != 1}
    grads = []
    for k, operand in enumerate(operands):
        if not needs_grad(operand):
            grads.append(None)
            continue
        parts, letters = [grad], [output]
        for j, other in enumerate(operands):
            if j != k:
                parts.append(other)
                letters.append(terms[j])
        seen = "".join(letters)
        fresh = iter(c for c in string.ascii_letters if c not in seen + terms[k])
        target = ""
        for c in terms[k]:
            if c in target:  # a repeated letter (a diagonal): route through an identity
                twin = next(fresh)
                parts.append(Tensor(np.eye(sizes.get(c, 1), dtype=grad.dtype)))
                letters.append(c + twin)
                c = twin
            elif c not in seen:  # summed within this operand only: the gradient spreads
                parts.append(Tensor(np.ones(sizes.get(c, 1), dtype=grad.dtype)))
                letters.append(c)
            target += c
            seen += c
        grads.append(einsum(*parts, subscripts=f"{','.join(letters)}->{target}"))
    return tuple(grads)


def _einsum_cases(shape):
    n = shape[0] if shape else 2
    return [((((2, n)), (n, 3)), {"subscripts": "ij,jk->ik"}),
            (((n,), (n,)), {"subscripts": "i,i"}),
            (((n, n),), {"subscripts": "ii->i"}),
            (((n, n),), {"subscripts": "ii"}),
            (((2, n),), {"subscripts": "ij->"}),
            (((2, 2, n), (n, 2)), {"subscripts": "...ij,...jk"}),
            (((2,), (n,)), {"subscripts": "i,j->ji"}),
            (((2, n), (2, n), (n,)), {"subscripts": "ij,ij,j->i"})]


class _SubscriptsFirst(Op):
    """numpy's spelling ``einsum('ij,jk->ik', a, b)``: the leading string is the setting."""

    def __call__(self, *args, **params):
        if args and isinstance(args[0], str):
            args, params = args[1:], {**params, "subscripts": args[0]}
        elif len(args) >= 2 and _is_sublist(args[1]) and "subscripts" not in params:
            args, subscripts = _from_sublists(args)
            params = {**params, "subscripts": subscripts}
        return Op.__call__(self, *args, **params)


def _is_sublist(value) -> bool:
    return isinstance(value, (list, tuple)) and all(
        v is Ellipsis or (isinstance(v, (int, np.integer)) and not isinstance(v, bool))
        for v in value)


def _sublist_text(sublist) -> str:
    text = ""
    for label in sublist:
        if label is Ellipsis:
            text += "..."
        elif 0 <= label < len(string.ascii_letters):
            text += string.ascii_letters[label]
        else:
            raise ValueError(f"einsum: sublist labels must be integers in [0, 52), got {label}")
    return text


def _from_sublists(args) -> tuple[tuple, str]:
    """numpy's sublist form ``einsum(a, [0, 1], b, [1, 2], [0, 2])`` as operands and text."""
    operands, terms = args[0::2], args[1::2]
    output = None
    if len(args) % 2:  # an odd count ends with the output's sublist
        operands, output = operands[:-1], args[-1]
        if not _is_sublist(output):
            raise ValueError("einsum: in the sublist form, operands and sublists alternate and "
                             "only the output sublist may follow the last pair")
    for term in terms:
        if not _is_sublist(term):
            raise ValueError("einsum: in the sublist form, each operand is followed by a list "
                             "of integer labels")
    text = ",".join(_sublist_text(term) for term in terms)
    if output is not None:
        text += "->" + _sublist_text(output)
    return tuple(operands), text


einsum = register_op(
    "einsum", _einsum_forward, _einsum_backward, label="einsum",
    formula="∂einsum(A₁…Aₙ)/∂Aₖ = einsum of the gradient with the other operands",
    cases=_einsum_cases, doc="""Einstein summation over the operands' axes, as ``np.einsum``.

    ``einsum('ij,jk->ik', a, b)`` (numpy's order) or ``einsum(a, b, subscripts=...)``.
    Supports ``...``, implicit output, repeated letters (diagonals) and any number of
    operands; the gradient of each operand is an einsum again.

    >>> a, b = tg.Tensor([[1.0, 2.0]]), tg.Tensor([[3.0], [4.0]])
    >>> tg.einsum("ij,jk->ik", a, b).tolist()
    [[11.0]]
    >>> tg.einsum("ii", tg.Tensor([[1.0, 2.0], [3.0, 4.0]])).item()
    5.0
    """)
einsum.__class__ = _SubscriptsFirst  # the registry made a plain Op; this only adds the order


def _axes_pair(axes, a_ndim: int):
    if isinstance(axes, (int, np.integer)):
        if axes < 0:
            raise ValueError(f"tensordot: axes must be a non-negative int, got {axes}")
        return list(range(a_ndim - axes, a_ndim)), list(range(axes))
    try:
        a_axes, b_axes = axes
    except (TypeError, ValueError):
        raise ValueError(f"tensordot: axes must be an int or a pair of axis lists, "
                         f"got {axes!r}") from None
    return _as_list(a_axes), _as_list(b_axes)


def _as_list(axes) -> list:
    return [axes] if isinstance(axes, (int, np.integer)) else list(axes)


def _tensordot_subscripts(a_ndim: int, b_ndim: int, axes) -> str:
    a_axes, b_axes = _axes_pair(axes, a_ndim)
    if len(a_axes) != len(b_axes):
        raise ValueError(f"tensordot: {len(a_axes)} axes of the first input but "
                         f"{len(b_axes)} of the second")
    letters = iter(string.ascii_letters)
    a_terms = [next(letters) for _ in range(a_ndim)]
    b_terms = [next(letters) for _ in range(b_ndim)]
    for i, j in zip(a_axes, b_axes):
        b_terms[j % b_ndim] = a_terms[i % a_ndim]
    shared = set(a_terms) & set(b_terms)
    out = [c for c in a_terms if c not in shared] + [c for c in b_terms if c not in shared]
    return f"{''.join(a_terms)},{''.join(b_terms)}->{''.join(out)}"


def _tensordot_cases(shape):
    n = shape[0] if shape else 2
    return [(((2, n), (n, 3)), {"axes": 1}), (((2, n), (2, n)), {"axes": 2}),
            (((n,), (2,)), {"axes": 0}), (((2, n, 3), (3, 2, n)), {"axes": ([1, 2], [2, 0])}),
            (((), (2,)), {"axes": 0})]


def _tensordot_forward(a, b, *, axes=2):
    a_axes, b_axes = _axes_pair(axes, np.ndim(a))
    for name, picked, ndim in (("first", a_axes, np.ndim(a)), ("second", b_axes, np.ndim(b))):
        if len(picked) > ndim or any(not -ndim <= i < ndim for i in picked):
            raise ValueError(f"tensordot: axes={axes!r} do not fit the {name} input, which has "
                             f"{ndim} dimension(s)")
    return np.tensordot(a, b, axes=axes)


@composite("tensordot", formula="tensordot(u, v) = Σ over the paired axes of u·v (an einsum)",
           numpy=_tensordot_forward, cases=_tensordot_cases)
def tensordot(a, b, *, axes=2):
    """Sum products over ``axes`` (the last N of a with the first N of b, or explicit lists).

    >>> tg.tensordot(tg.ones(2, 3), tg.ones(3, 4), axes=1).shape
    (2, 4)
    """
    return einsum(a, b, subscripts=_tensordot_subscripts(a.ndim, b.ndim, axes))


def _pair_cases(shape):
    n = shape[0] if shape else 2
    return [(((), (n,)), {}), (((n,), (n,)), {}), (((2, n), (n,)), {}), (((2, n), (n, 3)), {}),
            (((2, 2, n), (2, n, 3)), {}), (((n,), (n, 2)), {})]


@composite("dot", formula="dot(u, v) = Σ u[…, i]·v[…, i, :] (numpy's dot, an einsum)",
           numpy=np.dot, method=True, cases=_pair_cases)
def dot(a, b):
    """numpy's dot: a product for scalars, the inner product of vectors, a sum over the last
    axis of a and the second-to-last of b otherwise.

    >>> tg.dot(tg.Tensor([1.0, 2.0]), tg.Tensor([3.0, 4.0])).item()
    11.0
    """
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    return tensordot(a, b, axes=([-1], [-1 if b.ndim == 1 else -2]))


@composite("vdot", formula="vdot(u, v) = Σ uᵢvᵢ over the flattened inputs", numpy=np.vdot,
           cases=lambda shape: [((shape, shape), {}), (((2, 3), (6,)), {})])
def vdot(a, b):
    """The dot product of the flattened inputs (same number of elements), as ``np.vdot``.

    >>> tg.vdot(tg.Tensor([[1.0, 2.0]]), tg.Tensor([3.0, 4.0])).item()
    11.0
    """
    return (a.reshape(-1) * b.reshape(-1)).sum()


@composite("inner", formula="inner(u, v) = Σ u[…, i]·v[…, i] over the last axes",
           numpy=np.inner, cases=lambda shape: [(((), (3,)), {}), (((3,), (3,)), {}),
                                                (((2, 3), (4, 3)), {}), (((2, 3), (3,)), {})])
def inner(a, b):
    """Sum of products over the last axes of a and b, as ``np.inner``.

    >>> tg.inner(tg.Tensor([1.0, 2.0]), tg.Tensor([3.0, 4.0])).item()
    11.0
    """
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    return tensordot(a, b, axes=([-1], [-1]))


@composite("outer", formula="outer(u, v)ᵢⱼ = uᵢvⱼ over the flattened inputs", numpy=np.outer,
           cases=lambda shape: [((shape, (2,)), {}), (((2, 2), shape), {})])
def outer(a, b):
    """All products of an element of a with one of b (inputs flattened), as ``np.outer``.

    >>> tg.outer(tg.Tensor([1.0, 2.0]), tg.Tensor([3.0, 4.0])).tolist()
    [[3.0, 4.0], [6.0, 8.0]]
    """
    return a.reshape(-1, 1) * b.reshape(1, -1)


@composite("kron", formula="kron(u, v) = blocks u[i]·v (outer product, interleaved)",
           numpy=np.kron, cases=lambda shape: [((shape, (2,)), {}), (((2, 2), (3, 1)), {}),
                                               (((2,), (2, 3)), {})])
def kron(a, b):
    """The Kronecker product: a block for each element of a, that element times b.

    >>> tg.kron(tg.Tensor([1.0, 10.0]), tg.Tensor([1.0, 2.0])).tolist()
    [1.0, 2.0, 10.0, 20.0]
    """
    ndim = max(a.ndim, b.ndim)
    a_shape = (1,) * (ndim - a.ndim) + a.shape
    b_shape = (1,) * (ndim - b.ndim) + b.shape
    spread_a = a.reshape(tuple(s for n in a_shape for s in (n, 1)))
    spread_b = b.reshape(tuple(s for n in b_shape for s in (1, n)))
    return (spread_a * spread_b).reshape(tuple(m * n for m, n in zip(a_shape, b_shape)))


def _cross_axes(a_ndim: int, b_ndim: int, axisa, axisb, axisc, axis) -> tuple[int, int, int]:
    """numpy's rule: ``axis`` (when given) sets all three; each is checked against its array."""
    if axis is not None:
        axisa = axisb = axisc = axis
    out_ndim = max(a_ndim - 1, b_ndim - 1) + 1
    picked = []
    for name, value, ndim in (("axisa", axisa, a_ndim), ("axisb", axisb, b_ndim),
                              ("axisc", axisc, out_ndim)):
        if not isinstance(value, (int, np.integer)) or not -ndim <= value < max(ndim, 1):
            raise ValueError(f"cross: {name}={value!r} is out of range for an array of "
                             f"{ndim} dimension(s)")
        picked.append(int(value) % ndim)
    return tuple(picked)


def _cross_forward(a, b, *, axisa=-1, axisb=-1, axisc=-1, axis=None):
    first, second, _ = _cross_axes(np.ndim(a), np.ndim(b), axisa, axisb, axisc, axis)
    if np.shape(a)[first] != 3 or np.shape(b)[second] != 3:
        raise ValueError(f"cross: needs vectors of 3 components along axisa={first} and "
                         f"axisb={second}, got shapes {np.shape(a)} and {np.shape(b)}")
    return np.cross(a, b, axisa=axisa, axisb=axisb, axisc=axisc, axis=axis)


@composite("cross", formula="cross(u, v) = (u₂v₃ − u₃v₂, u₃v₁ − u₁v₃, u₁v₂ − u₂v₁)",
           numpy=_cross_forward, cases=lambda shape: [
               (((3,), (3,)), {}), (((2, 3), (3,)), {}), (((3, 2), (3, 2)), {"axis": 0}),
               (((3, 2), (2, 3)), {"axisa": 0, "axisc": 0}), (((2, 3), (3,)), {"axis": None}),
               (((2, 3), (3, 2)), {"axisb": 0, "axisc": -1})])
def cross(a, b, *, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """The cross product of 3-vectors, as ``np.cross``: the vectors lie along ``axisa`` of a
    and ``axisb`` of b, the result's along ``axisc`` (``axis`` sets all three); the other
    axes broadcast.

    >>> tg.cross(tg.Tensor([1.0, 0.0, 0.0]), tg.Tensor([0.0, 1.0, 0.0])).tolist()
    [0.0, 0.0, 1.0]
    """
    first, second, out_axis = _cross_axes(a.ndim, b.ndim, axisa, axisb, axisc, axis)

    def part(v, along, i):
        return v[(slice(None),) * along + (i,)]

    a1, a2, a3 = (part(a, first, i) for i in range(3))
    b1, b2, b3 = (part(b, second, i) for i in range(3))
    out = stack([a2 * b3 - a3 * b2, a3 * b1 - a1 * b3, a1 * b2 - a2 * b1], axis=-1)
    if out_axis == out.ndim - 1:
        return out
    order = list(range(out.ndim - 1))
    order.insert(out_axis, out.ndim - 1)
    return out.transpose(axes=tuple(order))


def _diagonal_index(n1: int, n2: int, offset: int):
    length = max(0, min(n1 - max(-offset, 0), n2 - max(offset, 0)))
    steps = np.arange(length)
    return steps + max(-offset, 0), steps + max(offset, 0)


def _diagonal_cases(shape):
    shape = tuple(shape) + (3,) * max(0, 2 - len(shape))
    return [((shape,), {}), ((shape,), {"offset": 1}), ((shape,), {"offset": -1}),
            (((2, 3, 3),), {"axis1": 1, "axis2": 2}), (((3, 2, 2),), {"axis1": -1, "axis2": 0})]


@composite("diagonal", formula="diagonal(x)ᵢ = x[i, i + offset] (gradient: back on the diagonal)",
           numpy=lambda x, *, offset=0, axis1=0, axis2=1: np.diagonal(x, offset, axis1, axis2),
           method=True, cases=_diagonal_cases)
def diagonal(x, *, offset=0, axis1=0, axis2=1):
    """The diagonal of the axes ``axis1`` and ``axis2``, as a new last axis (``np.diagonal``).

    >>> tg.Tensor([[1.0, 2.0], [3.0, 4.0]]).diagonal().tolist()
    [1.0, 4.0]
    """
    first, second = axis1 % x.ndim, axis2 % x.ndim
    rest = tuple(i for i in range(x.ndim) if i not in (first, second))
    moved = x.transpose(axes=rest + (first, second))
    rows, cols = _diagonal_index(x.shape[first], x.shape[second], offset)
    return getitem(moved, index=(Ellipsis, rows, cols))


@composite("trace", formula="trace(x) = Σᵢ x[i, i + offset]",
           numpy=lambda x, *, offset=0, axis1=0, axis2=1: np.trace(x, offset, axis1, axis2),
           method=True, cases=_diagonal_cases)
def trace(x, *, offset=0, axis1=0, axis2=1):
    """Sum of the diagonal of the axes ``axis1`` and ``axis2``, as ``np.trace``.

    >>> tg.Tensor([[1.0, 2.0], [3.0, 4.0]]).trace().item()
    5.0
    """
    return diagonal(x, offset=offset, axis1=axis1, axis2=axis2).sum(axis=-1)


def _diag_forward(v, *, k=0):
    if np.ndim(v) not in (1, 2):
        raise ValueError(f"diag needs a 1-D or 2-D input, got {np.ndim(v)} dimensions")
    return np.diag(v, k)


@composite("diag", formula="diag(v): v on the k-th diagonal of a square matrix; of a matrix, "
           "its diagonal", numpy=_diag_forward,
           cases=lambda shape: [(((3,),), {}), (((2,),), {"k": 1}), (((2, 3),), {"k": -1})])
def diag(v, *, k=0):
    """A square matrix with ``v`` on its k-th diagonal, or the k-th diagonal of a matrix.

    >>> tg.diag(tg.Tensor([1.0, 2.0])).tolist()
    [[1.0, 0.0], [0.0, 2.0]]
    """
    if v.ndim == 2:
        return diagonal(v, offset=k)
    side = v.shape[0] + abs(k)
    return scatter_add(v, index=_diagonal_index(side, side, k), shape=(side, side))
