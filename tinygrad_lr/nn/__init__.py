"""Neural-network building blocks in PyTorch's style: modules holding named parameters.

>>> import numpy as np
>>> import tinygrad_lr as tg
>>> from tinygrad_lr import nn
>>> model = nn.Sequential(nn.Linear(2, 4, seed=0), nn.Tanh(), nn.Linear(4, 1, seed=1))
>>> [name for name, _ in model.named_parameters()]
['0.weight', '0.bias', '2.weight', '2.bias']
>>> model(np.ones((3, 2))).shape
(3, 1)
"""

from .activations import ReLU, Sigmoid, Softplus, Tanh
from .layers import Identity, Linear, Sequential
from .losses import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, MSELoss
from .module import IncompatibleKeys, Module, Parameter

__all__ = [
    "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "Identity", "IncompatibleKeys",
    "Linear", "MSELoss", "Module", "Parameter", "ReLU", "Sequential", "Sigmoid", "Softplus",
    "Tanh",
]
