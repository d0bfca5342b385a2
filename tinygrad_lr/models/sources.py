"""Data sources of numpy arrays and memory maps for the training core.

An :class:`ArraySource` holds checked rows (a numpy array, or a memory map that is never
copied), their classes, per-row class codes and row weights (sample weight times class
weight), and gives the training core (:mod:`tinygrad_lr.models.training`) what its
:class:`~tinygrad_lr.models.training.DataSource` protocol asks: the penalized objective over
every row (one block, or row blocks of :mod:`tinygrad_lr.models.chunked` for a memory map or
a large array) and shuffled mini-batches. :func:`array_source` builds one for ``fit``
(classes from the labels), :func:`stream_source` for ``partial_fit`` (classes given).

>>> import numpy as np
>>> source = array_source(np.array([[0.0], [1.0], [2.0], [3.0]]), ["a", "a", "b", "b"])
>>> source.classes.tolist(), source.n_rows, source.weight_sum
(['a', 'b'], 4, 4.0)
>>> round(source.evaluator(alpha=0.0, fit_intercept=True)(np.zeros(2), False)[0], 6)
0.693147
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import numpy as np

from .chunked import check_features, evaluator_for
from .training import Batch
from .validation import (
    check_labels,
    check_sample_weight,
    class_weights,
    encode_labels,
    label_text,
)


class ArraySource:
    """Rows in this process: a numpy array or a memory map, with codes and row weights."""

    def __init__(self, X: np.ndarray, codes: np.ndarray, weights: np.ndarray | None,
                 classes: np.ndarray, feature_names: np.ndarray | None = None) -> None:
        self.X = X
        self.codes = codes
        self.weights = weights
        self.classes = classes
        self.feature_names = feature_names
        self.n_rows, self.n_features = X.shape
        self.weight_sum = float(self.n_rows if weights is None else weights.sum())

    def evaluator(self, *, alpha: float, fit_intercept: bool) -> Callable:
        """The penalized objective over every row (row blocks when X is large or mapped)."""
        return evaluator_for(self.X, self.codes, self.weights, n_classes=len(self.classes),
                             alpha=alpha, fit_intercept=fit_intercept)

    def mini_batches(self, batch_size: int, rng: np.random.Generator) -> Iterator[Batch]:
        """All rows as one batch (a view, even of a memory map) when ``batch_size`` covers
        them, else batches of a random permutation of the rows drawn from ``rng``."""
        n = self.n_rows
        if batch_size >= n:
            yield Batch(np.asarray(self.X, dtype=np.float64), self.codes, self.weights)
            return
        order = rng.permutation(n)
        for first in range(0, n, batch_size):
            rows = order[first:first + batch_size]
            yield Batch(np.asarray(self.X[rows], dtype=np.float64), self.codes[rows],
                        None if self.weights is None else self.weights[rows])

    def running(self) -> AbstractContextManager:
        """Nothing to set up in this process."""
        return nullcontext()

    def describe(self, evaluate: Callable, theta: np.ndarray) -> str | None:
        """No line to print: the data is here."""
        return None


def row_weights(class_weight: Any, classes: np.ndarray, codes: np.ndarray,
                weights: np.ndarray | None) -> np.ndarray | None:
    """Each row's weight: its sample weight (or 1) times its class's ``class_weight``;
    None when both are absent.

    >>> row_weights({1: 3.0}, np.array([0, 1]), np.array([0, 1, 1]), None).tolist()
    [1.0, 3.0, 3.0]
    """
    per_class = class_weights(class_weight, classes, codes, weights)
    if per_class is None:
        return weights
    return per_class[codes] if weights is None else weights * per_class[codes]


def codes_of(labels: np.ndarray, classes: np.ndarray, where: str) -> np.ndarray:
    """Class codes of ``labels`` in ``classes`` (sorted), or a ValueError naming the first
    label that is not a class (``where`` says where the classes came from).

    >>> codes_of(np.array(["b", "a"]), np.array(["a", "b"]), "seen in fit").tolist()
    [1, 0]
    """
    unknown = ~np.isin(labels, classes)
    if unknown.any():
        raise ValueError(
            f"y holds label {label_text(labels[unknown][0])}, which is not one of the classes "
            f"{classes.tolist()} {where}"
        )
    return np.searchsorted(classes, labels)


def array_source(X: Any, y: Any, sample_weight: Any = None, class_weight: Any = None,
                 estimator: str = "the estimator") -> ArraySource:
    """``fit``'s source: X checked (a memory map block by block, not copied), the classes
    from the labels, row weights from ``sample_weight`` and ``class_weight``."""
    X = check_features(X, estimator=estimator)
    labels = check_labels(y, len(X), estimator)
    weights = check_sample_weight(sample_weight, len(X))
    classes, codes = encode_labels(labels)
    combined = row_weights(class_weight, classes, codes, weights)
    if combined is not weights and not combined.sum() > 0:
        raise ValueError("class_weight and sample_weight leave every row with weight 0")
    return ArraySource(X, codes, combined, classes)


def checked_classes(classes: Any, fitted: np.ndarray | None,
                    estimator: str = "the estimator") -> np.ndarray:
    """The classes of a ``partial_fit`` call: ``classes`` (required on the first call),
    equal to those of the previous calls (``fitted``)."""
    if classes is None:
        if fitted is None:
            raise ValueError(
                "classes must be passed on the first call to partial_fit: a piece of the "
                "data need not contain every class (e.g. classes=np.unique(y_all))"
            )
        return fitted
    given = np.unique(check_labels(classes, len(np.asarray(classes).ravel()), estimator))
    if len(given) < 2:
        raise ValueError(f"classes must name at least 2 classes, got {given.tolist()}")
    if fitted is not None and not (len(given) == len(fitted) and np.array_equal(given, fitted)):
        raise ValueError(
            f"classes={given.tolist()} is not the same as on the previous call "
            f"({np.asarray(fitted).tolist()}); call fit to start over"
        )
    return given


def stream_source(X: Any, y: Any, classes: Any = None, sample_weight: Any = None,
                  class_weight: Any = None, *, estimator: str = "the estimator",
                  fitted_classes: np.ndarray | None = None,
                  n_features: int | None = None) -> ArraySource:
    """``partial_fit``'s source for one piece of the data: the classes are given (or
    those of the previous calls), every label must be one of them, and
    ``class_weight='balanced'`` is refused (the piece does not hold the class counts)."""
    X = check_features(X, estimator=estimator, n_features=n_features)
    classes = checked_classes(classes, fitted_classes, estimator)
    labels = check_labels(y, len(X), estimator)
    codes = codes_of(labels, classes, "given to partial_fit")
    weights = check_sample_weight(sample_weight, len(X))
    if class_weight == "balanced":
        raise ValueError(
            "class_weight='balanced' needs the class counts of all the data, which "
            "partial_fit never sees; pass class_weight as a dict {label: weight}"
        )
    return ArraySource(X, codes, row_weights(class_weight, classes, codes, weights), classes)
