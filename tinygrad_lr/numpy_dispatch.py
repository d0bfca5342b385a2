"""numpy's own functions on tensors: ``np.exp(t)``, ``np.sum(t, axis=0)``, ``np.where(c, t, 0)``.

Tensors implement numpy's two override protocols, ``__array_ufunc__`` (NEP 13: ``np.exp``,
``np.multiply``, and the operators of an ndarray on the left, ``array * tensor``) and
``__array_function__`` (NEP 18: ``np.sum``, ``np.mean``, ``np.concatenate`` ...). Both look
the numpy function up *by name* in the op registry (with a short table for the names that
differ, ``multiply`` → ``mul``), translate numpy's arguments to the op's settings, and call
the op: the result is a Tensor in the graph, with its gradient. An op registered later,
yours included, is found the same way, with no code here.

>>> import numpy as np
>>> import tinygrad_lr as tg
>>> x = tg.Tensor([1.0, 2.0], requires_grad=True)
>>> y = np.sum(np.exp(x) * np.array([1.0, 0.0]))
>>> y.backward()
>>> x.grad.tolist() == [float(np.exp(1.0)), 0.0]
True

What cannot carry a gradient (comparisons, ``np.isnan``, ``np.argmax``, ``np.shape``,
``np.allclose`` ...) is computed on the data, as Tensor comparisons are: an array result
comes back as a constant Tensor. A numpy function with no registered op is a TypeError
naming it and the nearest tinygrad_lr equivalent, never an ndarray that quietly drops the
graph; ``np.asarray(t)`` (a conversion, not a computation) still gives the data.
"""

from __future__ import annotations

import functools
import inspect

import numpy as np

from . import grad_mode
from .ops.decompositions import slogdet
from .ops.numpy_extras import gradient
from .ops.reshaping import array_split, dsplit, hsplit, split, vsplit
from .ops.spectral import eig, eigh, svd
from .registry import _REGISTRY, Op, internal_op
from .tensor import Tensor, hooks, refuse_if_traced, wrap

UFUNC_NAMES = {
    "multiply": "mul", "add": "add", "subtract": "sub", "true_divide": "div", "divide": "div",
    "negative": "neg", "power": "pow", "absolute": "abs", "remainder": "mod", "rint": "round",
}
"""numpy ufunc name → op name, where the two differ (otherwise the names are the same)."""

FUNCTION_NAMES = {
    "amax": "max", "amin": "min", "concat": "concatenate", "permute_dims": "transpose",
    "around": "round", "round_": "round",
}
"""numpy function name → op name, where the two differ."""

REDUCE_METHODS = {("add", "reduce"): "sum", ("multiply", "reduce"): "prod",
                  ("maximum", "reduce"): "max", ("minimum", "reduce"): "min",
                  ("add", "accumulate"): "cumsum", ("multiply", "accumulate"): "cumprod"}
"""``np.add.reduce`` and friends: the op computing the same thing."""

ARGUMENT_NAMES = {"a_min": "min", "a_max": "max", "newshape": "shape"}
"""numpy argument name → op setting name, where the two differ."""

NO_GRADIENT_UFUNCS = frozenset({
    "greater", "greater_equal", "less", "less_equal", "equal", "not_equal",
    "logical_and", "logical_or", "logical_xor", "logical_not", "isnan", "isinf", "isfinite",
    "signbit", "bitwise_and", "bitwise_or", "bitwise_xor", "invert", "bitwise_not", "isnat",
})
"""ufuncs whose results are booleans: computed on the data, like Tensor comparisons."""

NO_GRADIENT_FUNCTIONS = frozenset({
    "shape", "ndim", "size", "allclose", "isclose", "array_equal", "array_equiv", "argmax",
    "argmin", "argsort", "argwhere", "nonzero", "flatnonzero", "count_nonzero", "searchsorted",
    "all", "any", "alltrue", "sometrue", "iscomplexobj", "isrealobj", "iscomplex", "isreal",
    "may_share_memory", "shares_memory", "zeros_like", "ones_like", "empty_like",
    "array_repr", "array_str", "array2string", "matrix_rank", "isneginf", "isposinf",
})
"""numpy functions whose results are indices, booleans, shapes or values-free constants."""

