"""The op registry: every op, built-in or yours, is registered here by name.

An op is one small unit: ``forward`` computes with numpy arrays, ``backward`` returns the
vector-Jacobian product for each input, written with Tensor operations so that gradients
can be differentiated again. Registering an op makes it a callable function, optionally a
Tensor method, and visible to ``backward``, ``gradcheck``, the op test-suite and rendering.

    >>> import numpy as np
    >>> import tinygrad_lr as tg
    >>> @tg.op("cube_demo", formula="∂y/∂x = 3x²", method="cube_demo", replace=True)
    ... class cube_demo:
    ...     "x³, elementwise."
    ...     def forward(x):
    ...         return x ** 3
    ...     def backward(grad, out, x):
    ...         return grad * 3 * x * x
    >>> x = tg.Tensor(2.0, requires_grad=True)
    >>> x.cube_demo().backward()
    >>> x.grad
    Tensor(12.)
    >>> tg.registry.unregister_op("cube_demo")

Conventions for ``forward(*inputs, **params)``: positional parameters are the inputs
(tensors or numbers), keyword-only parameters are the op's settings (``axis`` ...). A
forward that is a single numpy ufunc call may be the ufunc itself (``forward = np.add``).
``backward(grad, out, *inputs, **params)`` receives the incoming gradient, the output
tensor and the inputs as the forward saw them (tensors or numbers), and returns one
gradient per input (a single value for a one-input op). It may return ``None`` for an
input that does not need a gradient; see :func:`needs_grad`.
"""

from __future__ import annotations

import difflib
import inspect
import traceback

import numpy as np

from . import grad_mode
from .domains import (  # noqa: F401  (re-exported: ops import them from here)
    BOOLEAN,
    KINK_AT_ZERO,
    NONZERO,
    POSITIVE,
    REAL,
    UNIT_INTERVAL,
    Domain,
)
from .gc_pause import collector_running, pause_collector, resume_collector
from .op_checks import OperandTypeError, check_axis, float64_from_integers, forward_error
from .tensor import Tensor, TracedTensor, wrap
from .tensor_methods import (
    _ATTACHED_METHODS,  # noqa: F401  (read by make stubs)
    detach_methods_of,
)
from .tensor_methods import PLAIN_NUMBERS as _PLAIN_NUMBERS
from .tensor_methods import attach as _attach

_REGISTRY: dict[str, Op] = {}
_INTERNAL: dict[str, Op] = {}  # the engine's own ops (speed kernels): not in the op table


