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


def check_is_fitted(estimator, method: str, attribute: str = "coef_",
                    fit_call: str = "fit(X, y)") -> None:
    """Raise :class:`NotFittedError` naming ``method`` if ``estimator`` has not been fitted."""
    if not hasattr(estimator, attribute):
        raise sklearn_compatible(NotFittedError)(
            f"this {type(estimator).__name__} is not fitted yet: call {fit_call} before "
            f"{method}()"
        )


def encode_labels(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(classes, codes)``: the sorted classes and every label's index into them.

    At least two classes are needed; two give the binary (sigmoid) model, three or more the
    multinomial (softmax) one.

    >>> classes, codes = encode_labels(np.array(["spam", "ham", "eggs", "spam"]))
    >>> classes.tolist(), codes.tolist()
    (['eggs', 'ham', 'spam'], [2, 1, 0, 2])
    """
    classes, codes = np.unique(labels, return_inverse=True)
    if len(classes) == 1:
        raise ValueError(
            f"y contains only 1 class ({label_text(classes[0])}); logistic regression needs "
            "at least two classes"
        )
    return classes, codes.reshape(-1).astype(np.intp)


def check_sample_weight(sample_weight, n_samples: int) -> np.ndarray | None:
    """``sample_weight`` as a float64 array of ``n_samples`` non-negative finite weights
    (None stays None: every row counts once; a single number applies to every row).

    >>> check_sample_weight(2, 3).tolist()
    [2.0, 2.0, 2.0]
    >>> check_sample_weight([1.0, -1.0], 2)
    Traceback (most recent call last):
    ...
    ValueError: sample_weight must be >= 0, got -1.0 at position 1
    """
    if sample_weight is None:
        return None
    if isinstance(sample_weight, Tensor):
        sample_weight = sample_weight.data
    try:
        weights = np.asarray(sample_weight, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(f"sample_weight must be numbers: {error}") from None
    if weights.ndim == 0:
        weights = np.full(n_samples, float(weights))
    if weights.shape != (n_samples,):
        raise ValueError(
            f"sample_weight must have shape ({n_samples},), one weight per row of X, got "
            f"shape {weights.shape}"
        )
    if not np.isfinite(weights).all():
        raise ValueError(f"sample_weight contains NaN or infinity at {_first_bad(weights)}")
    if (weights < 0).any():
        position = int(np.flatnonzero(weights < 0)[0])
        raise ValueError(
            f"sample_weight must be >= 0, got {weights[position]} at position {position}"
        )
    if not weights.sum() > 0:
        raise ValueError("sample_weight is zero for every row; at least one must be > 0")
    return weights


def class_weights(class_weight, classes: np.ndarray, codes: np.ndarray,
                  sample_weight: np.ndarray | None = None) -> np.ndarray | None:
    """The weight of every class, as scikit-learn's ``class_weight``: None (all 1),
    ``'balanced'`` (n_samples / (n_classes · count), with rows counted by their
    ``sample_weight`` if given, so a weight of 2 counts as a repeated row), or a dict
    {label: weight} (labels left out weigh 1).

    >>> class_weights("balanced", np.array([0, 1]), np.array([0, 0, 0, 1])).tolist()
    [0.6666666666666666, 2.0]
    >>> class_weights({"b": 3}, np.array(["a", "b"]), np.array([0, 1])).tolist()
    [1.0, 3.0]
    """
    if class_weight is None:
        return None
    if isinstance(class_weight, str):
        if class_weight != "balanced":
            raise ValueError(
                f"class_weight must be None, 'balanced' or a dict {{label: weight}}, got "
                f"{class_weight!r}"
            )
        counts = np.bincount(codes, weights=sample_weight, minlength=len(classes))
        total = len(codes) if sample_weight is None else float(sample_weight.sum())
        return total / (len(classes) * np.where(counts > 0, counts, 1.0))
    if not isinstance(class_weight, dict):
        raise ValueError(
            f"class_weight must be None, 'balanced' or a dict {{label: weight}}, got "
            f"{type(class_weight).__name__} {class_weight!r}"
        )
    weights = np.ones(len(classes))
    known = {label.item() if isinstance(label, np.generic) else label: i
             for i, label in enumerate(classes)}
    for label, weight in class_weight.items():
        key = label.item() if isinstance(label, np.generic) else label
        if key not in known:
            raise ValueError(
                f"class_weight has label {label_text(label)}, which is not one of the classes "
                f"{classes.tolist()} in y"
            )
        if (isinstance(weight, bool) or not isinstance(weight, (int, float, np.number))
                or not np.isfinite(weight) or weight < 0):
            raise ValueError(
                f"class_weight[{label_text(label)}] must be a finite number >= 0, got "
                f"{weight!r}"
            )
        weights[known[key]] = float(weight)
    return weights


def check_random_state(random_state) -> np.random.Generator:
    """A numpy Generator from ``random_state``: None (fresh entropy), an int >= 0, a
    ``np.random.Generator`` (used as is) or a ``np.random.RandomState`` (seeds a new one).

    >>> int(check_random_state(0).integers(10)) == int(check_random_state(0).integers(10))
    True
    >>> check_random_state("abc")
    Traceback (most recent call last):
    ...
    ValueError: random_state must be None, an int >= 0 or a numpy Generator/RandomState, got 'abc'
    """
    if isinstance(random_state, np.random.Generator):
        return random_state
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(2**31))
    if random_state is None or (isinstance(random_state, (int, np.integer))
                                and not isinstance(random_state, bool) and random_state >= 0):
        return np.random.default_rng(random_state)
    raise ValueError(
        "random_state must be None, an int >= 0 or a numpy Generator/RandomState, got "
        f"{random_state!r}"
    )
