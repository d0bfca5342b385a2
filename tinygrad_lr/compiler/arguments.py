"""Arguments and results of a compiled function: flattening, signatures, rebuilding.

A call's arguments are split into array leaves and a hashable description of everything
else (the signature): containers, shapes, dtypes, Python numbers by value. For each traced
signature, code is generated once: a matcher that recognizes the next call with the same
signature in straight-line checks, and a builder that turns the program's flat results
back into the function's output structure.
"""

from __future__ import annotations

import builtins
import inspect
import itertools
import math

import numpy as np

from ..tensor import Tensor, wrap

_STATIC = (bool, int, float, complex, str, type(None))


_NAN = float("nan")


def flatten(value, leaves: list, where: str):
    """Split an argument into array leaves and a hashable description of everything else.

    ``where`` names the argument in errors (``#0[2]``); it is extended only on the slow path.
    """
    cls = value.__class__
    if cls is np.ndarray:
        leaves.append(value)
        return ("a", value.shape, value.dtype)
    if cls is list or cls is tuple:  # the common case, a list of parameters, kept fast
        specs = []
        for i, v in enumerate(value):
            if v.__class__ is np.ndarray:
                leaves.append(v)
                specs.append(("a", v.shape, v.dtype))
            else:
                specs.append(flatten(v, leaves, f"{where}[{i}]"))
        return (cls, tuple(specs))
    if cls is Tensor:
        leaves.append(value.data)
        return ("t", value.data.shape, value.data.dtype)
    if isinstance(value, np.generic):  # a numpy scalar is a 0-d array with its dtype
        value = np.asarray(value)
        leaves.append(value)
        return ("a", value.shape, value.dtype)
    if cls is float:  # -0.0 == 0.0, yet 1 / -0.0 is -inf: the sign is part of the signature
        if value != value:  # every NaN is this one, so that a NaN signature is found again
            value = _NAN
        return ("s", cls, value, math.copysign(1.0, value))
    if cls in _STATIC or isinstance(value, _STATIC):
        return ("s", cls, value)
    if isinstance(value, (tuple, list)):
        return (cls, tuple(flatten(v, leaves, f"{where}[{i}]") for i, v in enumerate(value)))
    if isinstance(value, dict):
        keys = tuple(value)
        return (dict, keys, tuple(flatten(value[k], leaves, f"{where}[{k!r}]") for k in keys))
    if isinstance(value, Tensor):  # a subclass: the data is what counts
        leaves.append(value.data)
        return ("t", value.data.shape, value.data.dtype)
    if isinstance(value, np.ndarray):
        leaves.append(np.asarray(value))
        return ("a", value.shape, value.dtype)
    raise TypeError(
        f"compiled function: argument {where} is a {cls.__name__}; pass tensors, arrays, "
        "numbers, or tuples, lists and dicts of them"
    )


def builder(spec, first: int = 0):
    """A function ``flat -> structure`` for output ``spec``, generated once per signature.

    ``("w",)`` leaves (see :func:`_as_outputs`) become Tensors, array leaves stay arrays,
    static leaves are constants; ``first`` is the position of the first leaf in ``flat``.
    """
    namespace = {"wrap": wrap, "asarray": np.asarray}
    position = itertools.count(first)

    def expression(spec) -> str:
        # A 0-d result may come out of numpy as a scalar (a reduction's): eager makes
        # every result an array, and so does this.
        kind = spec[0]
        if kind == "w":
            if len(spec) > 1 and spec[1] != ():
                return f"wrap(flat[{next(position)}])"
            return f"wrap(asarray(flat[{next(position)}]))"
        if kind in ("a", "t"):
            return f"flat[{next(position)}]" if spec[1] != () else \
                f"asarray(flat[{next(position)}])"
        if kind == "s":
            name = f"s{len(namespace)}"
            namespace[name] = spec[2]
            return name
        if kind is dict:
            keys = f"k{len(namespace)}"
            namespace[keys] = spec[1]
            items = ", ".join(f"{keys}[{i}]: {expression(s)}" for i, s in enumerate(spec[2]))
            return "{" + items + "}"
        items = "".join(f"{expression(s)}, " for s in spec[1])
        if kind is tuple:
            return f"({items})"
        if kind is list:
            return f"[{items}]"
        name = f"t{len(namespace)}"
        namespace[name] = kind
        return f"{name}([{items}])"

    source = f"def build(flat):\n    return {expression(spec)}\n"
    exec(builtins.compile(source, "<tinygrad_lr results>", "exec"), namespace)
    return namespace["build"]


