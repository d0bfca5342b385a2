"""Composite ops: an op written as a function of other ops, registered like any op.

A primitive op (:func:`tinygrad_lr.op`) states its derivative by hand. A composite states
none: its gradient is the gradient of the composition, so first and higher derivatives come
for free and cannot disagree with the function.

    >>> import numpy as np
    >>> import tinygrad_lr as tg
    >>> @tg.composite("softsign_demo", formula="x / (1 + |x|)", numpy=lambda x: x / (1 + abs(x)),
    ...               method=True, replace=True)
    ... def softsign_demo(x):
    ...     "x / (1 + |x|), elementwise."
    ...     return x / (1 + abs(x))
    >>> x = tg.Tensor(1.0, requires_grad=True)
    >>> y = x.softsign_demo()
    >>> y.op.name, y.item()
    ('softsign_demo', 0.5)
    >>> y.backward()
    >>> x.grad
    Tensor(0.25)
    >>> tg.registry.unregister_op("softsign_demo")

How a composite records. The result is **one node** in the graph, named after the
composite (so a rendered graph shows ``var``, not the seven ops inside it, and the op table
shows its formula). Its value comes from ``numpy=`` when given (numpy's own function, so
results match numpy to the last bit) or else from running the composition on constants.
Its backward runs the composition again with recording on and takes the vector-Jacobian
product of that small graph with :func:`tinygrad_lr.grad`. Under ``create_graph=True`` the
composition is re-run on stand-ins connected to the real inputs, so the gradient is itself
a graph of primitives and can be differentiated again. The price is one extra forward of
the composition per backward.

The op test-suite gradchecks a composite with a ``numpy=`` value against finite differences
of numpy's function, so a composition that computes something else than numpy fails there.
"""

from __future__ import annotations

import inspect

import numpy as np

from . import grad_mode
from .autograd import grad as _grad
from .registry import needs_grad, register_op
from .tensor import Tensor, wrap


def composite(name: str, *, formula: str, label: str | None = None, domain=None, cases=None,
              numpy=None, method=None, rmethod=None, replace: bool = False):
    """Function decorator: register ``fn``, written with Tensor ops, as the op ``name``.

    ``fn(*inputs, **settings)`` takes its inputs positionally and its settings (``axis``,
    ``ddof`` ...) as keyword-only arguments, like a primitive's ``forward``. Its docstring
    becomes the op's doc. ``formula`` is the function as text (shown in the op table and in
    pictures); ``numpy`` is an optional function on arrays with the same signature that
    computes the value (e.g. ``np.var``). The other arguments are those of
    :func:`tinygrad_lr.register_op`. Returns the registered :class:`~tinygrad_lr.Op`, whose
    ``composition`` attribute is ``fn``.

    >>> import tinygrad_lr as tg
    >>> @tg.composite("mean_square_demo", formula="mean(x²)", replace=True)
    ... def mean_square_demo(x, *, axis=None):
    ...     "Mean of the squares over ``axis``."
    ...     return (x * x).mean(axis=axis)
    >>> x = tg.Tensor([1.0, 3.0], requires_grad=True)
    >>> mean_square_demo(x).backward()
    >>> x.grad.tolist()
    [1.0, 3.0]
    >>> tg.registry.unregister_op("mean_square_demo")
    """

    def register(fn):
        signature = inspect.signature(fn)
        registered = register_op(
            name, _forward(fn, numpy, signature), _backward(fn), label=label or name,
            formula=formula, domain=domain, cases=cases, method=method, rmethod=rmethod,
            doc=fn.__doc__, replace=replace)
        registered.composition = fn
        return registered

    return register


def is_composite(found) -> bool:
    """True if the registered op ``found`` was registered with :func:`composite`.

    >>> import tinygrad_lr as tg
    >>> is_composite(tg.get_op("tan")), is_composite(tg.get_op("exp"))
    (True, False)
    """
    return getattr(found, "composition", None) is not None


def _forward(fn, numpy_fn, signature):
    if numpy_fn is not None:
        def forward(*arrays, **params):
            return numpy_fn(*arrays, **params)
    else:
        def forward(*arrays, **params):
            constants = [wrap(a) for a in _as_arrays(arrays)]
            with grad_mode.no_grad():
                return _checked(fn(*constants, **params), fn).data
    # The registry reads inputs and settings from the signature, and the README's count of
    # built-in ops from the module: both are the composition's.
    forward.__signature__ = signature
    forward.__module__ = fn.__module__
    forward.__qualname__ = forward.__name__ = fn.__name__
    return forward


def _backward(fn):
    def backward(grad, out, *inputs, **params):
        wanted = [i for i, x in enumerate(inputs) if needs_grad(x)]
        if grad_mode.is_grad_enabled():
            # create_graph: stand-ins recorded as copies of the inputs keep the result
            # connected to them, and still give each input position its own gradient.
            stand_ins = {i: inputs[i].reshape(inputs[i].shape) for i in wanted}
            found = _vjp(fn, inputs, stand_ins, params, grad, create_graph=True)
        else:
            stand_ins = {i: Tensor(inputs[i].data, requires_grad=True) for i in wanted}
            with grad_mode.enable_grad():
                found = _vjp(fn, inputs, stand_ins, params, grad, create_graph=False)
        grads = [None] * len(inputs)
        for i, g in zip(wanted, found):
            grads[i] = g if g is not None else inputs[i] * 0  # does not depend on this input
        return grads[0] if len(inputs) == 1 else tuple(grads)

    return backward


def _vjp(fn, inputs, stand_ins, params, grad, create_graph):
    arguments = [stand_ins.get(i, x) for i, x in enumerate(inputs)]
    numbers = [i for i, x in enumerate(arguments) if not isinstance(x, Tensor)]
    if numbers:
        arrays = _as_arrays([x.data if isinstance(x, Tensor) else x for x in arguments])
        for i in numbers:
            arguments[i] = wrap(arrays[i])
    out = _checked(fn(*arguments, **params), fn)
    if not out.requires_grad:  # e.g. floor inside: the composition is constant here
        return [None] * len(stand_ins)
    return _grad(out, list(stand_ins.values()), grad_outputs=grad, create_graph=create_graph,
                 allow_unused=True)


def _as_arrays(values) -> list:
    """Inputs as arrays; Python numbers take the arrays' dtype (as numpy's weak scalars do)."""
    dtype = np.result_type(*values) if values else np.float64
    return [v if isinstance(v, np.ndarray) else np.asarray(v, dtype=dtype) for v in values]


def _checked(out, fn) -> Tensor:
    if not isinstance(out, Tensor):
        raise TypeError(f"composite '{fn.__name__}' must return a Tensor, "
                        f"got {type(out).__name__}")
    return out
