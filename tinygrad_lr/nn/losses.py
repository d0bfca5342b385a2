"""Loss functions as modules (thin wrappers over :mod:`tinygrad_lr.functional`)."""

from __future__ import annotations

from typing import Any

from .. import functional as F
from ..ops.losses import check_reduction
from ..tensor import Tensor
from .module import Module


class _Loss(Module):
    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        check_reduction(reduction)
        self.reduction = reduction

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}"


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy on logits: ``loss(z, y)``, see
    :func:`tinygrad_lr.functional.binary_cross_entropy_with_logits`.

    >>> import tinygrad_lr as tg
    >>> round(BCEWithLogitsLoss()(tg.Tensor([0.0]), [1.0]).item(), 6)
    0.693147
    """

    def forward(self, logits: Any, target: Any) -> Tensor:
        return F.binary_cross_entropy_with_logits(logits, target, reduction=self.reduction)


class BCELoss(_Loss):
    """Binary cross-entropy on probabilities: ``loss(a, y)``, see
    :func:`tinygrad_lr.functional.binary_cross_entropy`.

    >>> import tinygrad_lr as tg
    >>> round(BCELoss()(tg.Tensor([0.5]), [1.0]).item(), 6)
    0.693147
    """

    def forward(self, probabilities: Any, target: Any) -> Tensor:
        return F.binary_cross_entropy(probabilities, target, reduction=self.reduction)


class MSELoss(_Loss):
    """Mean squared error: ``loss(prediction, target)``.

    >>> import tinygrad_lr as tg
    >>> MSELoss()(tg.Tensor([1.0, 3.0]), [0.0, 1.0]).item()
    2.5
    """

    def forward(self, prediction: Any, target: Any) -> Tensor:
        return F.mse_loss(prediction, target, reduction=self.reduction)


class CrossEntropyLoss(_Loss):
    """Softmax cross-entropy: ``loss(logits, targets)`` with class-index or probability
    targets, see :func:`tinygrad_lr.functional.cross_entropy`.

    >>> import tinygrad_lr as tg
    >>> round(CrossEntropyLoss()(tg.Tensor([[2.0, 0.0]]), [0]).item(), 6)
    0.126928
    """

    def forward(self, logits: Any, targets: Any) -> Tensor:
        return F.cross_entropy(logits, targets, reduction=self.reduction)
