"""A reproducible shuffled train/test split."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..models.validation import check_random_state


def train_test_split(X: Any, y: Any, test_size: float = 0.2, random_state: Any = 0,
                     stratify: bool = False) -> tuple[Any, Any, Any, Any]:
    """Shuffle the rows of ``X`` and ``y`` together and split off a test set.

    Args:
        X: array of shape (n, ...); y: array of shape (n,).
        test_size: fraction of rows in the test set, strictly between 0 and 1 (the
            count is rounded up, as scikit-learn does).
        random_state: an int seed or ``np.random.Generator``; the same seed gives the
            same split.
        stratify: keep each class's share of rows the same in both parts.

    Returns:
        ``(X_train, X_test, y_train, y_test)``: new arrays; the inputs are not changed.

    >>> import numpy as np
    >>> X_train, X_test, y_train, y_test = train_test_split(np.arange(10).reshape(5, 2),
    ...                                                     np.arange(5), test_size=0.4)
    >>> X_train.shape, X_test.shape
    ((3, 2), (2, 2))
    """
    X = np.asarray(X)
    y = np.asarray(y)
    if X.ndim == 0 or y.ndim != 1 or len(X) != len(y):
        raise ValueError(
            f"X and y must have the same number of rows, got X of shape {X.shape} and y of "
            f"shape {y.shape}"
        )
    if not 0.0 < test_size < 1.0:
        raise ValueError(f"test_size must be a fraction between 0 and 1, got {test_size}")
    n = len(y)
    rng = check_random_state(random_state)
    if stratify:
        test_parts = []
        for label in np.unique(y):
            rows = rng.permutation(np.flatnonzero(y == label))
            test_parts.append(rows[: int(np.ceil(test_size * len(rows)))])
        test_rows = np.sort(np.concatenate(test_parts))
    else:
        test_rows = np.sort(rng.permutation(n)[: int(np.ceil(test_size * n))])
    if len(test_rows) == 0 or len(test_rows) == n:
        raise ValueError(
            f"test_size={test_size} on {n} rows leaves an empty train or test set"
        )
    train_mask = np.ones(n, dtype=bool)
    train_mask[test_rows] = False
    train_rows = rng.permutation(np.flatnonzero(train_mask))
    return X[train_rows], X[test_rows], y[train_rows], y[test_rows]
