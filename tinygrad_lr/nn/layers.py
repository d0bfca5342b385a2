"""Layers: ``Linear`` (y = x Wᵀ + b), ``Sequential`` (a chain) and ``Identity``."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import Tensor
from .module import Module, Parameter


def _as_tensor(x) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(np.asarray(x))


class Linear(Module):
    """An affine map ``y = x @ weight.T + bias``, as ``torch.nn.Linear``.

    Args:
        in_features: size of the last axis of the input.
        out_features: size of the last axis of the output.
        bias: whether to add a learned bias.
        seed: an int or ``np.random.Generator`` for the initial values (None: random).
        dtype: float dtype of the parameters.

    ``weight`` has shape (out_features, in_features) and ``bias`` (out_features,); both
    start uniform in ±1/√in_features (PyTorch's default).

    >>> from tinygrad_lr import nn
    >>> layer = nn.Linear(3, 2, seed=0)
    >>> layer.weight.shape, layer.bias.shape, layer.weight.name
    ((2, 3), (2,), 'weight')
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, *,
                 seed: Any = None, dtype: Any = np.float64) -> None:
        super().__init__()
        for label, value in (("in_features", in_features), ("out_features", out_features)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"Linear: {label} must be a positive int, got {value!r}")
        if np.dtype(dtype).kind != "f":
            raise TypeError(f"Linear: dtype must be a float dtype, got {np.dtype(dtype)}")
        self.in_features = int(in_features)
        self.out_features = int(out_features)
        rng = np.random.default_rng(seed)
        bound = 1.0 / np.sqrt(in_features)
        self.weight = Parameter(
            rng.uniform(-bound, bound, (out_features, in_features)).astype(dtype))
        if bias:
            self.bias = Parameter(rng.uniform(-bound, bound, (out_features,)).astype(dtype))
        else:
            self.bias = None

    def forward(self, x: Any) -> Tensor:
        dtype = x.dtype if isinstance(x, Tensor) else np.asarray(x).dtype
        if dtype.kind not in "biuf":
            raise TypeError(f"Linear needs numeric input, got an array of dtype {dtype}")
        x = _as_tensor(x)
        if x.ndim == 0 or x.shape[-1] != self.in_features:
            raise ValueError(
                f"Linear(in_features={self.in_features}) got an input of shape {x.shape}; its "
                f"last axis must have {self.in_features} elements"
            )
        out = x @ self.weight.T
        return out + self.bias if self.bias is not None else out

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Sequential(Module):
    """Modules applied one after another; sub-modules are named ``"0"``, ``"1"``, ...

    >>> from tinygrad_lr import nn
    >>> net = nn.Sequential(nn.Linear(2, 3, seed=0), nn.ReLU())
    >>> len(net), type(net[1]).__name__
    (2, 'ReLU')
    """

    def __init__(self, *modules: Module) -> None:
        super().__init__()
        for index, module in enumerate(modules):
            if not isinstance(module, Module):
                raise TypeError(
                    f"Sequential: argument {index} is a {type(module).__name__}, not a Module"
                )
            self.add_module(str(index), module)

    def forward(self, x: Any) -> Any:
        for module in self._modules.values():
            x = module(x)
        return x

    def append(self, module: Module) -> Sequential:
        """Add ``module`` at the end; returns self."""
        self.add_module(str(len(self)), module)
        return self

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __getitem__(self, index):
        modules = list(self._modules.values())
        if isinstance(index, slice):
            # Keep the original keys and leave the parameters' names alone: the slice is a
            # view of this network, not a new owner of its layers.
            part = Sequential()
            part._modules.update((key, self._modules[key]) for key in list(self._modules)[index])
            return part
        try:
            return modules[index]
        except IndexError:
            raise IndexError(
                f"index {index} is out of range for a Sequential of {len(modules)} modules"
            ) from None


class Identity(Module):
    """Returns its input unchanged (a placeholder layer).

    >>> import tinygrad_lr as tg
    >>> from tinygrad_lr import nn
    >>> x = tg.Tensor([1.0, 2.0])
    >>> nn.Identity()(x) is x
    True
    """

    def forward(self, x: Any) -> Any:
        return x
