"""Two interleaving half circles: a small data set no straight line separates."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..models.validation import check_random_state


def make_moons(n_samples: int = 200, noise: float = 0.1,
               random_state: Any = None) -> tuple[np.ndarray, np.ndarray]:
    """Sample points from two interleaving half moons, labelled 0 and 1.

    Args:
        n_samples: total number of points (split as evenly as possible between classes).
        noise: standard deviation of Gaussian noise added to every coordinate.
        random_state: an int seed or ``np.random.Generator`` (None: fresh randomness).

    Returns:
        ``(X, y)``: ``X`` float64 of shape (n_samples, 2), ``y`` int64 of shape
        (n_samples,), shuffled.

    >>> X, y = make_moons(100, noise=0.0, random_state=0)
    >>> X.shape, int(y.sum())
    ((100, 2), 50)
    """
    if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)):
        raise TypeError(f"n_samples must be an int, got {type(n_samples).__name__}")
    if n_samples < 2:
        raise ValueError(f"n_samples must be at least 2, got {n_samples}")
    if not np.isfinite(noise) or noise < 0:
        raise ValueError(f"noise must be a finite number >= 0, got {noise}")
    rng = check_random_state(random_state)
    n_upper = n_samples // 2
    n_lower = n_samples - n_upper
    upper = np.linspace(0.0, np.pi, n_upper)
    lower = np.linspace(0.0, np.pi, n_lower)
    X = np.concatenate([
        np.column_stack([np.cos(upper), np.sin(upper)]),
        np.column_stack([1.0 - np.cos(lower), 0.5 - np.sin(lower)]),
    ])
    y = np.concatenate([np.zeros(n_upper, dtype=np.int64), np.ones(n_lower, dtype=np.int64)])
    X = X + rng.normal(scale=noise, size=X.shape)
    order = rng.permutation(n_samples)
    return X[order], y[order]
