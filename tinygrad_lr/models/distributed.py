"""Data-parallel reductions over Dask arrays: per-block results summed by Dask.

A fit on a Dask array never gathers X. Every row block is handed, on the worker that holds
it, to a per-block function (the engine's loss, gradient and Hessian of that block); Dask
adds the block results in a tree, and only that sum (a number, a vector, a small matrix)
reaches the client, which makes the update. Works with any Dask scheduler: the threaded
default, processes, or a ``dask.distributed.Client`` (which Dask uses once it exists).

Dask is an optional dependency (``pip install tinygrad-lr[dask]``); this module imports it
only when a Dask array is actually used (so its docstrings show no Dask examples: the
package's doctests run without the extra; tests/test_scale_dask.py runs them with it).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from . import objective
from .blocks import add_block_results, as_float_block, weighted_block

FAN_IN = 8
"""How many block results one task of the tree sum adds."""


def is_dask_array(X) -> bool:
    """True for a Dask array (duck-typed: dask is not imported to answer).

    >>> is_dask_array(np.zeros(3))
    False
    """
    return hasattr(X, "__dask_graph__") and hasattr(X, "chunks") and hasattr(X, "ndim")


def _require_dask():
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
    _require_dask()
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


def dask_block_sum(function: Callable, X, *row_aligned, args: tuple = ()):
    """``sum over blocks b of function(X_b, *(a_b for a in row_aligned), *args)``, by Dask.

    ``X`` is a Dask array (a 2-D one is rechunked to whole rows if needed); each of ``row_aligned``
    is a 1-D or 2-D Dask array with one entry per row of X (rechunked to X's row blocks)
    or ``None``. ``function`` must be a module-level function (it is pickled to worker
    processes); ``args`` are small values sent with every task (e.g. the parameters).
    Results (numbers, arrays or tuples of them) are added in a tree of ``FAN_IN``-way sums;
    the total is computed on the active scheduler and returned.
    """
    dask = _require_dask()
    X = row_chunked(X)
    blocks = X.to_delayed().ravel().tolist()
    aligned = []
    for array in row_aligned:
        if array is None:
            aligned.append([None] * len(blocks))
            continue
        array = array.rechunk({0: X.chunks[0]})
        if array.ndim == 2:
            array = row_chunked(array)
        aligned.append(array.to_delayed().ravel().tolist())
    task = dask.delayed(function, pure=True)
    level = [task(block, *(a[i] for a in aligned), *args) for i, block in enumerate(blocks)]
    add = dask.delayed(_sum_results, pure=True)
    while len(level) > 1:
        level = [add(*level[i:i + FAN_IN]) for i in range(0, len(level), FAN_IN)]
    (total,) = dask.compute(level[0])
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
    dask = _require_dask()
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

    _require_dask()
    return np.asarray(da.unique(y).compute())


def map_rows(function: Callable, X, *, n_columns: int | None, dtype, args: tuple = ()):
    """``function(X_b, *args)`` on every row block of X, as a lazy Dask array.

    The result has X's row chunks and ``n_columns`` columns (``None``: one value per row).
    Nothing is computed until the caller computes it.
    """
    _require_dask()
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
    _require_dask()
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
                   fit_intercept: bool = True, class_weights=None):
    """``evaluate(theta, need_hessian)`` of the penalized objective for Dask arrays.

    Every evaluation is one Dask computation: each row block's
    :func:`~tinygrad_lr.models.objective.block_sums` on the worker holding it, a tree sum,
    and :func:`~tinygrad_lr.models.objective.penalized` on the client. ``y_codes`` (class
    codes) and ``sample_weight`` are Dask arrays aligned with X's rows (or ``None``).
    """
    X = row_chunked(X)
    n_features = X.shape[1]

    def evaluate(theta, need_hessian: bool = False):
        total = dask_block_sum(
            _block_sums_task, X, y_codes, sample_weight,
            args=(np.asarray(theta, dtype=np.float64), class_weights, n_classes,
                  fit_intercept, need_hessian))
        return objective.penalized(total, theta, alpha=alpha, n_classes=n_classes,
                                   n_features=n_features, fit_intercept=fit_intercept)

    return evaluate


def _read_rows(path: str, start: int, stop: int) -> np.ndarray:
    return np.load(path, mmap_mode="r")[start:stop]


def from_npy(path, block_rows: int | None = None):
    """A Dask array of a ``.npy`` file whose blocks of rows are read by the workers.

    Every task memory-maps the file itself and takes its rows, so neither the client nor
    the task graph ever holds the data (``da.from_array`` on a memory map would pickle the
    whole array into the graph for worker processes). The workers must see ``path``.
    ``block_rows=None`` uses :func:`~tinygrad_lr.models.blocks.default_block_rows`.
    """
    from pathlib import Path

    dask = _require_dask()
    import dask.array as da

    from .blocks import default_block_rows

    path = str(Path(path).resolve())
    header = np.load(path, mmap_mode="r")
    shape, dtype = header.shape, header.dtype
    if len(shape) not in (1, 2):
        raise ValueError(f"{path} holds an array of shape {shape}; expected 1-D or 2-D")
    if block_rows is None:
        block_rows = default_block_rows(shape[1] if len(shape) == 2 else 1, dtype.itemsize)
    read = dask.delayed(_read_rows, pure=True)
    parts = [da.from_delayed(read(path, start, min(start + block_rows, shape[0])),
                             shape=(min(start + block_rows, shape[0]) - start, *shape[1:]),
                             dtype=dtype)
             for start in range(0, shape[0], block_rows)]
    return da.concatenate(parts, axis=0)


def _take(codes, table):
    return np.asarray(table)[codes]


def dask_training_data(X, y, sample_weight, class_weight, estimator: str = "the estimator"):
    """What a fit needs from Dask inputs, computed on the workers: ``(X, classes, codes,
    weights, weight_sum)``.

    ``X`` comes back checked and rechunked to whole rows; ``classes`` (small) is on the
    client; ``codes`` (class code per row) and ``weights`` (sample weight times class
    weight per row, or None) are lazy Dask arrays aligned with X; ``weight_sum`` is their
    total (the number of rows when ``weights`` is None). The label rules are those of
    :func:`~tinygrad_lr.models.validation.check_labels`, applied to the distinct labels.
    """
    import dask.array as da

    from .validation import check_labels, class_weights, encode_labels

    X = check_dask_array(X)
    n = X.shape[0]
    if y is None:
        check_labels(None, n, estimator)
    if not is_dask_array(y):
        y = da.from_array(np.asarray(y), chunks=(X.chunks[0],))
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ValueError(f"y must be 1-D (n_samples,), got shape {y.shape}")
    if y.shape[0] != n:
        raise ValueError(f"X and y have different numbers of samples: X has {n} rows, y has "
                         f"{y.shape[0]} labels")
    distinct = dask_unique(y)
    distinct = check_labels(distinct, len(distinct), estimator)
    classes, _ = encode_labels(distinct)
    codes = class_codes(y, classes)
    weights = None
    if sample_weight is not None:
        weights = (sample_weight if is_dask_array(sample_weight)
                   else da.from_array(np.asarray(sample_weight), chunks=(X.chunks[0],)))
        if weights.shape != (n,):
            raise ValueError(f"sample_weight must have shape ({n},), got {weights.shape}")
        weights = weights.astype(np.float64)
        low, high = dask_compute(weights.min(), weights.max())
        if not (np.isfinite(low) and np.isfinite(high) and low >= 0):
            raise ValueError("sample_weight must be finite and >= 0 in every row")
    if class_weight == "balanced":  # validation.class_weights' rule, from per-class totals
        _, totals = class_totals(codes, weights, len(classes))
        per_class = totals.sum() / (len(classes) * np.where(totals > 0, totals, 1.0))
    else:
        per_class = class_weights(class_weight, classes, np.zeros(0, dtype=np.intp))
    if per_class is not None:
        per_row = codes.map_blocks(_take, per_class, dtype=np.float64)
        weights = per_row if weights is None else weights * per_row
    weight_sum = float(n) if weights is None else float(dask_compute(weights.sum())[0])
    if not weight_sum > 0:
        raise ValueError("sample_weight and class_weight leave every row with weight 0")
    return X, classes, codes, weights, weight_sum


def dask_compute(*collections):
    """``dask.compute`` on the active scheduler (a helper so callers need not import dask)."""
    return _require_dask().compute(*collections)


def fit_dask(estimator, X, y, sample_weight=None, callback=None):
    """``estimator.fit(X, y, sample_weight)`` for Dask arrays, data-parallel.

    Each evaluation of the objective is one Dask computation of per-block sums
    (:func:`dask_evaluator`); the solver's update runs on the client. X is never gathered.
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
    X, classes, codes, weights, weight_sum = dask_training_data(
        X, y, sample_weight, estimator.class_weight, type(estimator).__name__)
    d, K = X.shape[1], len(classes)
    fit_intercept = settings["fit_intercept"]
    alpha = estimator._alpha(weight_sum)
    solver = estimator._resolved_solver(solver, K, d, fit_intercept)
    max_iter = settings["max_iter"] or DEFAULT_MAX_ITER[solver]
    start = estimator._starting_point(classes, d, fit_intercept)
    if solver in EXACT_SOLVERS:
        theta, history = estimator._fit_exact(solver, X, codes, weights, K, alpha, start,
                                              settings, max_iter, callback)
    else:
        theta, history = _fit_full_batch(estimator, solver, X, codes, weights, K, alpha,
                                         start, settings, max_iter, callback)
    coef, intercept = objective_terms.unpack(theta, K, d, fit_intercept)
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


def _predict_block(X_block, estimator, method):
    return getattr(estimator, method)(X_block)


def predict_dask(estimator, method: str, X):
    """``estimator.<method>(X)`` for a Dask array X, as a lazy Dask array (map_blocks).

    Every block is predicted on its worker by the fitted estimator; the result has X's
    row chunks: (n,) for ``predict`` and a two-class ``decision_function``, (n, K) for
    the probabilities (and K-class logits).
    """
    from .validation import check_is_fitted

    check_is_fitted(estimator, method)
    if X.ndim != 2 or X.shape[1] != estimator.n_features_in_:
        raise ValueError(
            f"X has shape {X.shape}, but {type(estimator).__name__} is expecting "
            f"{estimator.n_features_in_} features as input"
        )
    K = len(estimator.classes_)
    if method == "predict":
        return map_rows(_predict_block, X, n_columns=None, dtype=estimator.classes_.dtype,
                        args=(estimator, method))
    if method == "decision_function" and K == 2:
        return map_rows(_predict_block, X, n_columns=None, dtype=np.float64,
                        args=(estimator, method))
    return map_rows(_predict_block, X, n_columns=K, dtype=np.float64, args=(estimator, method))