HINTS = {
    "copy": "`t * 1` (a copy in the graph) or `t.detach()` (a constant copy)",
    "float_power": "tg.pow", "fmod": "tg.mod (numpy's remainder)",
    "asanyarray": "np.asarray(t)", "ravel": "t.reshape(-1)", "full_like": "tg.ones_like(t) * v",
}
"""Spelled-out equivalents for numpy functions that have no op of the same meaning."""

SEVERAL_RESULTS = {
    "numpy.split": split, "numpy.array_split": array_split, "numpy.hsplit": hsplit,
    "numpy.vsplit": vsplit, "numpy.dsplit": dsplit, "numpy.linalg.slogdet": slogdet,
    "numpy.gradient": gradient, "numpy.linalg.eigh": eigh, "numpy.linalg.eig": eig,
    "numpy.linalg.svd": svd,
}
"""numpy functions that return several arrays → the tinygrad_lr function returning as many
tensors (a list or a named tuple, as numpy does); they take numpy's arguments in order."""

_NO_DEFAULT = inspect.Parameter.empty
_UFUNC_OPTIONS = {"where": True, "casting": "same_kind", "order": "K", "subok": True}


def find_op(numpy_name: str, module: str = "numpy", table=FUNCTION_NAMES) -> Op | None:
    """The registered op that computes numpy's ``module.numpy_name``, or None.

    >>> find_op("multiply", table=UFUNC_NAMES).name, find_op("amax").name
    ('mul', 'max')
    >>> find_op("median") is None
    True
    """
    if module.startswith("numpy.linalg"):
        found = _REGISTRY.get(f"linalg_{numpy_name}") or _REGISTRY.get(numpy_name)
        return found
    found = _REGISTRY.get(numpy_name)
    if found is None and numpy_name in table:
        found = _REGISTRY.get(table[numpy_name])
    return found


# ----------------------------------------------------------------------- NEP 13: ufuncs
def array_ufunc(self, ufunc, method, *inputs, **kwargs):
    """``Tensor.__array_ufunc__``: ``np.exp(t)``, ``np.add(t, 1)``, ``array * t``."""
    name = ufunc.__name__
    if method == "__call__":
        if name in NO_GRADIENT_UFUNCS:
            mask = internal_op(name)  # a comparison op: recorded where the engine traces
            if mask is not None and not kwargs:
                return mask(*inputs)
            return _on_the_data(ufunc, inputs, kwargs)
        target = find_op(name, table=UFUNC_NAMES)
        if target is None:
            raise _missing(f"numpy.{name}", name)
        if kwargs:
            inputs = _ufunc_options(f"numpy.{name}", inputs, kwargs)
        return target(*inputs)
    target = _REGISTRY.get(REDUCE_METHODS.get((name, method), ""))
    if target is None or len(inputs) != 1:
        raise TypeError(
            f"numpy.{name}.{method} on a tensor has no tinygrad_lr equivalent; the supported "
            f"methods are {sorted(f'{u}.{m}' for u, m in REDUCE_METHODS)} (where the op exists)"
        )
    kwargs = dict(kwargs)
    kwargs.setdefault("axis", 0)  # numpy's default for reduce and accumulate
    (x,) = _ufunc_options(f"numpy.{name}.{method}", inputs, kwargs, keep=("axis", "keepdims"))
    return target(x, **_settings(target, f"numpy.{name}.{method}", kwargs))


def _ufunc_options(caller, inputs, kwargs, keep=()):
    """Refuse ``out=`` and unusual options; apply ``dtype=`` by casting the tensor inputs."""
    for option, value in list(kwargs.items()):
        if option in keep:
            continue
        if option == "out":
            if value is None or all(v is None for v in value):
                continue
            raise _refuse_out(caller)
        if option == "dtype":
            if value is not None:
                inputs = _cast_inputs(caller, inputs, value)
            continue
        if option in _UFUNC_OPTIONS and _is_default(value, _UFUNC_OPTIONS[option]):
            continue
        raise TypeError(f"{caller}(): the option {option}={value!r} is not supported on tensors")
    for option in list(kwargs):
        if option not in keep:
            del kwargs[option]
    return inputs


