"""State a compiled function reaches from outside its arguments.

Tensors and arrays reached through closures, globals (also those of the functions it
calls), ``nn.Module`` parameters, lists, tuples and dicts are inputs of the program, read
on every call. Rebinding a name ``fn`` reads (a closure variable or global: tensor, array
or Python number) to another object after tracing is stale state: :class:`StaleTraceError`.
"""

from __future__ import annotations

import inspect

import numpy as np

from ..tensor import Tensor


class StaleTraceError(RuntimeError):
    """A name the traced ``fn`` reads from outside was rebound since tracing."""


def captured_constants(fn) -> list:
    """Tensors, arrays and numbers ``fn`` names in its closure and globals: rebinding one
    after tracing is stale state (checked on every call)."""
    found = []
    code = getattr(fn, "__code__", None)
    if code is None:
        return found
    cells = zip(code.co_freevars, getattr(fn, "__closure__", None) or ())
    for name, cell in cells:
        try:
            obj = cell.cell_contents
        except ValueError:  # an empty cell
            continue
        _remember(found, f"the closure variable '{name}'", cell, None, obj)
    module = getattr(fn, "__globals__", {})
    for name in code.co_names:
        if name in module:
            _remember(found, f"the global '{name}'", module, name, module[name])
    return found


def captured_tensors(fn, depth: int = 4) -> list:
    """Tensors and arrays ``fn`` can reach from outside its arguments: through closures and
    globals, the functions those name, attributes of modules it names, objects with
    ``parameters()`` (an ``nn.Module``) or called as ``fn`` (their attributes), and lists,
    tuples and dicts. Their values are read on every call of the program (a tensor's
    current ``.data``, an array's current contents).

    Returns ``(value, holder, key, how)`` for each: where it was found (``how`` is
    ``"attr"``, ``"item"`` or None), so that a call can check it is still there."""
    found: list = []
    seen: set = set()

    def visit(obj, depth, holder=None, key=None, how=None):
        if id(obj) in seen or depth < 0:
            return
        if isinstance(obj, (Tensor, np.ndarray)):
            seen.add(id(obj))
            found.append((obj, holder, key, how))
            return
        seen.add(id(obj))
        if isinstance(obj, (list, tuple)):
            for i, item in enumerate(obj[:1000]):  # (a long list of numbers: not state)
                visit(item, depth - 1, obj, i, "item" if isinstance(obj, list) else None)
        elif isinstance(obj, dict):
            for k in list(obj)[:1000]:
                visit(obj[k], depth - 1, obj, k, "item")
        elif inspect.isfunction(obj) or inspect.ismethod(obj):
            visit_function(getattr(obj, "__func__", obj), depth - 1)
            visit(getattr(obj, "__self__", None), depth - 1)
        elif callable(obj) and not isinstance(obj, type) and not inspect.ismodule(obj) and (
                hasattr(obj, "__dict__") or callable(getattr(obj, "parameters", None))):
            for k, item in list(getattr(obj, "__dict__", {}).items())[:1000]:
                visit(item, depth - 1, obj, k, "attr")  # an object called as fn: its state
            if callable(getattr(obj, "parameters", None)):
                try:
                    for p in obj.parameters():
                        visit(p, depth)
                except TypeError:
                    pass
            for name in ("forward", "__call__"):
                method = getattr(type(obj), name, None)
                if inspect.isfunction(method):
                    visit_function(method, depth - 1)

    def visit_function(function, depth):
        code = getattr(function, "__code__", None)
        if code is None or depth < 0:
            return
        for cell in getattr(function, "__closure__", None) or ():
            try:
                visit(cell.cell_contents, depth)
            except ValueError:  # an empty cell
                pass
        module = getattr(function, "__globals__", {})
        for name in code.co_names:
            if name not in module:
                continue
            if not inspect.ismodule(module[name]):
                visit(module[name], depth, module, name, "item")
                continue
            for attribute in code.co_names:  # a module's tensors: settings.W, params.b
                value = getattr(module[name], attribute, None)
                if isinstance(value, (Tensor, np.ndarray)):
                    visit(value, depth, module[name], attribute, "attr")

    visit(fn, depth)
    return found


def moved(paths) -> str | None:
    """The first captured value no longer where it was found (rebound), described; or None."""
    for value, holder, key, how in paths:
        current = holder.get(key) if how == "item" and isinstance(holder, dict) else (
            holder[key] if how == "item" and key < len(holder) else
            getattr(holder, key, None) if how == "attr" else value)
        if current is not value:
            return f"{type(holder).__name__}[{key!r}]" if how == "item" else f".{key}"
    return None


def _remember(found, where, holder, key, obj) -> None:
    if isinstance(obj, (bool, int, float, complex, np.generic)):
        # a number is a constant of the program: rebinding it is stale (by value)
        found.append((where, holder, key, obj, True))
        return
    if not isinstance(obj, (Tensor, np.ndarray)):
        return
    # A tensor's or array's current value is read on every call (see captured_tensors):
    # only rebinding the name to another object is stale.
    found.append((where, holder, key, obj, False))