class Op:
    """A registered op: call it like a function on tensors, numbers or arrays.

    Attributes: ``name``, ``label`` (short text shown in rendered graphs), ``formula`` (the
    local derivative as text), ``derivatives`` (the same as data, or None), ``domain`` (one
    :class:`Domain` per input), ``cases``
    (shapes and params the op tests use; ``None`` means elementwise with broadcasting),
    ``n_inputs`` (``None`` for ops taking any number of inputs), ``param_names``.

    >>> import tinygrad_lr as tg
    >>> op = tg.get_op("sum")
    >>> op.n_inputs, op.param_names, op.label
    (1, ('axis', 'keepdims'), 'Σ')
    """

    def __init__(self, name, forward, backward, *, label=None, formula=None, domain=None,
                 cases=None, doc=None, derivatives=None, differentiable: bool = True,
                 pure: bool = True, internal: bool = False) -> None:
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(f"op name must be a Python identifier, got {name!r}")
        if not callable(forward) or not callable(backward):
            raise TypeError(f"op '{name}' needs callable forward and backward functions")
        self.name = name
        self.forward = forward
        self.backward = backward
        self.label = label or name
        self.derivatives = derivatives  # a formulas.Derivatives: the rule as data
        self.formula = formula if formula is not None or derivatives is None else (
            derivatives.text())
        # A result that carries no gradient (comparisons, masks, indices): recorded only
        # while a compiler traces, and never requiring grad (backward walks stop there).
        self.differentiable = bool(differentiable)
        # Not pure (random): a compiled program never merges two calls or folds one.
        self.pure = bool(pure)
        self.internal = bool(internal)
        if not self.differentiable:  # (kept off the common path: an instance attribute)
            self._run = self._run_without_gradient
        self.cases = cases
        own_doc = None if isinstance(forward, np.ufunc) else getattr(forward, "__doc__", None)
        self.__doc__ = doc or own_doc or f"The '{name}' op."
        self.__name__ = name
        self.n_inputs, self.param_names, self.param_defaults = _read_signature(name, forward)
        _check_backward_signature(name, backward, self.n_inputs, self.param_names)
        self.variadic = self.n_inputs is None
        self._arity = -1 if self.variadic else self.n_inputs
        self._param_set = frozenset(self.param_names)
        if domain is None:
            domain = REAL
        if isinstance(domain, Domain):
            domain = (domain,) * (self.n_inputs or 1)
        self.domain = tuple(domain)
        if self.n_inputs is not None and len(self.domain) != self.n_inputs:
            raise ValueError(
                f"op '{name}' has {self.n_inputs} inputs but {len(self.domain)} domains"
            )

    def __repr__(self) -> str:
        return f"<op {self.name}>"

    def __call__(self, *args, **params):
        # The general entry: any arity, settings, arrays and lists. The operators and the
        # Tensor methods run the common cases without its loops (see tensor_methods.py).
        if len(args) != self._arity:  # also true for every call of a variadic op
            args, params = self._bind(args, params)
        elif params and not self._param_set.issuperset(params):
            self._reject_unknown(params)
        arrays = []
        record = False
        for arg in args:
            if isinstance(arg, Tensor):
                arrays.append(arg.data)
                if arg._requires_grad:
                    record = True
            elif arg.__class__ in _PLAIN_NUMBERS:
                arrays.append(arg)
            else:
                return self(*_as_operands(args, self.name), **params)
        if params and "axis" in params:
            check_axis(self.name, params["axis"], arrays)
        return self._run(args, arrays, params or None, record)

    def _run(self, args, arrays, params, record):
        """Run the forward on ``arrays`` (the data of ``args``); the value becomes a Tensor,
        linked into the graph when ``record`` (an input requires grad) and grad mode is on."""
        # Hot path (docs/architecture.md lists the tricks and what each buys): the
        # thread-local switches are read only when some thread changed them (the counts
        # in grad_mode), and a recording op pauses the cyclic collector (gc_pause.py).
        # Grad mode is read first: under no_grad, as in a backward's rules, nothing is
        # recorded and nothing pauses.
        record = record and (not grad_mode.threads_without_grad or _modes.enabled)
        if not (record or grad_mode.threads_tracing or grad_mode.threads_with_anomaly):
            # Nothing to record, no trace, no anomaly check (a backward's rules run here):
            # the value and a bare Tensor, without the branches below.
            try:
                out = self.forward(*arrays, **params) if params else self.forward(*arrays)
            except (ValueError, IndexError, TypeError, OverflowError) as error:
                raise forward_error(self.name, arrays, error) from None
            if type(out) is not _NDARRAY:
                out = np.asarray(out)
            dtype = out.dtype
            if dtype is not _FLOAT64 and dtype.kind == "f" and dtype.itemsize < 8:
                out = float64_from_integers(self.forward, out, arrays, params or {})
            result = _new_object(Tensor)  # wrap(out), written out as below
            result.data = out
            result.grad = None
            result._requires_grad = False
            result._op = None
            result._inputs = ()
            result._params = None
            result._released = False
            result._visit = None
            return result
        tracing = grad_mode.threads_tracing and _modes.tracing
        paused = record and collector_running()
        if paused:
            pause_collector()
        try:
            try:
                out = self.forward(*arrays, **params) if params else self.forward(*arrays)
            except (ValueError, IndexError, TypeError, OverflowError) as error:
                raise forward_error(self.name, arrays, error) from None
            if type(out) is not _NDARRAY:
                out = np.asarray(out)
            # (eagerly, a recorded op has a floating input: nothing to promote; a trace
            # also records integer inputs)
            if not record or tracing:
                dtype = out.dtype
                if dtype is not _FLOAT64 and dtype.kind == "f" and dtype.itemsize < 8:
                    out = float64_from_integers(self.forward, out, arrays, params or {})
            if record or tracing:  # a trace records every op: its program computes each
                # wrap(out, self, args, params) written out: one call less per op (W4
                # forward about 5%); tests/engine/test_walk.py checks both fill the same slots.
                result = _new_object(Tensor)
                result.data = out
                result.grad = None
                result._requires_grad = True
                result._op = self
                result._inputs = args
                result._params = params
                result._released = False
                result._visit = None
                if tracing:  # user code reading its .data would freeze the value: refused
                    result.__class__ = TracedTensor
                    result._requires_grad = bool(record)
            else:
                result = wrap(out)
            if grad_mode.threads_with_anomaly and _modes.anomaly:
                check_finite(out, self.name, "forward value", _user_frame())
                if result._op is not None:
                    result._trace = _user_frame()
            return result
        finally:
            if paused:
                resume_collector()

    def _run_without_gradient(self, args, arrays, params, record):
        """``_run`` for an op whose result carries no gradient (traces still link it)."""
        return Op._run(self, args, arrays, params, False)

    def _bind(self, args, params):
        """Split positional arguments into inputs and params (``sum(x, 1)`` is axis=1)."""
        if self.variadic:
            if args and isinstance(args[0], (list, tuple)):
                inputs, extra = tuple(args[0]), args[1:]
            else:
                inputs, extra = args, ()
            if not inputs:
                raise ValueError(f"{self.name}() needs at least one input")
        else:
            if len(args) < self.n_inputs:
                raise TypeError(
                    f"{self.name}() takes {self.n_inputs} input(s), got {len(args)}"
                )
            inputs, extra = args[: self.n_inputs], args[self.n_inputs:]
        if len(extra) > len(self.param_names):
            raise TypeError(
                f"{self.name}() got {len(extra)} extra positional argument(s); "
                f"its settings are {list(self.param_names)}"
            )
        params = dict(params)
        for pname, value in zip(self.param_names, extra):
            if pname in params:
                raise TypeError(f"{self.name}() got multiple values for '{pname}'")
            params[pname] = value
        if params and not self._param_set.issuperset(params):
            self._reject_unknown(params)
        return inputs, params

    def _reject_unknown(self, params):
        unknown = sorted(set(params) - self._param_set)
        raise TypeError(
            f"{self.name}() got unexpected keyword argument(s) {unknown}; "
            f"its settings are {list(self.param_names)}"
        )


