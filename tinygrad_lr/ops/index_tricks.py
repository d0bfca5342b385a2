"""``tg.r_`` and ``tg.c_``: numpy's index tricks for joining, on tensors.

numpy's ``np.r_`` and ``np.c_`` call ``np.array`` on their items, so a tensor inside them
loses its graph; these build the result from reshape, transpose and concatenate, so
gradients flow back to every tensor item.
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from .shape import concatenate


def _directive(text: str) -> tuple[int, int, int]:
    """``'axis,ndmin,trans1d'`` (trailing parts optional), as numpy's string directive."""
    if text in ("r", "c"):
        raise ValueError(f"'{text}' (numpy matrix output) is not supported on tensors")
    try:
        numbers = [int(part) for part in text.split(",")]
    except ValueError:
        raise ValueError(f"unknown index-trick directive {text!r}; expected 'axis' or "
                         "'axis,ndmin' or 'axis,ndmin,trans1d'") from None
    if not 1 <= len(numbers) <= 3:
        raise ValueError(f"unknown index-trick directive {text!r}")
    return tuple(numbers + [None] * (3 - len(numbers)))


def _from_slice(item: slice) -> np.ndarray:
    start = 0 if item.start is None else item.start
    step = 1 if item.step is None else item.step
    if isinstance(step, complex):  # 0:1:5j — five points from 0 to 1 inclusive
        return np.linspace(start, item.stop, int(abs(step)))
    return np.arange(start, item.stop, step)


def _raised(item: Tensor, ndmin: int, trans1d: int) -> Tensor:
    """``np.array(item, ndmin=ndmin)`` and numpy's placement of the original axes."""
    ndim = item.ndim
    if ndim >= ndmin:
        return item
    item = item.reshape((1,) * (ndmin - ndim) + item.shape)
    if trans1d == -1:
        return item
    k2 = ndmin - ndim
    k1 = trans1d + k2 + 1 if trans1d < 0 else trans1d
    axes = list(range(ndmin))
    return item.transpose(axes=tuple(axes[:k1] + axes[k2:] + axes[k1:k2]))


class IndexJoiner:
    """Join items along an axis with numpy's index-trick rules: slices become ranges
    (``0:1:5j`` five points), numbers length-1 arrays, and each item is raised to ``ndmin``
    dimensions. A leading string ``'axis,ndmin,trans1d'`` changes the rules."""

    def __init__(self, axis: int, ndmin: int, trans1d: int, name: str) -> None:
        self.axis, self.ndmin, self.trans1d, self.name = axis, ndmin, trans1d, name

    def __getitem__(self, key) -> Tensor:
        items = key if isinstance(key, tuple) else (key,)
        axis, ndmin, trans1d = self.axis, self.ndmin, self.trans1d
        if items and isinstance(items[0], str):
            parsed = _directive(items[0])
            axis = parsed[0]
            ndmin = ndmin if parsed[1] is None else parsed[1]
            trans1d = trans1d if parsed[2] is None else parsed[2]
            items = items[1:]
        if not items:
            raise ValueError(f"tg.{self.name}[...] needs at least one item to join")
        parts = []
        for item in items:
            if isinstance(item, slice):
                parts.append(_raised(Tensor(_from_slice(item)), ndmin, trans1d))
            elif isinstance(item, Tensor):
                parts.append(_raised(item, ndmin, trans1d))
            elif np.ndim(item) == 0 and not isinstance(item, np.ndarray):
                parts.append(Tensor(np.asarray(item)).reshape((1,) * max(ndmin, 1)))
            else:
                parts.append(_raised(Tensor(np.asarray(item)), ndmin, trans1d))
        return concatenate(parts, axis=axis)

    def __repr__(self) -> str:
        return f"tg.{self.name}"


r_ = IndexJoiner(axis=0, ndmin=1, trans1d=-1, name="r_")
"""Join along the first axis, as ``np.r_``; tensors keep their gradients
(``tg.r_[tg.Tensor([1.0, 2.0]), 0, 4:6]`` is ``[1, 2, 0, 4, 5]``)."""

c_ = IndexJoiner(axis=-1, ndmin=2, trans1d=0, name="c_")
"""Join along the last axis, vectors as columns, as ``np.c_``
(``tg.c_[u, v]`` puts vectors u and v side by side as two columns)."""