def matcher(spec):
    """A function ``args -> leaves or None``, generated once per signature ``spec``.

    It returns the arguments' leaves, as :func:`flatten` would, if ``args`` has exactly
    that signature: straight-line checks of each container's type and length and each
    array's type, shape and dtype, about half the cost of describing the arguments and
    looking the description up. ``None`` (for anything else, or anything equal in another
    form, such as another dtype object) sends the call down that general path.
    """
    namespace = {"ndarray": np.ndarray, "Tensor": Tensor}
    lines = ["def match(args):", f"    if len(args) != {len(spec)}:", "        return None"]
    leaves = []
    counter = itertools.count()

    def constant(value) -> str:
        name = f"k{next(counter)}"
        namespace[name] = value
        return name

    def refuse_unless(condition: str) -> None:
        lines.extend([f"    if not ({condition}):", "        return None"])

    def check(spec, expression: str) -> None:
        value = f"x{next(counter)}"
        lines.append(f"    {value} = {expression}")
        kind = spec[0]
        if kind in ("a", "t"):
            leaf = value
            if kind == "t":
                refuse_unless(f"{value}.__class__ is Tensor")
                leaf = f"x{next(counter)}"
                lines.append(f"    {leaf} = {value}.data")
            else:
                refuse_unless(f"{value}.__class__ is ndarray")
            refuse_unless(f"{leaf}.shape == {constant(spec[1])} and "
                          f"{leaf}.dtype is {constant(spec[2])}")
            leaves.append(leaf)
        elif kind == "s":
            refuse_unless(f"{value}.__class__ is {constant(spec[1])} and "
                          f"{value} == {constant(spec[2])}")
            if len(spec) > 3:
                namespace["copysign"] = math.copysign
                refuse_unless(f"copysign(1.0, {value}) == {constant(spec[3])}")
        elif kind is dict:
            keys = constant(spec[1])
            refuse_unless(f"{value}.__class__ is dict and tuple({value}) == {keys}")
            for i, s in enumerate(spec[2]):
                check(s, f"{value}[{keys}[{i}]]")
        else:
            refuse_unless(f"{value}.__class__ is {constant(kind)} and "
                          f"len({value}) == {len(spec[1])}")
            for i, s in enumerate(spec[1]):
                check(s, f"{value}[{i}]")

    for i, s in enumerate(spec):
        check(s, f"args[{i}]")
    lines.append(f"    return [{', '.join(leaves)}]")
    exec(builtins.compile("\n".join(lines) + "\n", "<tinygrad_lr signature>", "exec"), namespace)
    return namespace["match"]


def rebuild(spec, leaves):
    """The inverse of :func:`flatten`: ``leaves`` is an iterator of the new leaf values.

    A ``("w",)`` leaf (see :func:`_as_outputs`) wraps its array in a Tensor.
    """
    kind = spec[0]
    if kind == "w":
        return wrap(next(leaves))
    if kind in ("a", "t"):
        return next(leaves)
    if kind == "s":
        return spec[2]
    if kind is dict:
        return {k: rebuild(s, leaves) for k, s in zip(spec[1], spec[2])}
    items = [rebuild(s, leaves) for s in spec[1]]
    return items if kind is list else (tuple(items) if kind is tuple else kind(items))


def leaf_specs(spec, out: list) -> None:
    """The ("a" | "t", shape, dtype) of every leaf, in flattening order."""
    kind = spec[0]
    if kind in ("a", "t"):
        out.append(spec)
    elif kind is dict:
        for s in spec[2]:
            leaf_specs(s, out)
    elif kind != "s":
        for s in spec[1]:
            leaf_specs(s, out)


def describe(spec) -> str:
    kind = spec[0]
    if kind in ("a", "t"):
        return f"{'Tensor' if kind == 't' else 'array'}{tuple(spec[1])} {spec[2]}"
    if kind == "s":
        return repr(spec[2])
    if kind is dict:
        return "{" + ", ".join(f"{k!r}: {describe(s)}" for k, s in zip(spec[1], spec[2])) + "}"
    inner = ", ".join(describe(s) for s in spec[1])
    return f"[{inner}]" if kind is list else f"({inner})"


def arg_names(fn, count: int) -> list[str]:
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        params = []
    names = [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return names[:count] + [f"arg{i}" for i in range(len(names), count)]


def leaf_names(spec, prefix: str, out: list) -> None:
    kind = spec[0]
    if kind in ("a", "t"):
        out.append(prefix)
    elif kind is dict:
        for k, s in zip(spec[1], spec[2]):
            leaf_names(s, f"{prefix}[{k!r}]", out)
    elif kind != "s":
        for i, s in enumerate(spec[1]):
            leaf_names(s, f"{prefix}[{i}]", out)


def leaf_objects(value, out: list) -> None:
    """The arguments' leaves as passed (Tensors keep their names), in flattening order."""
    if isinstance(value, (Tensor, np.ndarray, np.generic)):
        out.append(value)
    elif isinstance(value, (tuple, list)):
        for v in value:
            leaf_objects(v, out)
    elif isinstance(value, dict):
        for v in value.values():
            leaf_objects(v, out)


def has_static(spec) -> bool:
    kind = spec[0]
    if kind == "s":
        return True
    if kind in ("a", "t"):
        return False
    return any(has_static(s) for s in (spec[2] if kind is dict else spec[1]))


def leaf_starts(spec) -> list[int]:
    starts, total = [], 0
    for s in spec:
        starts.append(total)
        specs: list = []
        leaf_specs(s, specs)
        total += len(specs)
    return starts


def tensors_of(result) -> list:
    if isinstance(result, Tensor):
        return [result]
    if isinstance(result, np.ndarray):
        return [result]
    if isinstance(result, (tuple, list)):
        return [t for r in result for t in tensors_of(r)]
    if isinstance(result, dict):
        return [t for r in result.values() for t in tensors_of(r)]
    return []


def _as_outputs(spec):
    """A spec whose Tensor leaves become Tensors again when rebuilt (arrays stay arrays)."""
    kind = spec[0]
    if kind == "t":
        return ("w", spec[1])
    if kind in ("a", "s"):
        return spec
    if kind is dict:
        return (dict, spec[1], tuple(_as_outputs(s) for s in spec[2]))
    return (kind, tuple(_as_outputs(s) for s in spec[1]))


def finisher(out_spec):
    """Turn the program's flat arrays back into ``fn``'s output structure, with Tensors."""
    return builder(_as_outputs(out_spec))


def grad_finisher(spec, argnums):
    """(value, grads): grads mirror the differentiated arguments (arrays or Tensors)."""
    single = isinstance(argnums, int)
    argnums = (argnums,) if single else tuple(argnums)
    chosen = [_as_outputs(spec[n % len(spec)]) for n in argnums]
    return builder((tuple, (("w", ()), chosen[0] if single else (tuple, tuple(chosen)))))