def _read_signature(name, forward):
    if isinstance(forward, np.ufunc):
        # A forward that is one numpy ufunc may be the ufunc itself (``forward = np.add``):
        # one Python call fewer on every use of the op. Its inputs are the ufunc's; it has
        # no settings (numpy's keywords, ``out=`` and the like, are not the op's).
        if forward.nout != 1:
            raise TypeError(f"op '{name}': a ufunc forward must have one output, "
                            f"{forward.__name__} has {forward.nout}")
        return forward.nin, (), {}
    if _first_parameter(forward) == "self":
        raise TypeError(f"op '{name}': forward and backward are plain functions in the class "
                        "body, without self")
    n_inputs = 0
    variadic = False
    names, defaults = [], {}
    for p in inspect.signature(forward).parameters.values():
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            if names:
                raise TypeError(f"op '{name}': inputs must come before keyword-only settings")
            n_inputs += 1
        elif p.kind is p.VAR_POSITIONAL:
            variadic = True
        elif p.kind is p.KEYWORD_ONLY:
            names.append(p.name)
            if p.default is not p.empty:
                defaults[p.name] = p.default
        else:
            raise TypeError(f"op '{name}': forward may not take **{p.name}")
    if variadic and n_inputs:
        raise TypeError(f"op '{name}': a variadic forward takes only *inputs")
    return (None if variadic else n_inputs), tuple(names), defaults


