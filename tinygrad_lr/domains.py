"""Where an op's inputs are valid: :class:`Domain` and the common ones (all reals, x > 0 ...).

Registered with each op (``domain=``), a domain is text for docs and pictures and a
sampler for the op test-suite. Re-exported by :mod:`tinygrad_lr.registry` and ``tg.Domain``.
"""

from __future__ import annotations

import numpy as np


class Domain:
    """Where an op's input is valid: a text for people and a sampler for the op tests.

    Args:
        text: how the domain reads in docs and pictures, e.g. ``"x > 0"``.
        low, high: the interval the tests draw values from.
        avoid: points where the op has a kink or pole; samples keep ``margin`` away.
        kind: ``"float"`` (default) or ``"bool"`` for condition inputs.

    >>> import numpy as np
    >>> from tinygrad_lr.registry import POSITIVE
    >>> bool((POSITIVE.sample(np.random.default_rng(0), (100,)) > 0).all())
    True
    """

    def __init__(self, text: str, low: float = -2.0, high: float = 2.0, avoid=(),
                 margin: float = 0.05, kind: str = "float") -> None:
        if kind not in ("float", "bool"):
            raise ValueError(f"Domain kind must be 'float' or 'bool', got {kind!r}")
        if not low < high:
            raise ValueError(f"Domain needs low < high, got low={low}, high={high}")
        self.text = text
        self.low = float(low)
        self.high = float(high)
        self.avoid = tuple(float(p) for p in avoid)
        self.margin = float(margin)
        self.kind = kind

    def sample(self, rng: np.random.Generator, shape, dtype=np.float64) -> np.ndarray:
        """Draw an array of ``shape`` from the domain (away from the ``avoid`` points)."""
        if self.kind == "bool":
            return rng.random(shape) < 0.5
        values = rng.uniform(self.low, self.high, size=shape)
        for point in self.avoid:
            near = np.abs(values - point) < self.margin
            values = np.where(near, point + np.where(values >= point, 2, -2) * self.margin, values)
        return values.astype(dtype)

    def __repr__(self) -> str:
        return f"Domain({self.text!r})"


REAL = Domain("x ∈ ℝ")
POSITIVE = Domain("x > 0", 0.2, 3.0)
UNIT_INTERVAL = Domain("0 < x < 1", 0.05, 0.95)
NONZERO = Domain("x ≠ 0", avoid=(0.0,), margin=0.2)
KINK_AT_ZERO = Domain("x ∈ ℝ, not differentiable at 0", avoid=(0.0,))
BOOLEAN = Domain("condition (bool)", kind="bool")
