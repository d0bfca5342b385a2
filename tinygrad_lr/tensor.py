"""The Tensor: a numpy array that remembers which op made it and from what.

A tensor made by an op keeps ``op`` (the registered op), ``inputs`` (the tensors and
constants it was made from, in order) and ``params`` (the op's keyword arguments). That is
the whole graph: ``backward`` walks it from the output down to the leaves.

Arithmetic and math methods are not written here: each op attaches its own method when it
is registered (see :mod:`tinygrad_lr.registry`), so this module stays at the bottom of the
stack and imports no op.
"""

from __future__ import annotations

import sys as _sys
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from . import grad_mode as _grad_mode
from .traced_values import TraceError, refuse_if_traced  # noqa: F401  (re-exported)

if TYPE_CHECKING:  # the methods ops attach, as type checkers see them (make stubs)
    from ._registered import TensorMethods as _AttachedMethods
else:
    _AttachedMethods = object

_FLOATING_KINDS = "f"  # real floating point: gradients of complex functions are not defined here
_NUMERIC_KINDS = "biufc"  # bool, integers, floats, complex: never strings, objects or dates


def _not_connected(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("the engine is not connected: import tinygrad_lr (its __init__ imports "
                       "the modules that fill tinygrad_lr.tensor.hooks)")


class EngineHooks:
    """What the layers above the Tensor hand down to it, so this module imports none of them.

    ``Tensor.backward`` runs ``backward`` (the walk of :mod:`tinygrad_lr.autograd`, which
    imports this module); numpy's override protocols run ``array_ufunc`` and
    ``array_function`` (:mod:`tinygrad_lr.numpy_dispatch`). Each module fills its slot once,
    when ``import tinygrad_lr`` imports it; nothing replaces a method of the class.

    >>> import tinygrad_lr as tg
    >>> from tinygrad_lr.tensor import hooks
    >>> hooks.backward is tg.backward
    True
    """

    backward: Callable[..., None] = _not_connected
    array_ufunc: Callable[..., Any] = _not_connected
    array_function: Callable[..., Any] = _not_connected


hooks = EngineHooks()


class Tensor(_AttachedMethods):
    """An n-dimensional array with reverse-mode automatic differentiation.

    Args:
        data: a Python number, a nested list, a numpy array or another Tensor. Python
            numbers and lists become float64; numpy arrays keep their dtype and are not
            copied (nothing in the library writes into them).
        requires_grad: whether ``backward`` should compute a gradient for this tensor.
            Only floating-point tensors can require grad.
        dtype: a numpy dtype to convert ``data`` to.
        name: a label used in ``repr`` and in rendered graphs.

    >>> import tinygrad_lr as tg
    >>> w = tg.Tensor([1.0, -2.0], requires_grad=True, name="w")
    >>> loss = (w * w).sum()
    >>> loss.backward()
    >>> w.grad
    Tensor([ 2., -4.])
    """

    # Every op result fills the slots below (see ``wrap``), so they are the ones an op or a
    # backward pass writes. What is set on few tensors (a name, hooks, ``retain_grad``, the
    # edge gradients of a ``retain_grads`` pass, the anomaly trace) reads its default from
    # the class until set, then lives in the instance ``__dict__``, made on that first write.
    __slots__ = (
        "data",
        "grad",
        "_requires_grad",
        "_op",
        "_inputs",
        "_params",
        "_released",
        "_visit",
        "__dict__",
        "__weakref__",
    )
    data: np.ndarray
    grad: Tensor | None
    name: str | None = None
    _hooks = None
    _retains_grad = False
    _edge_grads = None
    _noted = False
    """True once one of the three above was set on this tensor: a plain backward reads this
    one attribute per tensor instead of three (see ``autograd._lean_walk``)."""
    _trace = None
    _traced_input = False  # an input of a function the compiler is tracing

    __array_priority__ = 1000

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None,
                 name: str | None = None) -> None:
        if isinstance(data, Tensor):
            data = data.data
        if isinstance(data, np.ndarray):
            if data.dtype.kind == "O":
                data = data.tolist()  # numbers (or tensors) boxed as objects: read them as a list
                array = _from_python(data, dtype)
            else:
                array = data if dtype is None else data.astype(dtype, copy=False)
        elif isinstance(data, np.generic):
            array = np.asarray(data, dtype=dtype)
        else:
            array = _from_python(data, dtype)
        if array.dtype.kind not in _NUMERIC_KINDS:
            raise TypeError(_not_numbers(array.dtype))
        if name is not None and not isinstance(name, str):
            raise TypeError(f"Tensor name must be a str, got {type(name).__name__}")
        _fill(self, array)
        if name is not None:
            self.name = name
        if requires_grad:
            self.requires_grad_(True)

    # ----------------------------------------------------------------- grad flags
    @property
    def requires_grad(self) -> bool:
        """Whether gradients flow into this tensor."""
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        self.requires_grad_(value)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set ``requires_grad`` in place and return ``self`` (only on leaves).

        >>> import tinygrad_lr as tg
        >>> tg.Tensor([1.0, 2.0]).requires_grad_().requires_grad
        True
        """
        if self._op is not None and not requires_grad:
            raise RuntimeError(
                "requires_grad can only be turned off on a leaf tensor; use .detach() instead"
            )
        if requires_grad and self.data.dtype.kind not in _FLOATING_KINDS:
            raise TypeError(
                f"only real floating-point tensors can require grad, but this tensor has dtype "
                f"{self.data.dtype}; create it with dtype=float64 (or float32)"
            )
        self._requires_grad = bool(requires_grad)
        return self

    @property
    def is_leaf(self) -> bool:
        """True for tensors the user created, False for tensors an op made while recording."""
        return self._op is None

    @property
    def op(self):
        """The registered op that made this tensor, or None for a leaf."""
        return self._op

    @property
    def inputs(self) -> tuple:
        """What the op consumed, in order: tensors and constants (empty for a leaf)."""
        return self._inputs

    @property
    def params(self) -> dict:
        """The op's keyword arguments (e.g. ``axis``), empty for a leaf."""
        return self._params or {}

    @property
    def visit_order(self) -> int | None:
        """Position of this tensor in the last backward pass through it (0 = the output)."""
        return self._visit

    @property
    def edge_grads(self) -> tuple | None:
        """Gradients this tensor's op sent to each input in the last ``retain_grads`` backward."""
        return self._edge_grads

    # ``detach`` is an op (tinygrad_lr.ops.comparison): a traced program recomputes a
    # detached value on every call instead of freezing it.

    def retain_grad(self) -> Tensor:
        """Keep ``.grad`` on this non-leaf tensor after ``backward`` (as PyTorch does).

        >>> import tinygrad_lr as tg
        >>> x = tg.Tensor(3.0, requires_grad=True)
        >>> y = x * x
        >>> _ = y.retain_grad()
        >>> (y * 2).backward()
        >>> y.grad
        Tensor(2.)
        """
        self._retains_grad = True
        self._noted = True
        return self

    def register_hook(self, hook: Callable[[Tensor], Any]) -> _HookHandle:
        """Call ``hook(grad)`` with the gradient arriving at this tensor during backward.

        If the hook returns a tensor (or array) of the same shape, it replaces the gradient;
        another shape is a ValueError naming the hook. Returns a handle whose ``remove()``
        unregisters the hook.

        >>> import tinygrad_lr as tg
        >>> x = tg.Tensor(1.0, requires_grad=True)
        >>> handle = x.register_hook(lambda g: g * 10)
        >>> (x * 2).backward()
        >>> x.grad
        Tensor(20.)
        """
        if not callable(hook):
            raise TypeError(f"hook must be callable, got {type(hook).__name__}")
        if self._hooks is None:
            self._hooks = []
            self._noted = True
        self._hooks.append(hook)
        return _HookHandle(self._hooks, hook)

    def backward(self, grad: Any = None, retain_graph: bool = False, create_graph: bool = False,
                 retain_grads: bool = False) -> None:
        """Accumulate d(self)/d(leaf) into ``.grad`` of every leaf that requires grad.

        Args:
            grad: the gradient of some scalar with respect to ``self``; may be omitted only
                when ``self`` holds a single element.
            retain_graph: keep the graph usable for another backward.
            create_graph: record the backward pass itself, so gradients can be
                differentiated again (implies ``retain_graph``).
            retain_grads: also keep ``.grad`` on every intermediate tensor and the gradient
                sent along every edge (what rendered graphs show). Without it, intermediate
                tensors this pass visits drop what an earlier pass kept, so no gradient on
                them is ever stale.

        >>> import tinygrad_lr as tg
        >>> x = tg.Tensor(3.0, requires_grad=True)
        >>> (x ** 2).backward()
        >>> x.grad
        Tensor(6.)
        """
        hooks.backward(self, grad, retain_graph=retain_graph, create_graph=create_graph,
                       retain_grads=retain_grads)

    # numpy's override protocols (NEP 13: ``np.exp(t)``, ``array * t``; NEP 18: ``np.sum(t)``)
    # run numpy's functions as registered ops; the handlers know the ops, so they live in
    # numpy_dispatch, a layer up, and reach the Tensor through ``hooks``.
    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        return hooks.array_ufunc(self, ufunc, method, *inputs, **kwargs)

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        return hooks.array_function(self, func, types, args, kwargs)

    # --------------------------------------------------------------- array views
    @property
    def T(self) -> Tensor:
        """The tensor with its axes reversed (the ``transpose`` op's method).

        >>> import tinygrad_lr as tg
        >>> tg.Tensor([[1.0, 2.0]]).T.shape
        (2, 1)
        """
        return self.transpose()

    @property
    def shape(self) -> tuple:
        """The shape, as numpy reports it."""
        return self.data.shape

    @property
    def ndim(self) -> int:
        """Number of dimensions."""
        return self.data.ndim

    @property
    def dtype(self) -> np.dtype:
        """The numpy dtype of the data."""
        return self.data.dtype

    @property
    def size(self) -> int:
        """Number of elements."""
        return self.data.size

    def numel(self) -> int:
        """Number of elements (PyTorch spelling of ``size``)."""
        return self.data.size

    def numpy(self) -> np.ndarray:
        """Return the underlying numpy array (shared, not copied)."""
        if _grad_mode.threads_tracing:
            refuse_if_traced(self, ".numpy()")
        return self.data

    def item(self) -> Any:
        """Return the single element as a Python number.

        >>> import tinygrad_lr as tg
        >>> tg.Tensor([[2.5]]).item()
        2.5
        """
        if _grad_mode.threads_tracing:
            refuse_if_traced(self, ".item()")
        if self.data.size != 1:
            raise ValueError(
                f"item() needs a tensor with exactly one element, got shape {self.data.shape}"
            )
        return self.data.item()

    def tolist(self) -> Any:
        """Return the data as nested Python lists."""
        if _grad_mode.threads_tracing:
            refuse_if_traced(self, ".tolist()")
        return self.data.tolist()

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        if _grad_mode.threads_tracing:
            refuse_if_traced(self, "np.asarray()")
        caller = _sys._getframe(1)
        if caller.f_globals.get("__name__") == "numpy.ma.core" and \
                caller.f_code.co_name != "__new__":
            # A masked operation (m + t) would return a MaskedArray with no graph.
            raise TypeError("a tensor used in a numpy.ma masked operation would lose its "
                            "gradient; apply the mask with tg.where(m.mask, 0.0, t) instead")
        if dtype is None:
            return self.data if not copy else self.data.copy()
        return self.data.astype(dtype, copy=bool(copy))

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self.data)

    def __iter__(self) -> Iterator[Tensor]:
        if self.data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(len(self.data)))

    def __bool__(self) -> bool:
        if _grad_mode.threads_tracing:
            refuse_if_traced(self, "bool() (an `if` or `while` on a tensor)")
        if self.data.size != 1:
            raise ValueError(
                f"the truth value of a tensor with {self.data.size} elements is ambiguous; "
                "use .any() or .all()"
            )
        return bool(self.data)

    def __float__(self) -> float:
        if _grad_mode.threads_tracing:
            refuse_if_traced(self, "float()")
        return float(self.item())

    def __int__(self) -> int:
        if _grad_mode.threads_tracing:
            refuse_if_traced(self, "int()")
        return int(self.item())

    def __index__(self) -> int:
        if _grad_mode.threads_tracing:
            refuse_if_traced(self, "use as an index (__index__)")
        if self.data.ndim or self.data.dtype.kind not in "iu":
            raise TypeError("only 0-d integer tensors can be used as an index, got "
                            f"shape {self.data.shape} and dtype {self.data.dtype}")
        return int(self.data)

    def any(self) -> bool:
        """True if any element is true (no grad)."""
        if _grad_mode.threads_tracing:
            refuse_if_traced(self, ".any()")
        return bool(self.data.any())

    def all(self) -> bool:
        """True if every element is true (no grad)."""
        if _grad_mode.threads_tracing:
            refuse_if_traced(self, ".all()")
        return bool(self.data.all())

    __hash__ = object.__hash__

    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", prefix="Tensor(", precision=4)
        extras = []
        if self.data.dtype != np.float64:
            extras.append(f"dtype={self.data.dtype}")
        if self._op is not None:
            extras.append(f"op={self._op.name}")
        elif self._requires_grad:
            extras.append("requires_grad=True")
        if self.name is not None:
            extras.append(f"name={self.name!r}")
        return f"Tensor({body}{''.join(', ' + e for e in extras)})"
    # Comparisons (<, ==, &, ~ ...) are registered ops, attached by tinygrad_lr.ops.comparison:
    # they record into traced programs like any op, and their results carry no gradient.


_DATA_SLOT = Tensor.__dict__["data"]  # the slot's own descriptor, below the property


class TracedTensor(Tensor):
    """A value of a function the compiler is tracing (its inputs and every op result).

    The engine reads ``.data`` (the example the trace runs on) as usual; code outside the
    package that reads ``.data`` while the trace runs gets :class:`TraceError`, as for
    ``float(t)``: the number it saw would otherwise be frozen into the program. Plain
    tensors keep the bare slot, so eager code pays nothing for this check.
    """

    __slots__ = ()

    @property  # type: ignore[override]
    def data(self) -> np.ndarray:
        if _grad_mode.threads_tracing and _grad_mode.state.tracing:
            caller = _sys._getframe(1).f_globals.get("__name__", "")
            if caller != "tinygrad_lr" and not caller.startswith("tinygrad_lr."):
                refuse_if_traced(self, ".data")
        return _DATA_SLOT.__get__(self)

    @data.setter
    def data(self, value: np.ndarray) -> None:
        _DATA_SLOT.__set__(self, value)


_new = object.__new__


def wrap(array: np.ndarray, op=None, inputs: tuple = (), params: dict | None = None) -> Tensor:
    """A tensor around an array the library just computed: no checks, no copy (hot path).

    With ``op``, the tensor is a node of the graph: ``op`` made it from ``inputs`` (with
    settings ``params``) while recording, so it requires grad. The slots are written here
    rather than through ``_fill``: one function call less on every op.
    """
    t = _new(Tensor)
    t.data = array
    t.grad = None
    t._requires_grad = op is not None
    t._op = op
    t._inputs = inputs
    t._params = params
    t._released = False
    t._visit = None
    return t


def _fill(t: Tensor, array: np.ndarray) -> None:
    """Every slot's starting value for ``Tensor(...)``: a leaf holding ``array`` (as ``wrap``)."""
    t.data = array
    t.grad = None
    t._requires_grad = False
    t._op = None
    t._inputs = ()
    t._params = None
    t._released = False
    t._visit = None


class _HookHandle:
    """Returned by ``register_hook``; ``remove()`` unregisters the hook."""

    __slots__ = ("_hooks", "_hook")

    def __init__(self, hooks: list, hook) -> None:
        self._hooks = hooks
        self._hook = hook

    def remove(self) -> None:
        """Unregister the hook (doing it twice is harmless)."""
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)