def _first_parameter(function):
    return next(iter(inspect.signature(function).parameters), None)


def _check_backward_signature(name, backward, n_inputs, param_names) -> None:
    """Catch a mis-shaped rule at registration rather than at the first backward."""
    try:
        signature = inspect.signature(backward)
    except (TypeError, ValueError):  # some builtins have no signature: trust them
        return
    if _first_parameter(backward) == "self":
        raise TypeError(f"op '{name}': forward and backward are plain functions in the class "
                        "body, without self")
    inputs = "*inputs" if n_inputs is None else ", ".join(f"x{i}" for i in range(1, n_inputs + 1))
    settings = f", *, {', '.join(param_names)}" if param_names else ""
    expected = f"backward(grad, out, {inputs}{settings})"
    try:
        signature.bind(None, None, *([None] * (n_inputs or 2)),
                       **{param: None for param in param_names})
    except TypeError:
        raise TypeError(
            f"op '{name}': backward{signature} cannot be called as {expected}: it receives "
            "the incoming gradient, the output tensor, then the op's inputs and settings"
        ) from None


_modes = grad_mode.state
_SCALARS = (bool, int, float, np.bool_, np.integer, np.floating)
_FLOAT64 = np.dtype(np.float64)
_NDARRAY = np.ndarray
_new_object = object.__new__


def _as_operands(values, op_name) -> tuple:
    """Numbers stay numbers (so float32 tensors stay float32); arrays become constant tensors.

    A list or tuple holding tensors is stacked into one tensor, as numpy stacks
    ``np.mean([a, b])``: the tensors keep their gradients instead of becoming a constant.
    """
    converted = []
    for position, value in enumerate(values):
        if isinstance(value, Tensor):
            converted.append(value)
        elif isinstance(value, _SCALARS):
            # numpy scalars would otherwise promote float32 arrays to float64 (NEP 50).
            converted.append(value.item() if isinstance(value, np.generic) else value)
        elif isinstance(value, (np.ndarray, list, tuple)):
            if type(value).__module__.startswith("numpy.ma"):
                raise TypeError(f"{op_name}() input {position} is a numpy.ma masked array, "
                                "whose mask the graph would drop: use tg.where(m.mask, ...)")
            converted.append(_array_operand(value, op_name, position))
        else:
            raise OperandTypeError(
                f"{op_name}() input {position} must be a Tensor, a number or an array, "
                f"got {type(value).__name__}"
            )
    return tuple(converted)


def _array_operand(value, op_name: str, position: int) -> Tensor:
    if isinstance(value, np.ndarray) and value.dtype.kind == "O":
        value = value.tolist()  # an object array may hold tensors: treat it as the list it is
    if not isinstance(value, np.ndarray) and _holds_tensor(value):
        try:
            return _stack_nested(value)
        except ValueError as error:
            raise ValueError(
                f"{op_name}() input {position} is a list of tensors, which is stacked into one "
                f"tensor (as numpy does), but they do not stack: {error}"
            ) from None
    try:
        return Tensor(value)
    except TypeError as error:
        raise OperandTypeError(f"{op_name}() input {position}: {error}") from None


def _holds_tensor(items) -> bool:
    return any(isinstance(x, Tensor) or (isinstance(x, (list, tuple)) and _holds_tensor(x))
               for x in items)


