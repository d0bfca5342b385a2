"""Activation functions as modules, for use inside ``Sequential``."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import Tensor
from .module import Module


def _as_tensor(x) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(np.asarray(x))


class ReLU(Module):
    """``max(x, 0)`` elementwise.

    >>> import tinygrad_lr as tg
    >>> ReLU()(tg.Tensor([-1.0, 2.0])).tolist()
    [0.0, 2.0]
    """

    def forward(self, x: Any) -> Tensor:
        return _as_tensor(x).relu()


class Sigmoid(Module):
    """``1 / (1 + e^(−x))`` elementwise.

    >>> import tinygrad_lr as tg
    >>> Sigmoid()(tg.Tensor([0.0])).tolist()
    [0.5]
    """

    def forward(self, x: Any) -> Tensor:
        return _as_tensor(x).sigmoid()


class Tanh(Module):
    """``tanh(x)`` elementwise.

    >>> import tinygrad_lr as tg
    >>> Tanh()(tg.Tensor([0.0])).tolist()
    [0.0]
    """

    def forward(self, x: Any) -> Tensor:
        return _as_tensor(x).tanh()


class Softplus(Module):
    """``log(1 + e^x)`` elementwise (a smooth ReLU).

    >>> import tinygrad_lr as tg
    >>> round(Softplus()(tg.Tensor([0.0])).item(), 6)
    0.693147
    """

    def forward(self, x: Any) -> Tensor:
        return _as_tensor(x).softplus()
