"""Making tensors: ``zeros``, ``ones``, ``*_like``, ``randn``, ``rand``, ``arange``.

Each is a thin, PyTorch-spelled front to a numpy constructor; the result is a leaf Tensor.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import grad_mode as _grad_mode
from .tensor import Tensor
from .traced_values import refuse_random as _refuse_random


def _shape_arg(shape) -> tuple:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return tuple(int(s) for s in shape)


def zeros(*shape: Any, dtype: Any = np.float64, requires_grad: bool = False,
          name: str | None = None) -> Tensor:
    """A tensor of zeros: ``zeros(2, 3)`` or ``zeros((2, 3))``.

    >>> import tinygrad_lr as tg
    >>> tg.zeros(2).tolist()
    [0.0, 0.0]
    """
    return Tensor(np.zeros(_shape_arg(shape), dtype=dtype), requires_grad=requires_grad, name=name)


def ones(*shape: Any, dtype: Any = np.float64, requires_grad: bool = False,
         name: str | None = None) -> Tensor:
    """A tensor of ones: ``ones(2, 3)`` or ``ones((2, 3))``.

    >>> import tinygrad_lr as tg
    >>> tg.ones(2).tolist()
    [1.0, 1.0]
    """
    return Tensor(np.ones(_shape_arg(shape), dtype=dtype), requires_grad=requires_grad, name=name)


def zeros_like(t: Any, requires_grad: bool = False) -> Tensor:
    """Zeros with the shape and dtype of ``t``.

    >>> import tinygrad_lr as tg
    >>> tg.zeros_like(tg.Tensor([1.0, 2.0])).tolist()
    [0.0, 0.0]
    """
    return Tensor(np.zeros_like(np.asarray(t)), requires_grad=requires_grad)


def ones_like(t: Any, requires_grad: bool = False) -> Tensor:
    """Ones with the shape and dtype of ``t``.

    >>> import tinygrad_lr as tg
    >>> tg.ones_like(tg.Tensor([1.0, 2.0])).tolist()
    [1.0, 1.0]
    """
    return Tensor(np.ones_like(np.asarray(t)), requires_grad=requires_grad)


def randn(*shape: Any, seed: Any = None, dtype: Any = np.float64, requires_grad: bool = False,
          name: str | None = None) -> Tensor:
    """Standard-normal samples; pass ``seed`` (an int or ``np.random.Generator``) to repeat.

    >>> import tinygrad_lr as tg
    >>> tg.randn(2, 3, seed=0).shape
    (2, 3)
    """
    if seed is None and _grad_mode.threads_tracing and _grad_mode.state.tracing:
        _refuse_random("randn")
    rng = np.random.default_rng(seed)
    data = rng.standard_normal(_shape_arg(shape)).astype(dtype, copy=False)
    return Tensor(data, requires_grad=requires_grad, name=name)


def rand(*shape: Any, seed: Any = None, dtype: Any = np.float64, requires_grad: bool = False,
         name: str | None = None) -> Tensor:
    """Uniform samples in [0, 1); pass ``seed`` to repeat.

    >>> import tinygrad_lr as tg
    >>> float(tg.rand(100, seed=0).max()) < 1.0
    True
    """
    if seed is None and _grad_mode.threads_tracing and _grad_mode.state.tracing:
        _refuse_random("rand")
    rng = np.random.default_rng(seed)
    data = rng.random(_shape_arg(shape)).astype(dtype, copy=False)
    return Tensor(data, requires_grad=requires_grad, name=name)


def arange(*args: Any, dtype: Any = np.float64) -> Tensor:
    """Evenly spaced values, like ``np.arange`` (float64 by default).

    >>> import tinygrad_lr as tg
    >>> tg.arange(3).tolist()
    [0.0, 1.0, 2.0]
    """
    return Tensor(np.arange(*args, dtype=dtype))


def is_tensor(obj: Any) -> bool:
    """True if ``obj`` is a Tensor.

    >>> is_tensor(Tensor(1.0)), is_tensor(1.0)
    (True, False)
    """
    return isinstance(obj, Tensor)

