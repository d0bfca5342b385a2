"""Optimizers with PyTorch's update rules: ``SGD`` (momentum, Nesterov, weight decay), ``Adam``.

>>> import tinygrad_lr as tg
>>> from tinygrad_lr import optim
>>> w = tg.Tensor([1.0, -1.0], requires_grad=True)
>>> opt = optim.SGD([w], lr=0.1)
>>> (w * w).sum().backward()
>>> opt.step()
>>> w.tolist()
[0.8, -0.8]
"""

from .adam import Adam
from .optimizer import Optimizer
from .sgd import SGD

__all__ = ["Adam", "Optimizer", "SGD"]
