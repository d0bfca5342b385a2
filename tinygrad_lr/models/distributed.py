"""Data-parallel reductions over Dask arrays: per-block results summed by Dask.

A fit on a Dask array never gathers X. Every row block is handed, on the worker that holds
it, to a per-block function (the engine's loss, gradient and Hessian of that block); Dask
adds the block results (per worker, then across workers, or in a tree), and only that sum
(a number, a vector, a small matrix) reaches the client, which makes the update. Works
with any Dask scheduler: the threaded default, processes, or a ``dask.distributed.Client``
(which Dask uses once it exists).

What a fit reads is prepared once per fit by :mod:`tinygrad_lr.models.dask_fit` and
:mod:`tinygrad_lr.models.dask_data` (X persisted in row blocks of at most 128 MiB when the
cluster's memory holds it, the class codes and row weights persisted beside it, DataFrames
and unknown row counts handled); then every evaluation is one task per row block, one
partial sum per worker and one final sum.

Dask is an optional dependency (``pip install tinygrad-lr[dask]``); this module imports it
only when Dask data is actually used (so its docstrings show no Dask examples: the
package's doctests run without the extra; tests/models/test_scale_dask.py runs them with it).
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

import numpy as np

from . import objective
from .block_results import add_block_results, as_float_block, weighted_block
from .dask_data import (
    active_client,
    block_workers,
    explain_lost_data,
    frame_to_array,
    has_unknown_rows,
    is_dask_collection,
    is_persisted,
    known_rows,
    row_aligned,
)

FAN_IN = 8
"""How many block results one task of the tree sum adds."""
READ_BLOCK_BYTES = 64 * 2**20
"""Rows :func:`from_npy` reads per task by default: big enough that per-task costs are
small next to the work, small enough that a lazy X streams in little memory."""


def is_dask_array(X) -> bool:
    """True for a Dask array (duck-typed: dask is not imported to answer).

    >>> is_dask_array(np.zeros(3))
    False
    """
    return hasattr(X, "__dask_graph__") and hasattr(X, "chunks") and hasattr(X, "ndim")


def require_dask() -> ModuleType:
    """The ``dask`` module (with ``dask.array`` loaded), or an ImportError saying how to
    install it."""
    try:
        import dask
        import dask.array
    except ImportError:  # pragma: no cover - the message is the point
        raise ImportError(
            "fitting on a Dask array needs dask: pip install 'tinygrad-lr[dask]'"
        ) from None
    return dask


def row_chunked(X, row_chunks=None):
    """X with one chunk across its columns (and ``row_chunks`` along its rows if given).

    Each block then holds whole rows, so a per-block loss needs no other block.
    """
    require_dask()
    if X.ndim == 2 and len(X.chunks[1]) > 1:
        X = X.rechunk({1: -1})
    if row_chunks is not None and X.chunks[0] != tuple(row_chunks):
        X = X.rechunk({0: tuple(row_chunks)})
    return X


def _sum_results(*results):
    total = None
    for result in results:
        total = add_block_results(total, result)
    return total


def _aligned(array, X):
    """A row-aligned array cut into X's row blocks (as is when both have the same number
    of blocks of unknown size, e.g. two columns of one DataFrame; the tasks check)."""
    if has_unknown_rows(X) or has_unknown_rows(array):
        if len(array.chunks[0]) == len(X.chunks[0]):
            return array if array.ndim == 1 else row_chunked(array)
        raise ValueError("X and a row-aligned input have different, unknown row blocks; "
                         "compute their sizes first (e.g. ddf.to_dask_array(lengths=True))")
    array = array.rechunk({0: X.chunks[0]})
    return row_chunked(array) if array.ndim == 2 else array


def block_sum_graph(function: Callable, X, *row_aligned, args: tuple = (),
                    groups: list[list[int]] | None = None):
    """The lazy (Dask Delayed) sum of :func:`dask_block_sum`, not computed yet.

    ``groups`` (lists of block indices, e.g. the blocks each worker holds) are summed by
    one task each, next to their blocks, before the final sum; without them the block
    results are added in a tree of ``FAN_IN``-way sums.
    """
    dask = require_dask()
    X = row_chunked(X)
    blocks = X.to_delayed().ravel().tolist()
    aligned = []
    for array in row_aligned:
        if array is None:
            aligned.append([None] * len(blocks))
            continue
        aligned.append(_aligned(array, X).to_delayed().ravel().tolist())
    task = dask.delayed(function, pure=True)
    level = [task(block, *(a[i] for a in aligned), *args) for i, block in enumerate(blocks)]
    add = dask.delayed(_sum_results, pure=True)
    if groups is not None and len(groups) > 1:  # a worker's one block needs no sum of its own
        level = [add(*(level[i] for i in group)) if len(group) > 1 else level[group[0]]
                 for group in groups if group]
    while len(level) > 1:
        level = [add(*level[i:i + FAN_IN]) for i in range(0, len(level), FAN_IN)]
    return level[0]


def worker_groups(X) -> list[list[int]] | None:
    """The indices of the row blocks each worker holds, for a persisted X on a distributed
    cluster (None otherwise: a lazy X's blocks are computed wherever Dask chooses)."""
    client = active_client()
    holders = block_workers(client, X) if client is not None and is_persisted(X) else None
    if holders is None:
        return None
    by_worker: dict[str, list[int]] = {}
    for i, worker in enumerate(holders):
        by_worker.setdefault(worker, []).append(i)
    return list(by_worker.values())


def count_tasks(collection) -> int:
    """How many tasks computing ``collection`` runs (data already in memory is no task)."""
    from dask.core import istask

    return sum(1 for value in dict(collection.__dask_graph__()).values() if istask(value))


def dask_block_sum(function: Callable, X, *row_aligned, args: tuple = (),
                   groups: list[list[int]] | None = None):
    """``sum over blocks b of function(X_b, *(a_b for a in row_aligned), *args)``, by Dask.

    ``X`` is a Dask array (a 2-D one is rechunked to whole rows if needed); each of ``row_aligned``
    is a 1-D or 2-D Dask array with one entry per row of X (rechunked to X's row blocks)
    or ``None``. ``function`` must be a module-level function (it is pickled to worker
    processes); ``args`` are small values sent with every task (e.g. the parameters).
    Results (numbers, arrays or tuples of them) are added per group of blocks (``groups``,
    see :func:`block_sum_graph`) or in a tree of ``FAN_IN``-way sums; the total is
    computed on the active scheduler and returned.
    """
    dask = require_dask()
    (total,) = dask.compute(block_sum_graph(function, X, *row_aligned, args=args,
                                            groups=groups))
    return total


def _first_bad_in_block(block):
    """(rows in the block, (row, column, value) of its first NaN/inf or None)."""
    if block.dtype.kind == "f":
        bad = ~np.isfinite(block)
        if bad.any():
            i, j = np.unravel_index(int(np.flatnonzero(bad)[0]), block.shape)
            return len(block), [(int(i), int(j), float(block[i, j]))]
    return len(block), []


def check_dask_array(X, *, name: str = "X"):
    """X rechunked to whole rows, after checking it is 2-D, non-empty, real and finite.

    NaN/inf are looked for on the workers; only each block's row count and first bad
    entry come back, so the client learns the global row of the first bad value.
    """
    dask = require_dask()
    if X.ndim != 2:
        raise ValueError(f"{name} must be 2-D (n_samples, n_features), got shape {X.shape}")
    if X.dtype.kind not in "biuf":
        raise ValueError(f"{name} must hold real numbers, got dtype {X.dtype}")
    if X.shape[1] == 0 or X.shape[0] == 0:
        raise ValueError(f"{name} is empty (shape={X.shape}); it needs at least one row and "
                         "one column")
    X = row_chunked(X)
    check = dask.delayed(_first_bad_in_block, pure=True)
    (findings,) = dask.compute([check(b) for b in X.to_delayed().ravel()])
    start = 0
    for rows, bad in findings:
        if bad:
            i, j, value = bad[0]
            raise ValueError(
                f"{name} contains NaN or infinity at row {start + i}, column {j} (value "
                f"{value}); remove or impute such values first"
            )
        start += rows
    return X


def dask_unique(y) -> np.ndarray:
    """The sorted distinct values of a 1-D Dask array, computed blockwise."""
    import dask.array as da

    require_dask()
    return np.asarray(da.unique(y).compute())


def map_rows(function: Callable, X, *, n_columns: int | None, dtype, args: tuple = ()):
    """``function(X_b, *args)`` on every row block of X, as a lazy Dask array.

    The result has X's row chunks and ``n_columns`` columns (``None``: one value per row).
    Nothing is computed until the caller computes it.
    """
    require_dask()
    X = row_chunked(X)
    if n_columns is None:
        return X.map_blocks(function, *args, drop_axis=1, chunks=(X.chunks[0],), dtype=dtype)
    return X.map_blocks(function, *args, chunks=(X.chunks[0], (n_columns,)), dtype=dtype)


def _encode_block(labels, classes):
    codes = np.searchsorted(classes, labels)
    codes = np.minimum(codes, len(classes) - 1)
    return codes if (classes[codes] == labels).all() else np.full(len(labels), -1)


def class_codes(y, classes: np.ndarray):
    """The lazy Dask array of class codes (positions in ``classes``) of the labels ``y``.

    A label outside ``classes`` gives code -1 in its whole block (checked by the caller).
    """
    require_dask()
    return y.map_blocks(_encode_block, classes, dtype=np.intp)


def _weight_and_class_counts(codes, weights, n_classes):
    counts = np.bincount(codes, minlength=n_classes).astype(np.float64)
    summed = counts if weights is None else np.bincount(codes, weights=weights,
                                                        minlength=n_classes)
    return counts, summed


def class_totals(y_codes, sample_weight, n_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """(rows per class, sample weight per class), summed on the workers."""
    return dask_block_sum(_weight_and_class_counts, y_codes, sample_weight,
                          args=(n_classes,))


def _block_sums_task(X_block, codes, weights, theta, class_weights, n_classes, fit_intercept,
                     need_hessian):
    return objective.block_sums(
        theta, as_float_block(X_block), codes, weighted_block(weights, class_weights, codes),
        n_classes=n_classes, fit_intercept=fit_intercept, need_hessian=need_hessian)


def dask_evaluator(X, y_codes, sample_weight=None, *, n_classes: int, alpha: float,
                   fit_intercept: bool = True, class_weights=None, groups=None):
    """``evaluate(theta, need_hessian)`` of the penalized objective for Dask arrays.

    Every evaluation is one Dask computation: each row block's
    :func:`~tinygrad_lr.models.objective.block_sums` on the worker holding it, a sum per
    group of blocks (``groups``: the blocks each worker holds) or a tree sum, and
    :func:`~tinygrad_lr.models.objective.penalized` on the client. ``y_codes`` (class
    codes) and ``sample_weight`` are Dask arrays aligned with X's rows (or ``None``).
    ``evaluate.tasks(theta)`` counts the tasks of one evaluation (those of a lazy X
    included: they rerun every time).
    """
    X = row_chunked(X)
    n_features = X.shape[1]
    if groups is None:
        groups = worker_groups(X)

    def graph(theta, need_hessian):
        return block_sum_graph(
            _block_sums_task, X, y_codes, sample_weight,
            args=(np.asarray(theta, dtype=np.float64), class_weights, n_classes,
                  fit_intercept, need_hessian), groups=groups)

    def evaluate(theta, need_hessian: bool = False):
        (total,) = require_dask().compute(graph(theta, need_hessian))
        return objective.penalized(total, theta, alpha=alpha, n_classes=n_classes,
                                   n_features=n_features, fit_intercept=fit_intercept)

    evaluate.tasks = lambda theta: count_tasks(graph(theta, True))
    return evaluate


def _read_rows(path: str, start: int, stop: int) -> np.ndarray:
    return np.load(path, mmap_mode="r")[start:stop]


def from_npy(path, block_rows: int | None = None):
    """A Dask array of a ``.npy`` file whose blocks of rows are read by the workers.

    Every task memory-maps the file itself and takes its rows, so neither the client nor
    the task graph ever holds the data (``da.from_array`` on a memory map would pickle the
    whole array into the graph for worker processes). The workers must see ``path``.
    ``block_rows=None`` reads :data:`READ_BLOCK_BYTES` of rows per task.
    """
    from pathlib import Path

    dask = require_dask()
    import dask.array as da

    path = str(Path(path).resolve())
    header = np.load(path, mmap_mode="r")
    shape, dtype = header.shape, header.dtype
    if len(shape) not in (1, 2):
        raise ValueError(f"{path} holds an array of shape {shape}; expected 1-D or 2-D")
    if block_rows is None:
        row_bytes = (shape[1] if len(shape) == 2 else 1) * dtype.itemsize
        block_rows = max(1, READ_BLOCK_BYTES // max(1, row_bytes))
    read = dask.delayed(_read_rows, pure=True)
    parts = [da.from_delayed(read(path, start, min(start + block_rows, shape[0])),
                             shape=(min(start + block_rows, shape[0]) - start, *shape[1:]),
                             dtype=dtype)
             for start in range(0, shape[0], block_rows)]
    return da.concatenate(parts, axis=0)


def dask_compute(*collections):
    """``dask.compute`` on the active scheduler (a helper so callers need not import dask)."""
    return require_dask().compute(*collections)


def _predict_block(X_block, estimator, method):
    return getattr(estimator, method)(X_block)


def _checked_columns(estimator, X):
    """X as a Dask array; a DataFrame's columns must be those the estimator was fitted on."""
    X, names = frame_to_array(X)
    fitted = getattr(estimator, "feature_names_in_", None)
    if names is not None and fitted is not None and list(names) != list(fitted):
        raise ValueError(f"X has columns {list(names)[:10]}, but {type(estimator).__name__} "
                         f"was fitted on columns {list(fitted)[:10]} (same names, same order)")
    if X.ndim != 2 or X.shape[1] != estimator.n_features_in_:
        raise ValueError(
            f"X has shape {X.shape}, but {type(estimator).__name__} is expecting "
            f"{estimator.n_features_in_} features as input"
        )
    return X


def predict_dask(estimator, method: str, X):
    """``estimator.<method>(X)`` for a Dask array or DataFrame X, as a lazy Dask array.

    Every block is predicted on its worker by the fitted estimator (``map_blocks``); the
    result has X's row chunks (unknown ones stay unknown): (n,) for ``predict`` and a
    two-class ``decision_function``, (n, K) for the probabilities (and K-class logits).
    """
    from .validation import check_is_fitted

    check_is_fitted(estimator, method)
    X = _checked_columns(estimator, X)
    K = len(estimator.classes_)
    if method == "predict":
        return map_rows(_predict_block, X, n_columns=None, dtype=estimator.classes_.dtype,
                        args=(estimator, method))
    if method == "decision_function" and K == 2:
        return map_rows(_predict_block, X, n_columns=None, dtype=np.float64,
                        args=(estimator, method))
    return map_rows(_predict_block, X, n_columns=K, dtype=np.float64, args=(estimator, method))


def _score_block(X_block, labels, weights, estimator):
    predicted = estimator.predict(X_block)
    if len(labels) != len(predicted):
        raise ValueError(f"X and y have row blocks of different lengths ({len(predicted)} "
                         f"rows, {len(labels)} labels)")
    right = predicted == np.asarray(labels)
    if weights is None:
        return np.array([right.sum(), len(right)], dtype=np.float64)
    weights = np.asarray(weights, dtype=np.float64)
    return np.array([weights[right].sum(), weights.sum()])


def score_dask(estimator, X, y, sample_weight=None) -> float:
    """``estimator.score(X, y, sample_weight)`` (accuracy) for Dask data, on the workers.

    Every block is predicted and compared with its labels where it lies; only two
    numbers per block (weight right, weight in all) are summed, so nothing of size n
    reaches the client. ``y`` and ``sample_weight`` may be Dask (arrays, Series) or numpy
    (then cut into X's row blocks once).
    """
    from .validation import check_is_fitted

    check_is_fitted(estimator, "score")
    X = _checked_columns(estimator, X)
    dask_y = frame_to_array(y, name="y")[0] if is_dask_collection(y) else None
    dask_w = (frame_to_array(sample_weight, name="sample_weight")[0]
              if is_dask_collection(sample_weight) else None)
    if dask_y is None or (sample_weight is not None and dask_w is None):
        (X,) = known_rows(X)  # numpy labels are cut at X's block boundaries
    with explain_lost_data(active_client()):
        labels = row_aligned(y if dask_y is None else dask_y, X, "y")
        weights = (None if sample_weight is None else row_aligned(
            sample_weight if dask_w is None else dask_w, X, "sample_weight"))
        for name, values in (("y", labels), ("sample_weight", weights)):
            if values is not None and not has_unknown_rows(X) and \
                    not has_unknown_rows(values) and values.shape[0] != X.shape[0]:
                raise ValueError(f"X has {X.shape[0]} rows but {name} has {values.shape[0]} "
                                 "entries")
        right, total = dask_block_sum(_score_block, X, labels, weights, args=(estimator,))
    return float(right / total)
