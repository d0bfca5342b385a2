"""``Module`` and ``Parameter``: the containers every layer and model is built from.

A module registers the parameters and sub-modules assigned to its attributes, so
``named_parameters()`` can list them with qualified names such as ``"0.weight"`` or
``"encoder.fc1.bias"``. Each parameter's ``.name`` is set to that qualified name (as seen
from the outermost module it was last attached to), which is how rendered computation
graphs group nodes by layer.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NamedTuple

import numpy as np

from ..tensor import Tensor


class Parameter(Tensor):
    """A tensor that a :class:`Module` owns and an optimizer updates.

    The data is copied on creation, so training never writes into an array you passed in.
    Integer data becomes float64. ``requires_grad`` is True unless you say otherwise.

    >>> import numpy as np
    >>> start = np.array([1.0, 2.0])
    >>> p = Parameter(start)
    >>> p.requires_grad, p.data is start
    (True, False)
    """

    __slots__ = ()

    def __init__(self, data: Any, requires_grad: bool = True, name: str | None = None) -> None:
        if isinstance(data, Tensor):
            data = data.data
        array = np.array(data, copy=True)
        if array.dtype.kind not in "f":
            if array.dtype.kind not in "biu":
                raise TypeError(f"a Parameter needs numeric data, got dtype {array.dtype}")
            array = array.astype(np.float64)
        super().__init__(array, requires_grad=requires_grad, name=name)

    def __repr__(self) -> str:
        return "Parameter" + super().__repr__()[len("Tensor"):]


class IncompatibleKeys(NamedTuple):
    """What ``load_state_dict(strict=False)`` could not match.

    >>> from tinygrad_lr import nn
    >>> state = {"weight": [[1.0, 2.0]], "scale": 1.0}
    >>> nn.Linear(2, 1, seed=0).load_state_dict(state, strict=False)
    IncompatibleKeys(missing_keys=['bias'], unexpected_keys=['scale'])
    """

    missing_keys: list
    unexpected_keys: list


class Module:
    """Base class for layers and models: subclass it, assign parts in ``__init__``, write
    ``forward``.

    Parameters and modules assigned as attributes are registered automatically.

    >>> import tinygrad_lr as tg
    >>> from tinygrad_lr import nn
    >>> class TwoLayer(nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.fc1 = nn.Linear(3, 5, seed=0)
    ...         self.fc2 = nn.Linear(5, 1, seed=1)
    ...     def forward(self, x):
    ...         return self.fc2(self.fc1(x).relu())
    >>> net = TwoLayer()
    >>> [p.name for p in net.parameters()]
    ['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']
    >>> net(tg.ones(4, 3)).shape
    (4, 1)
    """

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_modules", {})

    # ------------------------------------------------------------- registration
    def _registries(self) -> tuple[dict, dict]:
        try:
            return self.__dict__["_parameters"], self.__dict__["_modules"]
        except KeyError:
            raise RuntimeError(
                f"{type(self).__name__}.__init__ must call super().__init__() before "
                "assigning parameters or sub-modules"
            ) from None

    def __setattr__(self, name: str, value) -> None:
        if isinstance(value, (Parameter, Module)):
            parameters, modules = self._registries()
            self.__dict__.pop(name, None)
            parameters.pop(name, None)
            modules.pop(name, None)
            (parameters if isinstance(value, Parameter) else modules)[name] = value
            self._name_parameters()
            return
        registries = self.__dict__.get("_parameters"), self.__dict__.get("_modules")
        for registry, kind in zip(registries, ("Parameter", "Module")):
            if registry is not None and name in registry:
                if value is not None:
                    raise TypeError(
                        f"cannot assign a {type(value).__name__} to '{name}', which holds a "
                        f"{kind}; assign a {kind} or None"
                    )
                del registry[name]
        object.__setattr__(self, name, value)

    def __getattr__(self, name: str):
        # Only called when normal lookup fails, i.e. for registered parts.
        for registry in ("_parameters", "_modules"):
            found = self.__dict__.get(registry, {})
            if name in found:
                return found[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        for registry in ("_parameters", "_modules"):
            found = self.__dict__.get(registry, {})
            if name in found:
                del found[name]
                return
        object.__delattr__(self, name)

    def add_module(self, name: str, module: Module) -> None:
        """Register ``module`` under ``name`` (names like ``"0"`` are allowed here)."""
        if not isinstance(module, Module):
            raise TypeError(f"add_module() needs a Module, got {type(module).__name__}")
        if not isinstance(name, str) or not name or "." in name:
            raise ValueError(f"a module name must be a non-empty str without '.', got {name!r}")
        self.__setattr__(name, module)

    def register_parameter(self, name: str, parameter: Parameter) -> None:
        """Register ``parameter`` under ``name``."""
        if not isinstance(parameter, Parameter):
            raise TypeError(
                f"register_parameter() needs a Parameter, got {type(parameter).__name__}"
            )
        if not isinstance(name, str) or not name or "." in name:
            raise ValueError(
                f"a parameter name must be a non-empty str without '.', got {name!r}"
            )
        self.__setattr__(name, parameter)

    def _name_parameters(self) -> None:
        for qualified, parameter in self.named_parameters():
            parameter.name = qualified

    # ---------------------------------------------------------------- traversal
    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Parameter]]:
        """Yield ``(qualified_name, parameter)`` for this module and every sub-module.

        A parameter shared by several modules is listed once.
        """
        seen: set[int] = set()
        for module_name, module in self.named_modules(prefix):
            for name, parameter in module._parameters.items():
                if id(parameter) in seen:
                    continue
                seen.add(id(parameter))
                yield (f"{module_name}.{name}" if module_name else name), parameter

    def parameters(self) -> Iterator[Parameter]:
        """Yield every parameter (what you hand to an optimizer)."""
        for _, parameter in self.named_parameters():
            yield parameter

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """Yield ``(qualified_name, module)`` for this module (name ``prefix``) and below."""
        seen: set[int] = set()
        stack = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            children = list(module._modules.items())
            for child_name, child in reversed(children):
                stack.append((f"{name}.{child_name}" if name else child_name, child))

    def modules(self) -> Iterator[Module]:
        """Yield this module and every sub-module."""
        for _, module in self.named_modules():
            yield module

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """Yield ``(name, module)`` for the direct sub-modules."""
        yield from self._modules.items()

    def children(self) -> Iterator[Module]:
        """Yield the direct sub-modules."""
        yield from self._modules.values()

    # ------------------------------------------------------------------ training
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear the gradients of every parameter (to None, or to zeros)."""
        for parameter in self.parameters():
            if set_to_none or parameter.grad is None:
                parameter.grad = None
            else:
                parameter.grad = Tensor(np.zeros_like(parameter.data))

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """The computation; subclasses define it and call the module, not ``forward``."""
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    # ------------------------------------------------------------ saving/loading
    def state_dict(self) -> dict:
        """A dict from qualified parameter name to a copy of its array.

        >>> from tinygrad_lr import nn
        >>> sorted(nn.Linear(2, 1, seed=0).state_dict())
        ['bias', 'weight']
        """
        return {name: parameter.data.copy() for name, parameter in self.named_parameters()}

    def load_state_dict(self, state_dict: Any, strict: bool = True) -> IncompatibleKeys:
        """Copy arrays from ``state_dict`` (name -> array or Tensor) into the parameters.

        With ``strict=True`` every parameter must be present and no extra key allowed.
        Shapes must match exactly; values are cast to each parameter's dtype and copied.
        Nothing is changed if any check fails. Returns the missing and unexpected keys.

        >>> from tinygrad_lr import nn
        >>> a, b = nn.Linear(2, 1, seed=0), nn.Linear(2, 1, seed=1)
        >>> _ = b.load_state_dict(a.state_dict())
        >>> bool((a.weight.data == b.weight.data).all())
        True
        """
        if not hasattr(state_dict, "items"):
            raise TypeError(
                f"load_state_dict() needs a dict of arrays, got {type(state_dict).__name__}"
            )
        own = dict(self.named_parameters())
        missing = [name for name in own if name not in state_dict]
        unexpected = [name for name in state_dict if name not in own]
        problems = []
        if strict and missing:
            problems.append(f"missing key(s): {missing}")
        if strict and unexpected:
            problems.append(f"unexpected key(s): {unexpected}")
        new_values = {}
        for name, parameter in own.items():
            if name not in state_dict:
                continue
            value = state_dict[name]
            array = np.asarray(value.data if isinstance(value, Tensor) else value)
            if array.shape != parameter.shape:
                problems.append(
                    f"'{name}' has shape {array.shape} in the state dict but {parameter.shape} "
                    "in the model"
                )
                continue
            if array.dtype.kind not in "biuf":
                problems.append(f"'{name}' has non-numeric dtype {array.dtype}")
                continue
            new_values[name] = np.array(array, dtype=parameter.dtype, copy=True)
        if problems:
            raise RuntimeError(
                f"cannot load the state dict into {type(self).__name__}: " + "; ".join(problems)
            )
        for name, array in new_values.items():
            own[name].data = array
        return IncompatibleKeys(missing, unexpected)

    # ----------------------------------------------------------------- display
    def extra_repr(self) -> str:
        """Text shown between the parentheses of this module's repr."""
        return ""

    def __repr__(self) -> str:
        lines = [f"({name}): " + repr(child).replace("\n", "\n  ")
                 for name, child in self._modules.items()]
        extra = self.extra_repr()
        if not lines:
            return f"{type(self).__name__}({extra})"
        body = "\n  ".join(([extra] if extra else []) + lines)
        return f"{type(self).__name__}(\n  {body}\n)"