def _from_python(data, dtype):
    """Python numbers and (nested) lists become float64 unless a dtype is given.

    Text is refused, even text that reads as a number (``Tensor('1.5')``): a Tensor holds
    numbers, and parsing is the caller's decision.
    """
    if data is None:
        raise TypeError("cannot make a Tensor from None")
    if isinstance(data, (str, bytes)):
        raise TypeError(
            f"cannot make a Tensor from the {type(data).__name__} {data!r}: a Tensor holds "
            "numbers; convert the text first, e.g. Tensor(float(text))"
        )
    if isinstance(data, (list, tuple)):
        data = _unwrap_nested(data)
    try:
        probe = np.asarray(data)
        if probe.dtype.kind in "USO":
            _refuse_text(probe)
        array = np.asarray(data, dtype=np.float64 if dtype is None else dtype)
    except (TypeError, ValueError) as error:
        raise TypeError(
            f"cannot make a Tensor from {type(data).__name__}: {error}"
        ) from None
    return array


def _refuse_text(probe: np.ndarray) -> None:
    if probe.dtype.kind in "US":
        raise TypeError(_not_numbers(probe.dtype))
    for item in probe.flat:  # an object array: numbers of other types are fine, text is not
        if isinstance(item, (str, bytes)):
            raise TypeError(f"it holds the text {item!r}; a Tensor holds numbers")
        if item is None:  # numpy would read None as NaN
            raise TypeError("it holds None; a Tensor holds numbers (write float('nan') for NaN)")


