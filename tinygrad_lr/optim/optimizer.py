"""The ``Optimizer`` base class: parameter groups, per-parameter state, ``zero_grad``."""

from __future__ import annotations

import abc
import numbers
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import grad_mode
from ..tensor import Tensor


class Optimizer(abc.ABC):
    """Base class: holds ``param_groups`` (dicts with ``"params"`` and hyper-parameters)
    and ``state`` (per-parameter buffers, keyed by the parameter).

    Subclasses implement ``step()``. Updates replace each parameter's ``.data`` with a new
    array, so an array you wrapped in a Tensor is never written into.

    Args:
        params: an iterable of tensors (leaves with ``requires_grad=True``), or of dicts
            ``{"params": [...], "lr": ...}`` giving groups their own hyper-parameters.
        defaults: hyper-parameters used where a group does not set them.

    >>> import tinygrad_lr as tg
    >>> from tinygrad_lr import optim
    >>> w, b = tg.Tensor([1.0], requires_grad=True), tg.Tensor(0.0, requires_grad=True)
    >>> opt = optim.SGD([{"params": [w]}, {"params": [b], "lr": 0.5}], lr=0.1)
    >>> [group["lr"] for group in opt.param_groups], isinstance(opt, optim.Optimizer)
    ([0.1, 0.5], True)
    """

    def __init__(self, params: Any, defaults: dict) -> None:
        if isinstance(params, Tensor):
            raise TypeError(
                "params must be an iterable of tensors or dicts, got a single Tensor; "
                "wrap it in a list: [tensor]"
            )
        try:
            params = list(params)
        except TypeError:
            raise TypeError(
                f"params must be an iterable of tensors or dicts, got {type(params).__name__}"
            ) from None
        if not params:
            raise ValueError("the optimizer got an empty parameter list")
        self.defaults = dict(defaults)
        self.param_groups: list[dict] = []
        self._state: dict[int, dict] = {}
        groups = params if isinstance(params[0], dict) else [{"params": params}]
        for group in groups:
            self.add_param_group(group)

    @property
    def state(self) -> dict:
        """Per-parameter buffers (momentum, moments ...), keyed by ``id(parameter)``."""
        return self._state

    def add_param_group(self, group: dict) -> None:
        """Add a group of parameters with its own hyper-parameters (others from defaults)."""
        if not isinstance(group, dict) or "params" not in group:
            raise TypeError("a parameter group must be a dict with a 'params' entry")
        params = group["params"]
        params = [params] if isinstance(params, Tensor) else list(params)
        unknown = sorted(set(group) - set(self.defaults) - {"params"})
        if unknown:
            raise ValueError(
                f"{type(self).__name__}: unknown hyper-parameter(s) {unknown}; "
                f"expected some of {sorted(self.defaults)}"
            )
        taken = {id(p) for g in self.param_groups for p in g["params"]}
        for position, p in enumerate(params):
            if not isinstance(p, Tensor):
                raise TypeError(
                    f"optimizer parameter {position} is a {type(p).__name__}, not a Tensor"
                )
            if not p.requires_grad or not p.is_leaf:
                raise ValueError(
                    f"optimizer parameter {position} ({p.name or 'unnamed'}, shape {p.shape}) "
                    "must be a leaf tensor with requires_grad=True"
                )
            if id(p) in taken:
                raise ValueError(
                    f"optimizer parameter {position} ({p.name or 'unnamed'}) appears twice"
                )
            taken.add(id(p))
        full = {**self.defaults, **group, "params": params}
        self._check_hyperparameters(full)
        self.param_groups.append(full)

    def _check_hyperparameters(self, group: dict) -> None:
        """Raise ValueError naming a bad hyper-parameter (subclasses extend this)."""
        check_non_negative(group, "lr")

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear the gradient of every parameter (to None, or to zeros)."""
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none or p.grad is None:
                    p.grad = None
                else:
                    p.grad = Tensor(np.zeros_like(p.data))

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update the parameters from their ``.grad``; parameters without a grad are skipped.

        ``closure``, if given, is called first (with gradient recording on) to recompute
        the loss and gradients; its result is returned.
        """
        loss = None
        if closure is not None:
            with grad_mode.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                self._update(p, np.asarray(p.grad.data, dtype=p.dtype), group,
                             self._state.setdefault(id(p), {}))
        return loss

    def state_dict(self) -> dict:
        """The optimizer's state as plain data, PyTorch's layout: parameters become indices.

        ``{"state": {index: {buffer: array}}, "param_groups": [{..., "params": [index]}]}``,
        indices counting the parameters across groups in order. Arrays are copies.

        >>> import tinygrad_lr as tg
        >>> from tinygrad_lr import optim
        >>> w = tg.Tensor([1.0], requires_grad=True)
        >>> opt = optim.SGD([w], lr=0.1, momentum=0.9)
        >>> (w * w).sum().backward(); opt.step()
        >>> opt.state_dict()["state"][0]["momentum_buffer"].tolist()
        [2.0]
        """
        index, groups = 0, []
        for group in self.param_groups:
            indices = list(range(index, index + len(group["params"])))
            index += len(indices)
            groups.append({**{k: v for k, v in group.items() if k != "params"},
                           "params": indices})
        state = {}
        for position, p in enumerate(self._all_params()):
            if id(p) in self._state:
                state[position] = {key: (value.copy() if isinstance(value, np.ndarray)
                                         else value)
                                   for key, value in self._state[id(p)].items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore what :meth:`state_dict` returned (same parameter layout required).

        >>> import tinygrad_lr as tg
        >>> from tinygrad_lr import optim
        >>> w = tg.Tensor([1.0], requires_grad=True)
        >>> opt = optim.SGD([w], lr=0.1, momentum=0.9)
        >>> saved = opt.state_dict(); saved["param_groups"][0]["lr"] = 0.5
        >>> opt.load_state_dict(saved); opt.param_groups[0]["lr"]
        0.5
        """
        groups = state_dict.get("param_groups") if isinstance(state_dict, dict) else None
        if not isinstance(groups, list) or "state" not in state_dict:
            raise ValueError("load_state_dict() needs a dict with 'state' and 'param_groups'")
        sizes = [len(g["params"]) for g in self.param_groups]
        saved_sizes = [len(g.get("params", ())) for g in groups]
        if sizes != saved_sizes:
            raise ValueError(
                f"load_state_dict(): the saved state has groups of {saved_sizes} parameters, "
                f"this optimizer has {sizes}"
            )
        params = self._all_params()
        for position in state_dict["state"]:
            if not 0 <= int(position) < len(params):
                raise ValueError(f"load_state_dict(): no parameter {position}")
        for group, saved in zip(self.param_groups, groups):
            updated = {**group, **{k: v for k, v in saved.items() if k != "params"}}
            self._check_hyperparameters(updated)
            group.update(updated)
        self._state = {
            id(params[int(position)]): {key: (np.array(value) if isinstance(value, np.ndarray)
                                              else value) for key, value in buffers.items()}
            for position, buffers in state_dict["state"].items()
        }

    def _all_params(self) -> list:
        return [p for group in self.param_groups for p in group["params"]]

    @abc.abstractmethod
    def _update(self, p: Tensor, grad: np.ndarray, group: dict, state: dict) -> None:
        """Replace ``p.data`` using ``grad`` (an array in p's dtype), the group's
        hyper-parameters and this parameter's ``state`` buffers."""

    def __repr__(self) -> str:
        lines = [type(self).__name__ + " ("]
        for index, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {index}")
            lines += [f"    {key}: {value}" for key, value in sorted(group.items())
                      if key != "params"]
        return "\n".join(lines + [")"])


def check_non_negative(group: dict, key: str) -> None:
    """Raise ValueError unless ``group[key]`` is a finite real number >= 0."""
    value = group[key]
    if (isinstance(value, bool) or not isinstance(value, numbers.Real)
            or not np.isfinite(value) or value < 0):
        raise ValueError(f"invalid {key}: {value!r} (expected a finite number >= 0)")
