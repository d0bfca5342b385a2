"""tinygrad_lr: a reverse-mode autodiff engine on numpy, small enough to read in an afternoon.

>>> import tinygrad_lr as tg
>>> w = tg.Tensor([0.5, -0.25], requires_grad=True, name="w")
>>> x = tg.Tensor([1.0, 2.0], name="x")
>>> a = (w @ x).sigmoid()
>>> a.backward()
>>> w.grad.tolist()
[0.25, 0.5]

Every registered op is available here by name (``tg.exp``, ``tg.matmul``, ``tg.softmax``),
as is any op you register with :func:`op`. Every submodule is an attribute too, imported
the first time it is used, so ``import tinygrad_lr`` stays quick:

>>> tg.nn.Linear(2, 1, seed=0).weight.shape
(1, 2)
"""

import importlib
import importlib.util
from typing import TYPE_CHECKING, Any

from . import linalg  # noqa: F401  (tg.linalg)
from . import numpy_dispatch as _numpy_dispatch  # noqa: F401  (np.exp(t), np.sum(t) ...)
from . import ops as _builtin_ops  # noqa: F401  (registers the built-in ops)
from .autograd import backward, grad, topological_order
from .broadcasting import sum_to_shape
from .compiler import compile, value_and_grad  # noqa: A004 - tg.compile, as torch.compile
from .composite import composite
from .creation import (
    arange,
    is_tensor,
    ones,
    ones_like,
    rand,
    randn,
    zeros,
    zeros_like,
)
from .derivatives import hessian, hvp, jacobian, jvp, vhp, vjp
from .grad_mode import detect_anomaly, enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .ops.index_tricks import c_, r_
from .ops.numpy_extras import gradient
from .ops.reshaping import array_split, dsplit, hsplit, split, vsplit
from .registry import Domain, Op, get_op, needs_grad, op, register_op, registered_ops
from .tensor import Tensor, tensor

__version__ = "0.2.0"

if TYPE_CHECKING:  # what module __getattr__ finds at run time, for type checkers
    from . import datasets, functional, models, nn, optim, viz  # noqa: F401
    from ._registered import *  # noqa: F403  (every registered op: tg.exp, tg.matmul ...)

__all__ = [
    "Domain", "GradcheckError", "Op", "Tensor", "arange", "backward", "detect_anomaly",
    "enable_grad", "get_op", "grad", "gradcheck", "gradgradcheck", "hessian", "hvp",
    "is_grad_enabled", "is_tensor", "jacobian", "jvp", "needs_grad", "no_grad", "ones",
    "ones_like", "op", "rand", "randn", "register_op", "registered_ops", "set_grad_enabled",
    "sum_to_shape", "tensor", "topological_order", "vhp", "vjp", "zeros", "zeros_like",
]
# Composite ops, and the split family (functions returning several tensors, so not ops).
__all__ += ["array_split", "composite", "dsplit", "gradient", "hsplit", "split", "vsplit"]
__all__ += ["c_", "r_"]  # numpy's index tricks for joining, on tensors
__all__ += ["compile", "value_and_grad"]  # the compiler (tg.compile)


def __getattr__(name: str) -> Any:
    found = registered_ops().get(name)
    if found is not None:
        return found
    if _is_submodule(name):
        return importlib.import_module(f"{__name__}.{name}")  # also sets it as an attribute
    raise AttributeError(f"module 'tinygrad_lr' has no attribute '{name}'")


def _is_submodule(name: str) -> bool:
    """``tg.nn``, ``tg.functional``, ``tg.viz`` ...: any module of the package except the
    command-line entry point (``__main__``) and private ones."""
    if name.startswith("_"):
        return False
    return importlib.util.find_spec(f"{__name__}.{name}") is not None


def __dir__():
    import pkgutil

    submodules = {m.name for m in pkgutil.iter_modules(__path__)  # noqa: F405
                  if not m.name.startswith("_")}
    return sorted(set(globals()) | set(registered_ops()) | submodules)
