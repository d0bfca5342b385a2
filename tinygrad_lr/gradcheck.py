"""Check analytic gradients against float64 central differences.

The analytic Jacobian comes from backward (one pass per output element); the numeric one
from perturbing each input element by ±eps. The first disagreement is reported with the
input, the element, and both values.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from . import grad_mode
from .autograd import grad
from .ops.shape import concatenate
from .tensor import Tensor


class GradcheckError(AssertionError):
    """Raised by :func:`gradcheck` when analytic and numeric derivatives disagree.

    >>> import tinygrad_lr as tg
    >>> issubclass(tg.GradcheckError, AssertionError)
    True
    """


def _float64_inputs(inputs) -> list:
    """Copies in float64 (never the caller's arrays: perturbing them must not leak out)."""
    if isinstance(inputs, Tensor) or not isinstance(inputs, (list, tuple)):
        inputs = (inputs,)
    copies = []
    for x in inputs:
        if isinstance(x, Tensor):
            if x.dtype.kind == "f":
                copies.append(Tensor(np.array(x.data, dtype=np.float64),
                                     requires_grad=x.requires_grad, name=x.name))
            else:
                copies.append(x)
        else:
            copies.append(x)
    return copies


def _positions_to_check(xs, caller: str) -> list:
    checked = [i for i, x in enumerate(xs) if isinstance(x, Tensor) and x.requires_grad]
    if not checked:
        raise ValueError(f"{caller}: no input has requires_grad=True, so there is nothing to check")
    return checked


def _output(fn, xs) -> Tensor:
    out = fn(*xs)
    if not isinstance(out, Tensor):
        raise TypeError(f"gradcheck: fn must return a Tensor, got {type(out).__name__}")
    return out


def _index(flat: int, shape: tuple) -> tuple:
    return tuple(int(i) for i in np.unravel_index(flat, shape))


def _describe(x: Tensor, position: int) -> str:
    return f"input {position}" + (f" ({x.name!r})" if x.name else "")


def gradcheck(fn: Callable[..., Any], inputs: Any, eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, raise_exception: bool = True) -> bool:
    """Compare the gradients backward computes for ``fn(*inputs)`` with finite differences.

    Every floating-point input with ``requires_grad=True`` is checked, in float64 (inputs
    are copied, never modified). ``fn`` may return a tensor of any shape.

    Returns True when every entry satisfies ``|analytic − numeric| <= atol + rtol·|numeric|``.
    Otherwise raises :class:`GradcheckError` naming the input, the element index, and both
    values (or returns False with ``raise_exception=False``).

    >>> import tinygrad_lr as tg
    >>> x = tg.Tensor([0.5, -1.0], requires_grad=True)
    >>> tg.gradcheck(lambda t: t.sigmoid() * t, [x])
    True
    """
    xs = _float64_inputs(inputs)
    checked = _positions_to_check(xs, "gradcheck")
    out = _output(fn, xs)
    analytic = {i: np.zeros((out.size, xs[i].size)) for i in checked}
    if out.requires_grad:
        for row in range(out.size):
            seed = np.zeros(out.shape)
            seed.flat[row] = 1.0
            grads = grad(out, [xs[i] for i in checked], grad_outputs=Tensor(seed),
                         retain_graph=True, allow_unused=True)
            for i, g in zip(checked, grads):
                if g is not None:
                    analytic[i][row] = g.data.reshape(-1)
    with grad_mode.no_grad():
        for i in checked:
            x = xs[i]
            flat = x.data.reshape(-1)
            for element in range(x.size):
                original = flat[element]
                flat[element] = original + eps
                # Copies: an op's output may be a view of the input being perturbed.
                plus = np.array(_output(fn, xs).data, dtype=np.float64).reshape(-1)
                flat[element] = original - eps
                minus = np.array(_output(fn, xs).data, dtype=np.float64).reshape(-1)
                flat[element] = original
                numeric = (plus - minus) / (2 * eps)
                got = analytic[i][:, element]
                bad = np.flatnonzero(~(np.abs(got - numeric) <= atol + rtol * np.abs(numeric)))
                if bad.size:
                    row = int(bad[0])
                    message = (
                        f"gradcheck failed for {_describe(x, i)} at element "
                        f"{_index(element, x.shape)} (output element "
                        f"{_index(row, out.shape)}): analytic {float(got[row])!r}, "
                        f"numeric {float(numeric[row])!r}"
                    )
                    if raise_exception:
                        raise GradcheckError(message)
                    return False
    return True


def gradgradcheck(fn: Callable[..., Any], inputs: Any, grad_outputs: Any = None,
                  eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
                  raise_exception: bool = True, seed: int = 0) -> bool:
    """Check second derivatives: gradcheck the gradient of ``fn`` (built with create_graph).

    The gradient is taken against ``grad_outputs`` (random, from ``seed``, by default), so
    every second-order term of every op's backward formula is exercised.

    >>> import tinygrad_lr as tg
    >>> x = tg.Tensor([0.5, -1.0], requires_grad=True)
    >>> tg.gradgradcheck(lambda t: t.tanh(), [x])
    True
    """
    xs = _float64_inputs(inputs)
    checked = _positions_to_check(xs, "gradgradcheck")
    out = _output(fn, xs)
    if grad_outputs is None:
        v = Tensor(np.random.default_rng(seed).standard_normal(out.shape))
    else:
        v = Tensor(np.array(grad_outputs, dtype=np.float64))

    def first_derivative(*args):
        # gradcheck evaluates its numeric side under no_grad; the inner gradient needs a graph.
        with grad_mode.enable_grad():
            y = _output(fn, args)
            wanted = [args[i] for i in checked]
            if not y.requires_grad:
                return Tensor(np.zeros(sum(w.size for w in wanted)))
            grads = grad(y, wanted, grad_outputs=v, create_graph=True, allow_unused=True)
        flat = [(g if g is not None else Tensor(np.zeros(w.shape))).reshape(-1)
                for g, w in zip(grads, wanted)]
        return concatenate(flat)

    try:
        return gradcheck(first_derivative, xs, eps=eps, atol=atol, rtol=rtol,
                         raise_exception=raise_exception)
    except GradcheckError as error:
        raise GradcheckError(
            f"second derivatives: {error}. If first derivatives pass, a backward rule is "
            "probably computed with numpy arrays (e.g. x.data) instead of tensor operations, "
            "so its result cannot be differentiated again"
        ) from None