def _not_numbers(dtype) -> str:
    what = {"U": "strings", "S": "bytes", "O": "Python objects", "V": "structured records",
            "M": "dates", "m": "time spans"}.get(dtype.kind, "non-numbers")
    return (f"a Tensor holds numbers, but this data has dtype {dtype} ({what}); convert it "
            "to a numeric array first, e.g. np.asarray(values, dtype=float)")


def _unwrap_nested(items):
    """Tensors inside a list are read as their values, which is fine for constants; for a
    tensor that requires grad it would silently drop the graph, so that is refused."""
    out = []
    for x in items:
        if isinstance(x, (list, tuple)):
            out.append(_unwrap_nested(x))
        elif isinstance(x, Tensor):
            if x._requires_grad and _grad_mode.state.enabled:
                raise TypeError(
                    "Tensor() copies values, so a tensor inside the list would lose its "
                    "gradient; use tg.stack([...]) to build a tensor that keeps the graph "
                    "(or .detach() the elements for a constant)"
                )
            out.append(x.data)
        else:
            out.append(x)
    return out


def tensor(data: Any, requires_grad: bool = False, dtype: Any = None,
           name: str | None = None) -> Tensor:
    """Make a Tensor (same as ``Tensor(...)``, PyTorch spelling).

    >>> import tinygrad_lr as tg
    >>> tg.tensor([1, 2]).dtype
    dtype('float64')
    """
    return Tensor(data, requires_grad=requires_grad, dtype=dtype, name=name)