# ------------------------------------------------------------------ NEP 18: functions
def array_function(self, func, types, args, kwargs):
    """``Tensor.__array_function__``: ``np.sum(t)``, ``np.mean(t, axis=0)``, ``np.where``."""
    if not all(issubclass(t, (Tensor, np.ndarray)) for t in types):
        return NotImplemented
    name = func.__name__
    module = getattr(func, "__module__", None) or "numpy"
    if name in NO_GRADIENT_FUNCTIONS:
        return _on_the_data(func, args, kwargs)
    caller = f"{module}.{name}"
    several = SEVERAL_RESULTS.get(caller)
    if several is not None:
        try:
            bound = _signature(func).bind(*args, **kwargs)
        except TypeError as error:
            raise TypeError(f"{caller}(): {error}") from None
        return several(*bound.args, **bound.kwargs)
    target = find_op(name, module)
    if target is None:
        raise _missing(caller, name)
    signature = _signature(func)
    try:
        bound = signature.bind(*args, **kwargs)
    except TypeError as error:
        raise TypeError(f"{caller}(): {error}") from None
    first = next(iter(signature.parameters.values()))
    if not target.variadic and first.kind is first.VAR_POSITIONAL and len(args) > 1 \
            and target.n_inputs == 1:
        # np.atleast_2d(a, b): numpy applies the function to each array in turn
        return tuple(array_function(self, func, types, (a,), kwargs) for a in args)
    inputs, params = _split(caller, target, signature, bound)
    if inputs is None:  # numpy does something else with these arguments (np.where(c))
        return _on_the_data(func, args, kwargs)
    return target(*inputs, **params)


@functools.lru_cache(maxsize=512)
def _signature(func) -> inspect.Signature:
    try:
        return inspect.signature(func)
    except ValueError:  # numpy < 2.3: some C functions carry no signature
        stub = _C_FUNCTION_SIGNATURES.get(func.__name__)
        if stub is None:
            raise TypeError(f"numpy.{func.__name__}() on tensors: this numpy does not say "
                            "which arguments it takes; call tinygrad_lr's function instead"
                            ) from None
        return inspect.signature(stub)


# numpy's own signatures of the C functions that have none before numpy 2.3.
def _where(condition, x=None, y=None, /): ...
def _concatenate(arrays, /, axis=0, out=None, *, dtype=None, casting="same_kind"): ...
def _dot(a, b, out=None): ...
def _inner(a, b, /): ...
def _vdot(a, b, /): ...


_C_FUNCTION_SIGNATURES = {"where": _where, "concatenate": _concatenate, "dot": _dot,
                          "inner": _inner, "vdot": _vdot}


def _split(caller, target: Op, signature, bound):
    """numpy's bound arguments as the op's inputs and settings."""
    arguments = bound.arguments
    names = list(signature.parameters)
    if target.variadic:
        first = signature.parameters[names[0]]
        given = arguments.get(names[0], ())
        inputs = tuple(given) if first.kind is first.VAR_POSITIONAL else given
        rest = names[1:]
        if isinstance(inputs, tuple) and inputs and isinstance(inputs[0], str) \
                and target.param_names:
            # np.einsum("ij,j", a, b): the leading text is the op's first setting.
            arguments = dict(arguments)
            arguments[target.param_names[0]] = inputs[0]
            inputs = inputs[1:]
            rest = [target.param_names[0]] + rest
        inputs = (inputs,) if not isinstance(inputs, tuple) else inputs
    elif signature.parameters[names[0]].kind is inspect.Parameter.VAR_POSITIONAL:
        inputs = tuple(arguments.get(names[0], ()))  # np.atleast_2d(*arys)
        if len(inputs) != target.n_inputs:
            raise TypeError(f"{caller}(): the op '{target.name}' takes {target.n_inputs} "
                            f"input(s) per call, got {len(inputs)}")
        rest = names[1:]
    else:
        slots = names[: target.n_inputs]
        inputs = tuple(arguments[s] if s in arguments else _input_default(signature, s)
                       for s in slots)
        if any(value is None for value in inputs[1:]):
            return None, None
        rest = names[target.n_inputs:]
    params: dict = {}
    dtype = None
    for name in rest:
        if name not in arguments:
            continue
        parameter = signature.parameters.get(name)
        if parameter is not None and parameter.kind is parameter.VAR_KEYWORD:
            given = [(key, value, _NO_DEFAULT) for key, value in arguments[name].items()]
        else:
            default = parameter.default if parameter is not None else _NO_DEFAULT
            given = [(name, arguments[name], default)]
        for key, value, default in given:
            setting = ARGUMENT_NAMES.get(key, key)
            if key == "out":
                if value is not None:
                    raise _refuse_out(caller)
            elif key == "dtype" and "dtype" not in target.param_names:
                dtype = value  # applied below by casting the inputs
            elif setting in target.param_names or not _is_default(value, default):
                params[setting] = value  # numpy's defaults for options the op lacks are dropped
    unknown = sorted(set(params) - set(target.param_names))
    if unknown:
        raise TypeError(
            f"{caller}(): the argument(s) {unknown} are not supported on tensors: the op "
            f"'{target.name}' has the settings {list(target.param_names)}"
        )
    if dtype is not None:
        inputs = _cast_inputs(caller, inputs, dtype)
    return inputs, params


