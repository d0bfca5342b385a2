"""Input checks shared by the estimators: every problem becomes a ValueError (or TypeError)
that names the argument, the shape or the offending value."""

from __future__ import annotations

import warnings

import numpy as np

from ..tensor import Tensor
from .exceptions import DataConversionWarning, NotFittedError, sklearn_compatible


def _first_bad(array: np.ndarray) -> str:
    """Where the first NaN/inf sits, e.g. 'row 3, column 1 (value nan)'."""
    position = np.unravel_index(int(np.flatnonzero(~np.isfinite(array))[0]), array.shape)
    value = array[position]
    if array.ndim == 2:
        return f"row {position[0]}, column {position[1]} (value {value})"
    return f"position {position[0]} (value {value})"


def check_array(X, *, name: str = "X", estimator: str = "the estimator",
                n_features: int | None = None) -> np.ndarray:
    """``X`` as a finite float64 array of shape (n_samples, n_features), or a clear error.

    The result may share memory with ``X`` but is never written to. With ``n_features``,
    the number of columns must match what the estimator was fitted on.

    >>> check_array([[1, 2], [3, 4]]).dtype
    dtype('float64')
    >>> check_array([1.0, 2.0])
    Traceback (most recent call last):
    ...
    ValueError: X must be 2-D (n_samples, n_features), got shape (2,). Reshape your data: ...
    """
    if hasattr(X, "toarray") and hasattr(X, "nnz"):
        raise TypeError(
            f"{name} is a sparse matrix; sparse input is not supported, convert it with "
            f"{name}.toarray()"
        )
    if isinstance(X, Tensor):
        X = X.data
    try:
        array = np.asarray(X)
    except ValueError as error:
        raise ValueError(f"{name} must be a 2-D array of numbers: {error}") from None
    if array.dtype.kind == "c":
        raise ValueError(f"Complex data not supported: {name} has dtype {array.dtype}")
    if array.dtype.kind != "f" or array.dtype != np.float64:
        try:
            array = array.astype(np.float64)
        except TypeError as error:
            raise TypeError(f"{name} must hold numbers: {error}") from None
        except ValueError as error:
            raise ValueError(f"{name} must hold numbers: {error}") from None
    if array.ndim != 2:
        raise ValueError(
            f"{name} must be 2-D (n_samples, n_features), got shape {array.shape}. Reshape "
            f"your data: {name}.reshape(-1, 1) for a single feature, {name}.reshape(1, -1) "
            "for a single sample"
        )
    n_rows, n_columns = array.shape
    if n_rows == 0:
        raise ValueError(
            f"{name} is empty: 0 sample(s) (shape={array.shape}) while a minimum of 1 is "
            "required"
        )
    if n_columns == 0:
        raise ValueError(
            f"{name} has 0 feature(s) (shape={array.shape}) while a minimum of 1 is required."
        )
    if not np.isfinite(array).all():
        raise ValueError(
            f"{name} contains NaN or infinity at {_first_bad(array)}; remove or impute such "
            "values first"
        )
    if n_features is not None and n_columns != n_features:
        raise ValueError(
            f"{name} has {n_columns} features, but {estimator} is expecting {n_features} "
            "features as input"
        )
    return array


def check_labels(y, n_samples: int, estimator: str = "the estimator") -> np.ndarray:
    """``y`` as a 1-D array of ``n_samples`` class labels (numbers, strings or booleans).

    A column vector (n, 1) is flattened with a :class:`DataConversionWarning`. Float
    labels must be whole numbers; anything else is a continuous target, not classes.
    """
    if isinstance(y, Tensor):
        y = y.data
    if y is None:
        raise ValueError(
            f"{estimator} requires y to be passed, but the target y is None: give the class "
            "label of every row of X"
        )
    labels = np.asarray(y)
    if labels.ndim == 2 and labels.shape[1] == 1:
        warnings.warn(
            f"A column-vector y was passed when a 1d array was expected: y of shape "
            f"{labels.shape} was flattened to ({labels.shape[0]},)",
            sklearn_compatible(DataConversionWarning), stacklevel=3,
        )
        labels = labels.ravel()
    if labels.ndim != 1:
        raise ValueError(f"y must be 1-D (n_samples,), got shape {labels.shape}")
    if len(labels) != n_samples:
        raise ValueError(
            f"X and y have different numbers of samples: X has {n_samples} rows, y has "
            f"{len(labels)} labels"
        )
    if labels.dtype.kind == "c":
        raise ValueError(f"Complex data not supported: y has dtype {labels.dtype}")
    if labels.dtype.kind == "f":
        if not np.isfinite(labels).all():
            raise ValueError(f"y contains NaN or infinity at {_first_bad(labels)}")
        fractional = labels[labels != np.round(labels)]
        if fractional.size:
            raise ValueError(
                f"Unknown label type: continuous. y holds non-integer values such as "
                f"{fractional[0]}; a classifier needs class labels (e.g. 0/1 or two strings)"
            )
    if labels.dtype.kind == "O":
        if any(v is None or (isinstance(v, float) and not np.isfinite(v)) for v in labels):
            raise ValueError("y contains missing values (None or NaN)")
        if all(isinstance(v, (int, float, np.number)) for v in labels):
            check_labels(labels.astype(np.float64), n_samples)  # same rules as numeric y
        elif len(kinds := sorted({type(v).__name__ for v in labels})) > 1:
            raise ValueError(f"Unknown label type: y mixes labels of types {kinds}")
    return labels


def label_text(label) -> str:
    """A label as people write it: ``1`` or ``'spam'``, not ``np.int64(1)``.

    >>> label_text(np.int64(1)), label_text(np.str_("spam"))
    ('1', "'spam'")
    """
    return repr(label.item() if isinstance(label, np.generic) else label)


def encode_binary(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(classes, targets)``: the two sorted classes and y as 0.0/1.0 (1.0 for classes[1]).

    >>> encode_binary(np.array(["spam", "ham", "spam"]))
    (array(['ham', 'spam'], dtype='<U4'), array([1., 0., 1.]))
    """
    classes = np.unique(labels)
    if len(classes) == 1:
        raise ValueError(
            f"y contains only 1 class ({label_text(classes[0])}); logistic regression needs "
            "exactly two classes"
        )
    if len(classes) > 2:
        shown = ", ".join(label_text(c) for c in classes[:5])
        shown += ", ..." if len(classes) > 5 else ""
        raise ValueError(
            f"Only binary classification is supported. y contains {len(classes)} classes "
            f"({shown}); logistic regression needs exactly two"
        )
    return classes, (labels == classes[1]).astype(np.float64)


def check_is_fitted(estimator, method: str, attribute: str = "coef_",
                    fit_call: str = "fit(X, y)") -> None:
    """Raise :class:`NotFittedError` naming ``method`` if ``estimator`` has not been fitted."""
    if not hasattr(estimator, attribute):
        raise sklearn_compatible(NotFittedError)(
            f"this {type(estimator).__name__} is not fitted yet: call {fit_call} before "
            f"{method}()"
        )
