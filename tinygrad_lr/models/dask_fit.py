"""Fitting on Dask data: the inputs prepared once per fit, then the solver on the client.

:func:`dask_training_data` turns X, y and the weights into what every evaluation reads —
X persisted when the cluster's memory holds it (:mod:`tinygrad_lr.models.dask_data`), the
class codes and row weights persisted in X's row blocks — and :func:`fit_dask` runs the
estimator's solver on :func:`~tinygrad_lr.models.distributed.dask_evaluator`'s sums.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .dask_data import (
    active_client,
    balanced_row_blocks,
    explain_lost_data,
    frame_to_array,
    is_dask_collection,
    is_persisted,
    known_rows,
    merged_per_worker,
    persist_choice,
    row_aligned,
    source_row_blocks,
    workers_memory,
)
from .distributed import (
    _require_dask,
    check_dask_array,
    class_codes,
    class_totals,
    dask_compute,
    dask_evaluator,
    dask_unique,
    row_chunked,
    worker_groups,
)


def _take(codes, table):
    return np.asarray(table)[codes]


class DaskFitData(NamedTuple):
    """What :func:`dask_training_data` prepares for a fit (see there)."""

    X: object
    classes: np.ndarray
    codes: object
    weights: object
    weight_sum: float
    feature_names: np.ndarray | None
    persisted: bool
    groups: list | None
    n_workers: int


def dask_training_data(X, y, sample_weight, class_weight,
                       estimator: str = "the estimator") -> DaskFitData:
    """What a fit needs from Dask inputs, prepared once for the whole fit.

    X (a Dask array or DataFrame) comes back checked, cut into whole rows and, when
    :func:`~tinygrad_lr.models.dask_data.persist_choice` says so, persisted in row blocks
    of at most 128 MiB balanced over the workers; ``classes`` (small) is on the client;
    ``codes`` (class code per row) and ``weights`` (sample weight times class weight per
    row, or None) are persisted in X's row blocks, so no evaluation recomputes them or
    sends them from the client; ``weight_sum`` is their total (the number of rows when
    ``weights`` is None); ``groups`` lists the blocks each worker holds (None when not
    known). The label rules are those of
    :func:`~tinygrad_lr.models.validation.check_labels`, applied to the distinct labels.
    """
    dask = _require_dask()
    from .validation import check_labels, class_weights, encode_labels

    X, names = frame_to_array(X)
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D (n_samples, n_features), got shape {X.shape}")
    if X.dtype.kind not in "biuf":  # said before anything is computed
        raise ValueError(f"X must hold real numbers, got dtype {X.dtype}")
    if y is None:
        check_labels(None, 0, estimator)
    client = active_client()
    n_workers, memory = workers_memory(client)
    dask_y = frame_to_array(y, name="y")[0] if is_dask_collection(y) else None
    dask_w = (frame_to_array(sample_weight, name="sample_weight")[0]
              if is_dask_collection(sample_weight) else None)
    X, dask_y, dask_w = known_rows(X, dask_y, dask_w)
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"X is empty (shape={X.shape}); it needs at least one row and "
                         "one column")
    n = X.shape[0]
    persisted = is_persisted(X) and len(X.chunks[1]) == 1  # else its blocks get re-cut
    persist = persisted or persist_choice(X.nbytes, memory)
    # On a cluster X is persisted in its own blocks (only those above the block size
    # split), then merged per worker: blocks cut across X's own would move data between
    # workers while X is made.
    merge = persist and not persisted and client is not None and len(X.chunks[0]) >= n_workers
    if persist and not persisted:
        row_bytes = X.shape[1] * X.dtype.itemsize
        X = X.rechunk({0: source_row_blocks(X.chunks[0], row_bytes) if merge
                       else balanced_row_blocks(n, row_bytes, n_workers), 1: -1})
    else:
        X = row_chunked(X)
    y = row_aligned(dask_y if dask_y is not None else y, X, "y")
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ValueError(f"y must be 1-D (n_samples,), got shape {y.shape}")
    if y.shape[0] != n:
        raise ValueError(f"X and y have different numbers of samples: X has {n} rows, y has "
                         f"{y.shape[0]} labels")
    y = y.rechunk({0: X.chunks[0]})
    weights = None
    if sample_weight is not None:
        weights = row_aligned(dask_w if dask_w is not None else sample_weight, X,
                               "sample_weight")
        if weights.shape != (n,):
            raise ValueError(f"sample_weight must have shape ({n},), got {weights.shape}")
        weights = weights.rechunk({0: X.chunks[0]}).astype(np.float64)
    # One persist for all: inputs that share a source (one DataFrame) compute it once, and
    # a numpy y or sample_weight is sent to the workers once, not with every evaluation.
    if persist and not persisted:
        X, y, weights = dask.persist(X, y, weights)
    else:
        y, weights = dask.persist(y, weights)
    X = check_dask_array(X)
    if merge:  # after the check, which names rows in X's order
        X, y, weights = merged_per_worker(client, X, y, weights)
    distinct = dask_unique(y)
    distinct = check_labels(distinct, len(distinct), estimator)
    classes, _ = encode_labels(distinct)
    codes = class_codes(y, classes)
    if weights is not None:
        low, high = dask_compute(weights.min(), weights.max())
        if not (np.isfinite(low) and np.isfinite(high) and low >= 0):
            raise ValueError("sample_weight must be finite and >= 0 in every row")
    if class_weight == "balanced":  # validation.class_weights' rule, from per-class totals
        codes = dask.persist(codes)[0]
        _, totals = class_totals(codes, weights, len(classes))
        per_class = totals.sum() / (len(classes) * np.where(totals > 0, totals, 1.0))
    else:
        per_class = class_weights(class_weight, classes, np.zeros(0, dtype=np.intp))
    if per_class is not None:
        per_row = codes.map_blocks(_take, per_class, dtype=np.float64)
        weights = per_row if weights is None else weights * per_row
    codes, weights = dask.persist(codes, weights)
    weight_sum = float(n) if weights is None else float(dask_compute(weights.sum())[0])
    if not weight_sum > 0:
        raise ValueError("sample_weight and class_weight leave every row with weight 0")
    groups = worker_groups(X) if persist else None
    return DaskFitData(X, classes, codes, weights, weight_sum, names, persist, groups,
                       n_workers)


def describe_fit_data(data: DaskFitData, tasks: int) -> str:
    """The line a verbose fit prints about its Dask data: where X is, how it is cut, and
    how many tasks one evaluation of the objective runs."""
    X = data.X
    where = "persisted" if data.persisted else "not persisted: recomputed at every evaluation"
    block = max(X.chunks[0]) * X.shape[1] * X.dtype.itemsize / 2**20
    return (f"Dask: X {X.shape[0]:,} x {X.shape[1]:,} ({X.nbytes / 2**20:,.0f} MiB) {where}, "
            f"{len(X.chunks[0])} row blocks of <= {block:,.1f} MiB on {data.n_workers} "
            f"worker(s); {tasks} tasks per evaluation")


def fit_dask(estimator, X, y, sample_weight=None, callback=None) -> object:
    """``estimator.fit(X, y, sample_weight)`` for Dask arrays and DataFrames, data-parallel.

    The inputs are prepared once (:func:`dask_training_data`: X persisted when the
    cluster's memory holds it, class codes and weights persisted, a DataFrame's column
    names kept as ``feature_names_in_``). Each evaluation of the objective is one Dask
    computation of per-block sums (:func:`dask_evaluator`); the solver's update runs on
    the client. X is never gathered.
    Every solver runs: Newton and L-BFGS as in memory, gd/sgd/adam with full-batch steps
    (``batch_size`` must be None). The result is the in-memory fit's, up to the rounding
    of the order of the sums.
    """
    from . import objective as objective_terms
    from .logistic_regression import DEFAULT_MAX_ITER, EXACT_SOLVERS

    settings = estimator._checked_settings()
    solver = settings["solver"]
    if settings["batch_size"] is not None:
        raise ValueError(
            f"batch_size={settings['batch_size']} does not run on Dask arrays: mini-batches "
            "would fetch rows to the client one batch at a time; leave batch_size=None (full-"
            "batch steps from per-block gradient sums) or use an exact solver"
        )
    with explain_lost_data(active_client()):
        data = dask_training_data(X, y, sample_weight, estimator.class_weight,
                                  type(estimator).__name__)
        X, classes, codes, weights = data.X, data.classes, data.codes, data.weights
        d, K = X.shape[1], len(classes)
        fit_intercept = settings["fit_intercept"]
        alpha = estimator._alpha(data.weight_sum)
        solver = estimator._resolved_solver(solver, K, d, fit_intercept)
        max_iter = settings["max_iter"] or DEFAULT_MAX_ITER[solver]
        start = estimator._starting_point(classes, d, fit_intercept)
        if estimator.verbose:
            print(describe_fit_data(data, dask_evaluator(
                X, codes, weights, n_classes=K, alpha=alpha,
                fit_intercept=fit_intercept).tasks(start)))
        if solver in EXACT_SOLVERS:
            theta, history = estimator._fit_exact(solver, X, codes, weights, K, alpha, start,
                                                  settings, max_iter, callback)
        else:
            theta, history = _fit_full_batch(estimator, solver, X, codes, weights, K, alpha,
                                             start, settings, max_iter, callback)
    coef, intercept = objective_terms.unpack(theta, K, d, fit_intercept)
    if data.feature_names is not None:
        estimator.feature_names_in_ = data.feature_names
    elif hasattr(estimator, "feature_names_in_"):
        del estimator.feature_names_in_
    estimator.classes_ = classes
    estimator.n_features_in_ = d
    estimator.coef_ = coef
    estimator.intercept_ = intercept
    estimator.history_ = history
    estimator.n_iter_ = len(history)
    estimator.solver_ = solver
    return estimator


def _fit_full_batch(estimator, solver, X, codes, weights, K, alpha, start, settings,
                    max_iter, callback):
    """gd, sgd or adam with full-batch steps, each gradient a Dask sum over the blocks.

    The same steps as the in-memory full-batch fit (the engine's optimizer updates θ from
    the summed gradient), the same stopping test (every gradient entry at most ``tol``)
    and the same warnings. One Dask computation per epoch: the gradient at the new θ is
    the next step's.
    """
    from ..tensor import Tensor
    from .logistic_regression import DEFAULT_LR, _make_optimizer

    evaluate = dask_evaluator(X, codes, weights, n_classes=K, alpha=alpha,
                              fit_intercept=settings["fit_intercept"])
    lr = DEFAULT_LR[solver] if estimator.lr is None else float(estimator.lr)
    tol = settings["tol"]
    theta = Tensor(np.array(start, dtype=np.float64), requires_grad=True, name="theta")
    optimizer = _make_optimizer(solver, [theta], lr)
    start_loss, gradient, _ = evaluate(theta.data, False)
    history: list[float] = []
    for epoch in range(1, max_iter + 1):
        theta.grad = Tensor(gradient)
        optimizer.step()
        loss, gradient, _ = evaluate(theta.data, False)
        if not (np.isfinite(loss) and np.isfinite(theta.data).all()):
            raise FloatingPointError(
                f"training diverged in epoch {epoch}: the loss became {loss}; lower lr "
                f"(it is {lr}) or standardize X"
            )
        history.append(loss)
        estimator._report(epoch, loss, callback)
        if np.abs(gradient).max() <= tol:
            break
    else:
        estimator._warn(f"did not converge in max_iter={max_iter} epochs (tol={tol}); raise "
                        "max_iter or lr")
    if history[-1] > start_loss:
        estimator._warn(f"training made the loss worse ({start_loss:.6g} -> "
                        f"{history[-1]:.6g}); lr={lr} is probably too large for these "
                        "features (standardize X or lower lr)")
    return theta.data.copy(), history


