"""Whole derivatives built on :func:`tinygrad_lr.grad`, like ``torch.autograd.functional``.

``vjp`` (vᵀJ), ``jvp`` (Jv), ``vhp`` (vᵀH), ``hvp`` (Hv), ``jacobian`` and ``hessian``, for
a function of one tensor or of several. The conventions are PyTorch's: ``func`` is called
as ``func(x)`` for a single input and ``func(*inputs)`` for a tuple of them; a tuple of
inputs (or of outputs) gives a tuple of results, and a Jacobian of several outputs over
several inputs is a tuple of tuples, ``J[i][j] = ∂outputᵢ/∂inputⱼ``. The inputs are used as
fresh leaves (the caller's tensors are not touched), so the results are constants unless
``create_graph=True``.

Only reverse mode exists here: ``jvp`` and ``hvp`` use the double-vjp trick (the vjp
``uᵀJ`` is linear in ``u``, so differentiating it with respect to ``u`` along ``v`` gives
``Jv``), which works because every op's backward is itself differentiable.

>>> import tinygrad_lr as tg
>>> x = tg.Tensor([1.0, 2.0])
>>> _, jv = tg.jvp(lambda x: x ** 2, x, tg.Tensor([1.0, 1.0]))
>>> jv.tolist()   # J = diag(2x)
[2.0, 4.0]
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .autograd import grad
from .registry import get_op
from .tensor import Tensor


# ------------------------------------------------------------------ input and output
def _as_input(x, position=None) -> Tensor:
    where = "the input" if position is None else f"input {position}"
    if isinstance(x, Tensor):
        if x.dtype.kind != "f":
            raise TypeError(f"{where} must be floating point, got dtype {x.dtype}")
        return x if x.requires_grad else x.detach().requires_grad_()
    try:
        data = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{where} must be a Tensor or an array of numbers, "
                        f"got {type(x).__name__}") from None
    return Tensor(data, requires_grad=True)


def _inputs(inputs) -> tuple[tuple, bool]:
    """The inputs as a tuple of leaves, and whether the caller gave a tuple (a list is one
    input, an array of numbers, as in earlier versions and in PyTorch)."""
    if isinstance(inputs, tuple):
        if not inputs:
            raise ValueError("inputs is an empty tuple: there is nothing to differentiate by")
        return tuple(_as_input(x, i) for i, x in enumerate(inputs)), True
    return (_as_input(inputs),), False


def _call(func, xs, is_tuple, caller) -> tuple[tuple, bool]:
    result = func(*xs) if is_tuple else func(xs[0])
    outputs = result if isinstance(result, tuple) else (result,)
    for position, y in enumerate(outputs):
        if not isinstance(y, Tensor):
            raise TypeError(f"{caller}(): func must return a Tensor or a tuple of Tensors, "
                            f"but output {position} is a {type(y).__name__}")
    return outputs, isinstance(result, tuple)


def _vectors(v, like: tuple, caller: str, what: str) -> tuple:
    """``v`` as one tensor per entry of ``like``, each of its shape (ones for one element)."""
    if v is None:
        if all(t.size == 1 for t in like):
            return tuple(Tensor(np.ones(t.shape, dtype=t.dtype)) for t in like)
        raise ValueError(f"{caller}(): v is needed, since the {what} has more than one element")
    if len(like) > 1:
        if not isinstance(v, (tuple, list)):
            raise TypeError(f"{caller}(): v must be a tuple of {len(like)} tensors, one per {what}")
        vs = tuple(v)
    elif isinstance(v, (tuple, list)) and len(v) == 1 and isinstance(v[0], (Tensor, np.ndarray)):
        vs = (v[0],)  # a one-tuple for one tensor, as for a tuple of inputs
    else:
        vs = (v,)
    if len(vs) != len(like):
        raise ValueError(f"{caller}(): got {len(vs)} vector(s) v for {len(like)} {what}(s)")
    out = []
    for position, (vector, t) in enumerate(zip(vs, like)):
        vector = vector if isinstance(vector, Tensor) else Tensor(np.asarray(vector,
                                                                             dtype=t.dtype))
        if vector.shape != t.shape:
            raise ValueError(f"{caller}(): v[{position}] has shape {vector.shape} but the {what} "
                             f"has shape {t.shape}")
        out.append(vector)
    return tuple(out)


def _pack(values: tuple, is_tuple: bool):
    return values if is_tuple else values[0]


def _results(outputs: tuple, create_graph: bool) -> tuple:
    return outputs if create_graph else tuple(y.detach() for y in outputs)


def _zeros(t: Tensor) -> Tensor:
    return Tensor(np.zeros(t.shape, dtype=t.dtype))


def _vjp(outputs, xs, vs, create_graph, strict, caller) -> tuple:
    """Σᵢ vᵢᵀ ∂outputᵢ/∂x for every input x (zeros where an input is not used)."""
    used = [(y, v) for y, v in zip(outputs, vs) if y.requires_grad]
    found = (None,) * len(xs)
    if used:
        found = grad([y for y, _ in used], xs, grad_outputs=[v for _, v in used],
                     retain_graph=True, create_graph=create_graph, allow_unused=True)
    result = []
    for position, (g, x) in enumerate(zip(found, xs)):
        if g is None:
            if strict:
                raise RuntimeError(f"{caller}(): the output does not depend on input {position} "
                                   "(strict=True)")
            g = _zeros(x)
        result.append(g)
    return tuple(result)


# --------------------------------------------------------------- products with vectors
def vjp(func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> Any:
    """``(func(inputs), vᵀJ)``: the vector-Jacobian product, one reverse pass.

    ``v`` has the shape of the output (a tuple of them for a tuple of outputs); it may be
    omitted when the output has one element. The product has the inputs' shapes.

    >>> import tinygrad_lr as tg
    >>> out, vj = tg.vjp(lambda x: x ** 3, tg.Tensor([1.0, 2.0]), tg.Tensor([1.0, 0.5]))
    >>> out.tolist(), vj.tolist()   # 3x² · v
    ([1.0, 8.0], [3.0, 6.0])
    """
    xs, is_tuple = _inputs(inputs)
    outputs, outputs_tuple = _call(func, xs, is_tuple, "vjp")
    vs = _vectors(v, outputs, "vjp", "output")
    products = _vjp(outputs, xs, vs, create_graph, strict, "vjp")
    return _pack(_results(outputs, create_graph), outputs_tuple), _pack(products, is_tuple)


def jvp(func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> Any:
    """``(func(inputs), Jv)``: the Jacobian-vector product (a directional derivative).

    ``v`` has the shape of the input (a tuple of them for a tuple of inputs); it may be
    omitted when the input has one element. Computed as the derivative of the vjp ``uᵀJ``
    with respect to ``u`` (two reverse passes).

    >>> import tinygrad_lr as tg
    >>> _, jv = tg.jvp(lambda a, b: a * b, (tg.Tensor(2.0), tg.Tensor(3.0)),
    ...                (tg.Tensor(1.0), tg.Tensor(10.0)))
    >>> jv.item()   # b·1 + a·10
    23.0
    """
    xs, is_tuple = _inputs(inputs)
    outputs, outputs_tuple = _call(func, xs, is_tuple, "jvp")
    vs = _vectors(v, xs, "jvp", "input")
    products = _jvp(outputs, xs, vs, create_graph, strict, "jvp")
    return _pack(_results(outputs, create_graph), outputs_tuple), _pack(products, outputs_tuple)


def _jvp(outputs, xs, vs, create_graph, strict, caller) -> tuple:
    dummies = tuple(Tensor(np.zeros(y.shape, dtype=y.dtype), requires_grad=True)
                    for y in outputs)
    pulled = _vjp(outputs, xs, dummies, True, strict, caller)  # uᵀJ, linear in u
    pairs = [(g, v) for g, v in zip(pulled, vs) if g.requires_grad]
    found = (None,) * len(outputs)
    if pairs:
        found = grad([g for g, _ in pairs], dummies, grad_outputs=[v for _, v in pairs],
                     create_graph=create_graph, allow_unused=True)
    return tuple(_zeros(y) if g is None else g for g, y in zip(found, outputs))


def _scalar_output(func, xs, is_tuple, caller) -> Tensor:
    outputs, outputs_tuple = _call(func, xs, is_tuple, caller)
    if outputs_tuple or outputs[0].size != 1:
        raise ValueError(f"{caller}(): func must return a single-element Tensor, got "
                         f"{'a tuple' if outputs_tuple else f'shape {outputs[0].shape}'}")
    return outputs[0]


def _gradient(func, xs, is_tuple, strict, caller) -> tuple:
    y = _scalar_output(func, xs, is_tuple, caller)
    ones = (Tensor(np.ones(y.shape, dtype=y.dtype)),)
    return y, _vjp((y,), xs, ones, True, strict, caller)


def vhp(func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> Any:
    """``(func(inputs), vᵀH)`` for a function with one output element: H is its Hessian.

    >>> import tinygrad_lr as tg
    >>> _, vh = tg.vhp(lambda x: (x ** 3).sum(), tg.Tensor([1.0, 2.0]), tg.Tensor([1.0, 1.0]))
    >>> vh.tolist()   # H = diag(6x)
    [6.0, 12.0]
    """
    xs, is_tuple = _inputs(inputs)
    y, gradient = _gradient(func, xs, is_tuple, strict, "vhp")
    vs = _vectors(v, xs, "vhp", "input")
    products = _vjp(gradient, xs, vs, create_graph, strict, "vhp")
    return _results((y,), create_graph)[0], _pack(products, is_tuple)


def hvp(func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> Any:
    """``(func(inputs), Hv)`` for a function with one output element: H is its Hessian.

    Equal to :func:`vhp` wherever the function is twice continuously differentiable (H is
    then symmetric); computed as the Jacobian-vector product of the gradient.

    >>> import tinygrad_lr as tg
    >>> _, hv = tg.hvp(lambda a, b: a * a * b, (tg.Tensor(1.0), tg.Tensor(2.0)),
    ...                (tg.Tensor(1.0), tg.Tensor(0.0)))
    >>> [t.item() for t in hv]   # H = [[2b, 2a], [2a, 0]] applied to (1, 0)
    [4.0, 2.0]
    """
    xs, is_tuple = _inputs(inputs)
    y, gradient = _gradient(func, xs, is_tuple, strict, "hvp")
    vs = _vectors(v, xs, "hvp", "input")
    products = _jvp(gradient, xs, vs, create_graph, strict, "hvp")
    return _results((y,), create_graph)[0], _pack(products, is_tuple)


# ------------------------------------------------------------------- whole matrices
def jacobian(func: Callable[..., Any], inputs: Any, create_graph: bool = False,
             strict: bool = False) -> Any:
    """The Jacobian of ``func`` at ``inputs``: shape ``output.shape + input.shape``.

    Entry ``[i..., j...]`` is d output[i...] / d input[j...], one backward pass per output
    element. For a tuple of inputs the result is a tuple over the inputs; for a tuple of
    outputs, a tuple over the outputs; for both, a tuple of tuples ``J[output][input]``.

    >>> import tinygrad_lr as tg
    >>> jacobian(lambda x: x * x, tg.Tensor([1.0, 2.0])).tolist()
    [[2.0, 0.0], [0.0, 4.0]]
    >>> da, db = jacobian(lambda a, b: a * b, (tg.Tensor(2.0), tg.Tensor(3.0)))
    >>> da.item(), db.item()
    (3.0, 2.0)
    """
    xs, is_tuple = _inputs(inputs)
    outputs, outputs_tuple = _call(func, xs, is_tuple, "jacobian")
    blocks = tuple(_jacobian_rows(y, xs, create_graph, strict) for y in outputs)
    blocks = tuple(_pack(row, is_tuple) for row in blocks)
    return _pack(blocks, outputs_tuple)


def _jacobian_rows(y: Tensor, xs: tuple, create_graph: bool, strict: bool) -> tuple:
    rows = [[] for _ in xs]
    if y.requires_grad:
        for i in range(y.size):
            seed = np.zeros(y.shape, dtype=y.dtype)
            seed.flat[i] = 1.0
            for row, g in zip(rows, _vjp((y,), xs, (Tensor(seed),), create_graph, strict,
                                         "jacobian")):
                row.append(g)
    elif strict:
        raise RuntimeError("jacobian(): an output does not depend on the inputs (strict=True)")
    blocks = []
    for row, x in zip(rows, xs):
        if not row:
            blocks.append(Tensor(np.zeros(y.shape + x.shape, dtype=x.dtype)))
        else:
            blocks.append(get_op("stack")(row).reshape(y.shape + x.shape))
    return tuple(blocks)


def hessian(func: Callable[..., Any], inputs: Any, create_graph: bool = False,
            strict: bool = False) -> Any:
    """The Hessian of a function with one output element: shape ``input.shape + input.shape``.

    Computed by differentiating the gradient (double backward), so every op's backward
    formula is itself differentiated; no second derivative is written by hand. For a tuple
    of inputs the result is a tuple of tuples, ``H[i][j] = ∂²f/∂inputᵢ∂inputⱼ``.

    >>> import tinygrad_lr as tg
    >>> hessian(lambda x: (x ** 3).sum(), tg.Tensor([1.0, 2.0])).tolist()
    [[6.0, 0.0], [0.0, 12.0]]
    >>> ((aa, ab), (ba, bb)) = hessian(lambda a, b: a * a * b, (tg.Tensor(1.0), tg.Tensor(2.0)))
    >>> [aa.item(), ab.item(), ba.item(), bb.item()]
    [4.0, 2.0, 2.0, 0.0]
    """
    xs, is_tuple = _inputs(inputs)

    def gradient(*points):
        _, g = _gradient(func, points, is_tuple, strict, "hessian")
        return g if is_tuple else g[0]

    return jacobian(gradient, xs if is_tuple else xs[0], create_graph=create_graph,
                    strict=strict)
