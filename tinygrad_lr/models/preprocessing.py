"""Feature standardization: centre every column and scale it to unit variance."""

from __future__ import annotations

from typing import Any

import numpy as np

from .base import BaseEstimator
from .validation import check_array, check_is_fitted


class StandardScaler(BaseEstimator):
    """Standardize features with the mean and standard deviation seen in ``fit``.

    ``transform`` computes ``(X − mean_) / scale_``; a constant column gets ``scale_ = 1``
    so it maps to 0 instead of NaN. Works inside scikit-learn pipelines.

    >>> import numpy as np
    >>> scaler = StandardScaler().fit([[0.0, 5.0], [2.0, 5.0]])
    >>> scaler.mean_.tolist(), scaler.scale_.tolist()
    ([1.0, 5.0], [1.0, 1.0])
    >>> scaler.transform([[4.0, 6.0]]).tolist()
    [[3.0, 1.0]]
    """

    def __init__(self, with_mean: bool = True, with_std: bool = True) -> None:
        self.with_mean = with_mean
        self.with_std = with_std

    def fit(self, X: Any, y: Any = None) -> StandardScaler:
        """Learn ``mean_`` and ``scale_`` (population standard deviation) of each column.

        With ``with_mean=False`` the mean is taken as 0, with ``with_std=False`` the scale
        as 1.
        """
        X = check_array(X, estimator=type(self).__name__)
        d = X.shape[1]
        self.mean_ = X.mean(axis=0) if self.with_mean else np.zeros(d)
        scale = X.std(axis=0) if self.with_std else np.ones(d)
        self.scale_ = np.where(scale > 0, scale, 1.0)
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X: Any) -> np.ndarray:
        """Return a standardized copy of ``X``."""
        check_is_fitted(self, "transform", attribute="mean_", fit_call="fit(X)")
        X = check_array(X, estimator=type(self).__name__, n_features=self.n_features_in_)
        return (X - self.mean_) / self.scale_

    def fit_transform(self, X: Any, y: Any = None) -> np.ndarray:
        """``fit(X)`` then ``transform(X)``."""
        return self.fit(X).transform(X)

    def inverse_transform(self, X: Any) -> np.ndarray:
        """Undo :meth:`transform`."""
        check_is_fitted(self, "inverse_transform", attribute="mean_", fit_call="fit(X)")
        X = check_array(X, estimator=type(self).__name__, n_features=self.n_features_in_)
        return X * self.scale_ + self.mean_

    def __sklearn_tags__(self):
        """Tags for scikit-learn (imported only when scikit-learn asks for them)."""
        from sklearn.utils import InputTags, Tags, TargetTags, TransformerTags

        return Tags(estimator_type=None, target_tags=TargetTags(required=False),
                    transformer_tags=TransformerTags(), input_tags=InputTags())