def _stack_nested(items) -> Tensor:
    """``[[a, b], [c, 1.0]]`` as one differentiable tensor (numbers take the tensors' dtype)."""
    dtype = _first_tensor(items).dtype
    parts = [_stack_nested(x) if isinstance(x, (list, tuple)) else
             x if isinstance(x, Tensor) else Tensor(np.asarray(x, dtype=dtype)) for x in items]
    if not parts:
        raise ValueError("an empty list inside the list has no shape")
    return get_op("stack")(*parts)


def _first_tensor(items):
    for x in items:
        if isinstance(x, Tensor):
            return x
        if isinstance(x, (list, tuple)):
            found = _first_tensor(x)
            if found is not None:
                return found
    return None


def needs_grad(value) -> bool:
    """True if ``value`` is a tensor that wants a gradient (use it to skip work in backward).

    >>> import tinygrad_lr as tg
    >>> from tinygrad_lr.registry import needs_grad
    >>> needs_grad(tg.Tensor(1.0, requires_grad=True)), needs_grad(2.0)
    (True, False)
    """
    return isinstance(value, Tensor) and value._requires_grad


def check_finite(array, op_name: str, what: str, created_at) -> None:
    """Raise FloatingPointError if ``array`` holds NaN or inf (used by ``detect_anomaly``)."""
    array = np.asarray(array)
    if array.dtype.kind in "fc" and not np.isfinite(array).all():
        bad = "nan" if np.isnan(array).any() else "inf"
        where = f"; the tensor was created at {created_at}" if created_at else ""
        raise FloatingPointError(f"op '{op_name}' produced {bad} in its {what}{where}")


def _user_frame() -> str:
    """The innermost stack frame outside this package: where the user made the tensor."""
    package = __name__.rsplit(".", 1)[0].replace(".", "/")
    for frame in reversed(traceback.extract_stack()[:-2]):
        if f"/{package}/" not in frame.filename.replace("\\", "/"):
            return f"{frame.filename}:{frame.lineno} ({frame.line})"
    return "unknown location"


def register_op(name: str, forward, backward, *, label=None, formula=None, domain=None,
                cases=None, method=None, rmethod=None, method_impl=None, doc=None,
                replace: bool = False, derivatives=None, differentiable: bool = True,
                pure: bool = True, internal: bool = False) -> Op:
    """Register an op and return it (the function form of :func:`op`).

    Args:
        name: the op's name; also its name in ``tinygrad_lr`` and ``tinygrad_lr.functional``.
        forward: ``forward(*inputs, **params) -> ndarray`` on numpy arrays, or a numpy
            ufunc with one output (its inputs are the op's; no settings).
        backward: ``backward(grad, out, *inputs, **params)`` returning one gradient per
            input, computed with Tensor operations.
        label: short text for rendered graphs (default: the name).
        formula: the local derivative as text, e.g. ``"∂a/∂z = a(1−a)"``.
        derivatives: the local derivatives as data (:class:`tinygrad_lr.formulas.Derivatives`,
            one expression per input in the op's own names), for pictures that substitute
            names and numbers; ``formula`` defaults to its text.
        domain: a :class:`Domain` for every input, or one per input (default: all reals).
        cases: ``cases(shape) -> [(input_shapes, params), ...]`` for the op tests, for ops
            that are not elementwise.
        method: also attach the op as ``Tensor.<method>`` (``True`` means the op's name; a
            tuple of names attaches it under each, as ``abs`` is ``__abs__`` and ``abs``).
        rmethod: attach a reflected operator (e.g. ``"__radd__"``) calling ``op(other, self)``.
        method_impl: a custom function to attach instead of the default method.
        replace: allow replacing an op that is already registered.
        differentiable: False for an op whose result carries no gradient (a comparison, a
            mask, indices): its result never requires grad, and backward stops there.
        pure: False for an op whose value is not a function of its inputs (random draws):
            a compiled program calls it every time, never merging or folding calls.
        internal: an op of the engine itself (a speed kernel a backward rule calls): kept
            out of :func:`registered_ops`, ``tg.*`` and numpy's dispatch.

    >>> import tinygrad_lr as tg
    >>> from tinygrad_lr.registry import register_op
    >>> double = register_op("double_demo", lambda x: 2 * x, lambda g, out, x: g * 2,
    ...                      replace=True)
    >>> double(tg.Tensor([1.0, 2.0])).tolist()
    [2.0, 4.0]
    >>> tg.registry.unregister_op("double_demo")
    """
    if (name in _REGISTRY or name in _INTERNAL) and not replace:
        raise ValueError(f"an op named '{name}' is already registered; pass replace=True")
    new = Op(name, forward, backward, label=label, formula=formula, domain=domain,
             cases=cases, doc=doc, derivatives=derivatives,
             differentiable=differentiable, pure=pure, internal=internal)
    if method:
        names = (name,) if method is True else (method,) if isinstance(method, str) else method
        for method_name in names:
            _attach(new, method_name, method_impl, _REGISTRY)
    if rmethod:
        _attach(new, rmethod, None, _REGISTRY, reflected=True)
    (_INTERNAL if internal else _REGISTRY)[name] = new
    return new


