"""Dask data as a data source of the training core: inputs prepared once per fit.

:func:`dask_training_data` turns X, y and the weights into what every evaluation reads —
X persisted when the cluster's memory holds it (:mod:`tinygrad_lr.models.dask_data`), the
class codes and row weights persisted in X's row blocks — and :class:`DaskSource` gives the
training core (:mod:`tinygrad_lr.models.training`) the objective as
:func:`~tinygrad_lr.models.distributed.dask_evaluator`'s sums on the workers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
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
    check_dask_array,
    class_codes,
    class_totals,
    dask_compute,
    dask_evaluator,
    dask_unique,
    require_dask,
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
    dask = require_dask()
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


def full_batch_only(batch_size) -> None:
    """Refuse mini-batches on Dask data, saying why, before anything is computed."""
    if batch_size is not None:
        raise ValueError(
            f"batch_size={batch_size} does not run on Dask arrays: mini-batches would fetch "
            "rows to the client one batch at a time; leave batch_size=None (full-batch steps "
            "from per-block gradient sums) or use an exact solver"
        )


class DaskSource:
    """A Dask array or DataFrame as a data source of the training core
    (:class:`~tinygrad_lr.models.training.DataSource`): every evaluation of the objective
    is one Dask computation of per-block sums (:func:`dask_evaluator`), the solver's update
    runs on the client, X is never gathered. Mini-batches are refused; gd, sgd and adam
    take full-batch steps. The fit equals the in-memory fit up to the rounding of the order
    of the sums.
    """

    def __init__(self, data: DaskFitData) -> None:
        self.data = data
        self.classes = data.classes
        self.n_rows, self.n_features = data.X.shape
        self.weight_sum = data.weight_sum
        self.feature_names = data.feature_names

    def evaluator(self, *, alpha: float, fit_intercept: bool) -> Callable:
        """The penalized objective as per-block sums on the workers."""
        return dask_evaluator(self.data.X, self.data.codes, self.data.weights,
                              n_classes=len(self.classes), alpha=alpha,
                              fit_intercept=fit_intercept, groups=self.data.groups)

    def mini_batches(self, batch_size: int, rng: np.random.Generator) -> Iterator:
        """Refused (a ValueError): batches would travel to the client one at a time."""
        full_batch_only(batch_size)

    def running(self) -> AbstractContextManager:
        """Lost data (a worker gone with blocks nobody can remake) explained by name."""
        return explain_lost_data(active_client())

    def describe(self, evaluate: Callable, theta: np.ndarray) -> str:
        """:func:`describe_fit_data`'s line, with the tasks of one evaluation at θ."""
        return describe_fit_data(self.data, evaluate.tasks(theta))


def dask_source(X, y, sample_weight=None, class_weight=None,
                estimator: str = "the estimator", batch_size: int | None = None
                ) -> DaskSource:
    """``fit``'s source for Dask arrays and DataFrames, data-parallel.

    The inputs are prepared once (:func:`dask_training_data`: X persisted when the
    cluster's memory holds it, class codes and weights persisted, a DataFrame's column
    names kept for ``feature_names_in_``). ``batch_size`` must be None.
    """
    full_batch_only(batch_size)
    with explain_lost_data(active_client()):
        return DaskSource(dask_training_data(X, y, sample_weight, class_weight, estimator))
