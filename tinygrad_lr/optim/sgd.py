"""Stochastic gradient descent, optionally with momentum (heavy-ball or Nesterov)."""

from __future__ import annotations

from typing import Any

from .optimizer import Optimizer, check_non_negative


class SGD(Optimizer):
    """Gradient descent with PyTorch's update rule.

    For each parameter ``p`` with gradient ``g``::

        g = g + weight_decay * p
        if momentum:  buf = g (first step)  or  buf = momentum * buf + (1 - dampening) * g
                      g = g + momentum * buf  (nesterov)  or  g = buf
        p = p - lr * g

    With ``momentum=0`` this is the lecture's ``w := w − α·dw``.

    >>> import tinygrad_lr as tg
    >>> w = tg.Tensor(1.0, requires_grad=True)
    >>> opt = SGD([w], lr=0.5, momentum=0.9)
    >>> for _ in range(2):
    ...     opt.zero_grad()
    ...     (w * 2.0).backward()   # gradient 2 each time
    ...     opt.step()
    >>> round(w.item(), 6)          # 1 - 0.5*2 - 0.5*(0.9*2 + 2)
    -1.9
    """

    def __init__(self, params: Any, lr: float = 1e-3, momentum: float = 0.0, dampening: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False) -> None:
        super().__init__(params, {"lr": lr, "momentum": momentum, "dampening": dampening,
                                  "weight_decay": weight_decay, "nesterov": nesterov})

    def _check_hyperparameters(self, group: dict) -> None:
        for key in ("lr", "momentum", "dampening", "weight_decay"):
            check_non_negative(group, key)
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError("nesterov=True needs momentum > 0 and dampening = 0")

    def _update(self, p, grad, group, state) -> None:
        if group["weight_decay"]:
            grad = grad + group["weight_decay"] * p.data
        momentum = group["momentum"]
        if momentum:
            buffer = state.get("momentum_buffer")
            if buffer is None:
                buffer = grad.copy()
            else:
                buffer = momentum * buffer + (1 - group["dampening"]) * grad
            state["momentum_buffer"] = buffer
            grad = grad + momentum * buffer if group["nesterov"] else buffer
        # Hyper-parameters may be numpy float64 scalars: keep the parameter's own dtype.
        p.data = (p.data - group["lr"] * grad).astype(p.dtype, copy=False)
