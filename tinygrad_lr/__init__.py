"""tinygrad_lr: a reverse-mode autodiff engine on numpy, small enough to read in an afternoon.

>>> import tinygrad_lr as tg
>>> w = tg.Tensor([0.5, -0.25], requires_grad=True, name="w")
>>> x = tg.Tensor([1.0, 2.0], name="x")
>>> a = (w @ x).sigmoid()
>>> a.backward()
>>> w.grad.tolist()
[0.25, 0.5]

Every registered op is available here by name (``tg.exp``, ``tg.matmul``, ``tg.softmax``),
as is any op you register with :func:`op`.
"""

from . import ops as _builtin_ops  # noqa: F401  (registers the built-in ops)
from .autograd import backward, grad, sum_to_shape, topological_order
from .compiler import compile, value_and_grad  # noqa: A004 - tg.compile, as torch.compile
from .derivatives import hessian, jacobian
from .grad_mode import detect_anomaly, enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .registry import Domain, Op, get_op, needs_grad, op, register_op, registered_ops
from .tensor import (
    Tensor,
    arange,
    is_tensor,
    ones,
    ones_like,
    rand,
    randn,
    tensor,
    zeros,
    zeros_like,
)

__version__ = "0.1.0"

__all__ = [
    "Domain", "GradcheckError", "Op", "Tensor", "arange", "backward", "compile", "detect_anomaly",
    "enable_grad", "get_op", "grad", "gradcheck", "gradgradcheck", "hessian", "is_grad_enabled",
    "is_tensor", "jacobian", "needs_grad", "no_grad", "ones", "ones_like", "op", "rand", "randn",
    "register_op", "registered_ops", "set_grad_enabled", "sum_to_shape", "tensor",
    "topological_order", "value_and_grad", "zeros", "zeros_like",
]


def __getattr__(name: str):
    found = registered_ops().get(name)
    if found is not None:
        return found
    raise AttributeError(f"module 'tinygrad_lr' has no attribute '{name}'")


def __dir__():
    return sorted(set(globals()) | set(registered_ops()))