def _input_default(signature, name):
    """numpy's default for an input left out (np.select's default=0), None if it has none."""
    default = signature.parameters[name].default
    return None if default is _NO_DEFAULT or default is np._NoValue else default


def _settings(target: Op, caller: str, kwargs: dict) -> dict:
    unknown = sorted(set(kwargs) - set(target.param_names))
    if unknown:
        raise TypeError(f"{caller}(): the argument(s) {unknown} are not supported on tensors")
    return {k: v for k, v in kwargs.items() if not (k == "keepdims" and v is np._NoValue)}


# ------------------------------------------------------------------------- helpers
def _is_default(value, default) -> bool:
    if value is default:
        return True
    if isinstance(value, (bool, int, float, str, type(None))) and type(value) is type(default):
        return value == default
    return False


def _cast_inputs(caller, inputs, dtype):
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(
            f"{caller}(): dtype={dtype} is not supported on tensors: only floating-point results "
            "have gradients (compute on t.numpy() for an integer result)"
        )
    cast = _REGISTRY["astype"]
    return tuple(_cast_one(cast, x, dtype) for x in inputs)


def _cast_one(cast, x, dtype):
    if isinstance(x, (list, tuple)):
        return type(x)(_cast_one(cast, item, dtype) for item in x)
    if isinstance(x, (Tensor, np.ndarray)):
        return cast(x, dtype=dtype)
    return x


def _refuse_out(caller) -> TypeError:
    return TypeError(
        f"{caller}(): out= is not supported on tensors: a result written into an existing "
        "array would leave the graph; use the returned tensor (for arrays, `a = a + t` "
        "instead of `a += t`)"
    )


def _missing(caller: str, name: str) -> TypeError:
    hint = HINTS.get(name)
    also = f"; the nearest tinygrad_lr equivalent is {hint}" if hint else ""
    return TypeError(
        f"{caller}() has no differentiable tinygrad_lr equivalent (no op named '{name}' is "
        f"registered){also}. Call it on t.numpy() for a constant result, or register the "
        "op with tg.op so numpy finds it"
    )


def _tensors_in(value):
    if isinstance(value, Tensor):
        yield value
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _tensors_in(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _tensors_in(item)


def _data(value):
    if isinstance(value, Tensor):
        return value.data
    if isinstance(value, (list, tuple)):
        return type(value)(_data(v) for v in value)
    return value


def _constant(value):
    if isinstance(value, np.ndarray):
        return wrap(value)
    if isinstance(value, tuple):
        return tuple(_constant(v) for v in value)
    return value


_STATIC_FUNCTIONS = frozenset({"shape", "ndim", "size", "iscomplexobj", "isrealobj",
                               "may_share_memory", "shares_memory", "zeros_like", "ones_like",
                               "empty_like"})


def _on_the_data(func, args, kwargs):
    """Results without a gradient: numpy computes them from the values (refused for a value
    the compiler is tracing: the program could not recompute it)."""
    if grad_mode.threads_tracing and func.__name__ not in _STATIC_FUNCTIONS:
        for t in _tensors_in((args, kwargs)):
            refuse_if_traced(t, f"numpy.{func.__name__}")
    return _constant(func(*_data(args), **{k: _data(v) for k, v in kwargs.items()}))


# Tensor's two override methods hand numpy's calls to these (see tensor.EngineHooks).
hooks.array_ufunc = array_ufunc
hooks.array_function = array_function
