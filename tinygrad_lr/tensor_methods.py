"""Ops as Tensor methods and operators: ``t.exp()``, ``t + u``, ``2 * t``, ``abs(t)``.

The registry calls :func:`attach` when an op is registered with ``method=`` or ``rmethod=``;
the methods made here are the only code that writes to the Tensor class. The operator and
no-argument methods are the engine's fast dispatch path (see ``_operator_method``).
"""

from __future__ import annotations

from .op_checks import OperandTypeError, check_axis
from .tensor import Tensor

# Python numbers an op takes as they are (numpy scalars are converted first: NEP 50).
PLAIN_NUMBERS = frozenset({float, int, bool})

_ATTACHED_METHODS: dict[str, str] = {}  # method name -> the name of the op that attached it


def attach(target, method_name: str, impl, public_ops: dict, reflected: bool = False) -> None:
    """Make the op ``target`` the Tensor method ``method_name`` (``impl``, if given, as is).

    A name the class defines, or one another op in ``public_ops`` attached, is refused.
    """
    owner = _ATTACHED_METHODS.get(method_name)
    if owner is None and hasattr(Tensor, method_name) and not _only_inherited(method_name):
        raise ValueError(
            f"cannot attach op '{target.name}' as Tensor.{method_name}: that name is taken"
        )
    if owner is not None and owner != target.name and public_ops.get(owner) is not None:
        raise ValueError(
            f"Tensor.{method_name} already belongs to op '{owner}'; pick another method name"
        )
    if impl is not None:
        method = impl
    elif reflected or (target.n_inputs == 2 and method_name.startswith("__")):
        method = _operator_method(target, reflected)
    elif target.n_inputs == 1:
        method = _unary_method(target, operator=method_name.startswith("__"))
    elif method_name.startswith("__"):
        def method(self, *args):
            try:
                return target(self, *args)
            except OperandTypeError:
                return NotImplemented
    else:
        def method(self, *args, **params):
            return target(self, *args, **params)
    method.__name__ = method_name
    method.__qualname__ = f"Tensor.{method_name}"
    method.__doc__ = method.__doc__ or target.__doc__
    setattr(Tensor, method_name, method)
    _ATTACHED_METHODS[method_name] = target.name


def _only_inherited(method_name: str) -> bool:
    """A comparison Tensor inherits from ``object`` (``__eq__``) may become an op's method."""
    return method_name.startswith("__") and not any(
        method_name in vars(k) for k in Tensor.__mro__ if k is not object)


def _operator_method(target, reflected: bool):
    """``Tensor.__mul__`` (or, reflected, ``__rmul__``) for a two-input op.

    Two tensors, or a tensor and a Python number, go straight to ``Op._run``: this method is
    that case's dispatch, written out here because each Python call it saves is a few
    percent of a small op (measured on the W4 loop, ``c = a*b + c``: through
    ``Op.__call__`` the forward costs about 1.6x per op). Anything else takes the general
    ``Op.__call__``. Python operators return NotImplemented for foreign types, so
    ``t + "a"`` is the usual TypeError and other types get a chance to handle the operation.
    """

    def method(self, other):
        # ``self`` is the Tensor Python called the operator on; ``other`` the other operand.
        # (class tests first: cheaper than isinstance, which only a Tensor subclass needs)
        kind = other.__class__
        if kind is not Tensor and kind in PLAIN_NUMBERS:
            other_data = other
            record = self._requires_grad
        elif kind is Tensor or isinstance(other, Tensor):
            other_data = other.data
            record = self._requires_grad or other._requires_grad
        else:
            try:
                return target(other, self) if reflected else target(self, other)
            except OperandTypeError:
                return NotImplemented
        if reflected:
            return target._run((other, self), (other_data, self.data), None, record)
        return target._run((self, other), (self.data, other_data), None, record)

    return method


def _unary_method(target, operator: bool):
    """``Tensor.exp`` (or an operator such as ``__neg__``) for a one-input op: without
    arguments it goes straight to ``Op._run``, and so do settings given by keyword;
    positional settings take ``target(self, ...)``."""
    param_set = target._param_set

    def method(self, *args, **params):
        if args or params:
            if not args and param_set.issuperset(params):
                # Settings by keyword (``g.sum(axis=(0,))``, as sum_to_shape calls it):
                # Op.__call__'s checks for one Tensor, written out (about 0.5 µs a call).
                if "axis" in params:
                    check_axis(target.name, params["axis"], (self.data,))
                return target._run((self,), (self.data,), params, self._requires_grad)
            try:
                return target(self, *args, **params)
            except OperandTypeError:
                if operator:
                    return NotImplemented
                raise
        return target._run((self,), (self.data,), None, self._requires_grad)

    return method


def detach_methods_of(op_name: str) -> None:
    """Remove the Tensor methods the op called ``op_name`` attached (when it is unregistered)."""
    for method_name, owner in list(_ATTACHED_METHODS.items()):
        if owner == op_name:
            delattr(Tensor, method_name)
            del _ATTACHED_METHODS[method_name]
