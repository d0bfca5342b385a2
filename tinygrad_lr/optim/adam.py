"""Adam: gradient steps scaled by running estimates of the gradient's first two moments."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from .optimizer import Optimizer, check_non_negative


class Adam(Optimizer):
    """Adam with PyTorch's update rule (L2 ``weight_decay`` added to the gradient).

    For each parameter ``p`` with gradient ``g``, at step ``t = 1, 2, ...``::

        g = g + weight_decay * p
        m = β1·m + (1 − β1)·g          v = β2·v + (1 − β2)·g²
        m̂ = m / (1 − β1ᵗ)              v̂ = v / (1 − β2ᵗ)   (v̂ uses max over time if amsgrad)
        p = p − lr · m̂ / (√v̂ + eps)

    The first step moves every coordinate by about ``lr`` against the gradient's sign.

    >>> import tinygrad_lr as tg
    >>> w = tg.Tensor([1.0, 1.0], requires_grad=True)
    >>> opt = Adam([w], lr=0.1)
    >>> (w * tg.Tensor([3.0, -0.01])).sum().backward()
    >>> opt.step()
    >>> [round(v, 6) for v in w.tolist()]
    [0.9, 1.1]
    """

    def __init__(self, params: Any, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8,
                 weight_decay: float = 0.0, amsgrad: bool = False) -> None:
        super().__init__(params, {"lr": lr, "betas": betas, "eps": eps,
                                  "weight_decay": weight_decay, "amsgrad": amsgrad})

    def _check_hyperparameters(self, group: dict) -> None:
        for key in ("lr", "eps", "weight_decay"):
            check_non_negative(group, key)
        betas = group["betas"]
        if (not isinstance(betas, (tuple, list)) or len(betas) != 2
                or not all(isinstance(b, numbers.Real) and 0.0 <= b < 1.0 for b in betas)):
            raise ValueError(f"invalid betas: {betas!r} (expected two numbers in [0, 1))")

    def _update(self, p, grad, group, state) -> None:
        if group["weight_decay"]:
            grad = grad + group["weight_decay"] * p.data
        beta1, beta2 = group["betas"]
        step = state.get("step", 0) + 1
        m = beta1 * state.get("exp_avg", 0.0) + (1 - beta1) * grad
        v = beta2 * state.get("exp_avg_sq", 0.0) + (1 - beta2) * grad * grad
        state.update(step=step, exp_avg=m, exp_avg_sq=v)
        if group["amsgrad"]:
            v = np.maximum(state.get("max_exp_avg_sq", v), v)
            state["max_exp_avg_sq"] = v
        m_hat = m / (1 - beta1 ** step)
        v_hat = v / (1 - beta2 ** step)
        p.data = (p.data - group["lr"] * m_hat / (np.sqrt(v_hat) + group["eps"])).astype(
            p.dtype, copy=False)