def op(name: str, **meta):
    """Class decorator: register the ``forward`` and ``backward`` written side by side.

    The class body is just a namespace (no ``self``); its docstring becomes the op's doc,
    and an optional ``as_method`` function is attached instead of the default method. All
    keyword arguments are those of :func:`register_op`.

    >>> import numpy as np
    >>> import tinygrad_lr as tg
    >>> @tg.op("square_demo", formula="∂x²/∂x = 2x", replace=True)
    ... class square_demo:
    ...     "x², elementwise."
    ...     def forward(x):
    ...         return np.square(x)
    ...     def backward(grad, out, x):
    ...         return grad * 2 * x
    >>> square_demo(tg.Tensor([3.0])).tolist()
    [9.0]
    >>> tg.registry.unregister_op("square_demo")
    """

    def register(unit):
        body = vars(unit)
        if "forward" not in body or "backward" not in body:
            raise TypeError(f"op '{name}' must define both forward and backward")
        return register_op(name, body["forward"], body["backward"],
                           method_impl=body.get("as_method"), doc=unit.__doc__, **meta)

    return register


def get_op(name: str) -> Op:
    """Return the registered op called ``name`` (KeyError with suggestions otherwise).

    >>> from tinygrad_lr.registry import get_op
    >>> get_op("sigmoid").formula
    '∂a/∂z = a(1−a)'
    """
    try:
        return _REGISTRY[name] if name in _REGISTRY else _INTERNAL[name]
    except KeyError:
        close = difflib.get_close_matches(name, _REGISTRY, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise KeyError(f"no op named '{name}' is registered{hint}") from None


def internal_op(name: str) -> Op | None:
    """The engine's internal op called ``name`` (a mask such as ``greater``), or None.

    >>> internal_op("greater").differentiable, internal_op("exp")
    (False, None)
    """
    return _INTERNAL.get(name)


def registered_ops() -> dict[str, Op]:
    """Return a copy of the registry: op name -> :class:`Op`, in registration order.

    >>> from tinygrad_lr.registry import registered_ops
    >>> "matmul" in registered_ops()
    True
    """
    return dict(_REGISTRY)


def unregister_op(name: str) -> None:
    """Remove an op (and the Tensor methods it attached) from the registry.

    >>> from tinygrad_lr.registry import register_op, registered_ops
    >>> _ = register_op("temporary_demo", lambda x: x, lambda g, out, x: g, method=True)
    >>> unregister_op("temporary_demo")
    >>> "temporary_demo" in registered_ops()
    False
    """
    get_op(name)
    (_REGISTRY if name in _REGISTRY else _INTERNAL).pop(name)
    detach_methods_of(name)
