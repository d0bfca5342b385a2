"""``partial_fit``: learning from data that arrives in pieces, one pass per call.

Follows scikit-learn's ``SGDClassifier.partial_fit`` conventions: the first call must name
every class (``classes=``), since a piece need not contain them all; each call makes one
epoch over the rows it is given (in mini-batches of ``batch_size``, shuffled, or as one
step), continuing from the parameters and the optimizer state (momentum, Adam's moments)
left by the previous call; ``sample_weight`` and ``class_weight`` weigh rows as in ``fit``.
Only the mini-batch solvers (gd, sgd, adam) can do this: the exact solvers need every row
at every step, which :meth:`LogisticRegression.fit` provides for memory maps and Dask
arrays without holding the data.

The penalty ``α/2·‖W‖²`` on the mean loss is that of a fit on all the rows seen so far:
``α = l2``, or ``1/(C·S)`` with ``S`` the total weight of the rows of every call so far.
"""

from __future__ import annotations

import numpy as np

from .. import nn
from ..tensor import Tensor
from . import objective as objective_terms
from .blocks import check_blocks, is_memory_mapped
from .validation import (
    check_array,
    check_labels,
    check_random_state,
    check_sample_weight,
    class_weights,
    label_text,
)

STREAMING_SOLVERS = ("gd", "sgd", "adam")


class StreamState:
    """What ``partial_fit`` carries from one call to the next (not a fitted attribute)."""

    def __init__(self, model, optimizer, rng, weight_seen: float, lr: float):
        self.model = model
        self.optimizer = optimizer
        self.rng = rng
        self.weight_seen = weight_seen
        self.lr = lr
        self.coef = None  # the coef_ this state last produced: a later fit makes it stale


def _checked_classes(estimator, classes) -> np.ndarray:
    fitted = getattr(estimator, "classes_", None)
    if classes is None:
        if fitted is None:
            raise ValueError(
                "classes must be passed on the first call to partial_fit: a piece of the "
                "data need not contain every class (e.g. classes=np.unique(y_all))"
            )
        return fitted
    given = np.unique(check_labels(classes, len(np.asarray(classes).ravel()),
                                   type(estimator).__name__))
    if len(given) < 2:
        raise ValueError(f"classes must name at least 2 classes, got {given.tolist()}")
    if fitted is not None and not (len(given) == len(fitted) and np.array_equal(given, fitted)):
        raise ValueError(
            f"classes={given.tolist()} is not the same as on the previous call "
            f"({np.asarray(fitted).tolist()}); call fit to start over"
        )
    return given


def _new_state(estimator, settings, solver, classes, d):
    from .logistic_regression import DEFAULT_LR, _make_optimizer

    K = len(classes)
    fit_intercept = settings["fit_intercept"]
    model = nn.Linear(d, objective_terms.n_outputs(K), bias=fit_intercept)
    if getattr(estimator, "coef_", None) is not None and estimator.n_features_in_ == d:
        coef, intercept = np.asarray(estimator.coef_), np.asarray(estimator.intercept_)
    else:
        coef = np.zeros((objective_terms.n_outputs(K), d))
        intercept = np.zeros(objective_terms.n_outputs(K))
    model.load_state_dict({"weight": coef, "bias": intercept} if fit_intercept
                          else {"weight": coef})
    lr = DEFAULT_LR[solver] if estimator.lr is None else float(estimator.lr)
    optimizer = _make_optimizer(solver, model.parameters(), lr)
    return StreamState(model, optimizer, check_random_state(estimator.random_state), 0.0, lr)


def partial_fit(estimator, X, y, classes=None, sample_weight=None):
    """One epoch of the estimator's mini-batch solver over ``X, y``; see the module doc."""
    from .logistic_regression import _training_objective

    settings = estimator._checked_settings()
    solver = settings["solver"]
    if solver not in STREAMING_SOLVERS:
        raise ValueError(
            f"partial_fit needs a mini-batch solver ({', '.join(STREAMING_SOLVERS)}), got "
            f"solver={solver!r}; the exact solvers need every row at every step: fit them on "
            "a memory map or a Dask array instead"
        )
    name = type(estimator).__name__
    fitted = getattr(estimator, "n_features_in_", None)
    if is_memory_mapped(X):
        X = check_blocks(X)
        if fitted is not None and X.shape[1] != fitted:
            raise ValueError(f"X has {X.shape[1]} features, but {name} is expecting "
                             f"{fitted} features as input")
    else:
        X = check_array(X, estimator=name, n_features=fitted)
    classes = _checked_classes(estimator, classes)
    labels = check_labels(y, len(X), name)
    unknown = ~np.isin(labels, classes)
    if unknown.any():
        raise ValueError(
            f"y holds label {label_text(labels[unknown][0])}, which is not one of the classes "
            f"{classes.tolist()} given to partial_fit"
        )
    codes = np.searchsorted(classes, labels)
    weights = check_sample_weight(sample_weight, len(X))
    if estimator.class_weight == "balanced":
        raise ValueError(
            "class_weight='balanced' needs the class counts of all the data, which "
            "partial_fit never sees; pass class_weight as a dict {label: weight}"
        )
    per_class = class_weights(estimator.class_weight, classes, codes, weights)
    if per_class is not None:
        weights = per_class[codes] if weights is None else weights * per_class[codes]
    state = getattr(estimator, "_stream_state", None)
    if (state is None or state.coef is not getattr(estimator, "coef_", None)
            or getattr(estimator, "solver_", None) != solver):
        state = _new_state(estimator, settings, solver, classes, X.shape[1])
    n, K = len(X), len(classes)
    state.weight_seen += float(n if weights is None else weights.sum())
    alpha = estimator._alpha(state.weight_seen)
    batch_size = n if settings["batch_size"] is None else min(settings["batch_size"], n)
    order = state.rng.permutation(n) if batch_size < n else np.arange(n)
    losses = []
    for first in range(0, n, batch_size):
        rows = order[first:first + batch_size]
        if batch_size == n:
            rows = slice(None)  # the whole piece: a view, even of a memory map
        batch_weights = None if weights is None else weights[rows]
        if batch_weights is not None and not batch_weights.sum() > 0:
            continue
        inputs = Tensor(np.asarray(X[rows], dtype=np.float64))
        state.optimizer.zero_grad()
        loss = _training_objective(state.model, inputs, codes[rows], batch_weights, K, alpha)
        loss.backward()
        state.optimizer.step()
        losses.append(loss.item())
    if not (np.isfinite(losses).all() and np.isfinite(state.model.weight.data).all()):
        raise FloatingPointError(
            f"partial_fit diverged: the loss became {losses[-1]}; lower lr (it is "
            f"{state.lr}) or standardize X"
        )
    fit_intercept = settings["fit_intercept"]
    estimator.classes_ = classes
    estimator.n_features_in_ = X.shape[1]
    estimator.coef_ = state.model.weight.data.copy()
    estimator.intercept_ = (state.model.bias.data.copy() if fit_intercept
                            else np.zeros(objective_terms.n_outputs(K)))
    estimator.history_ = [*getattr(estimator, "history_", []), float(np.mean(losses))]
    estimator.n_iter_ = len(estimator.history_)
    estimator.solver_ = solver
    state.coef = estimator.coef_
    estimator._stream_state = state
    return estimator
