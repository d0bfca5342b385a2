"""Data-parallel evaluation on Dask arrays: the threaded scheduler and a LocalCluster of two
worker processes give the in-memory objective's numbers, and X never reaches the client."""

import contextlib
import threading

import numpy as np
import pytest

from tinygrad_lr import grad_mode
from tinygrad_lr.models import objective
from tinygrad_lr.models.distributed import (
    check_dask_array,
    class_codes,
    class_totals,
    dask_block_sum,
    dask_evaluator,
    dask_unique,
    is_dask_array,
    map_rows,
    require_dask,
)

da = pytest.importorskip("dask.array", reason="dask is not installed (pip install "
                         "'tinygrad-lr[dask]')")
dask = pytest.importorskip("dask")
distributed = pytest.importorskip("dask.distributed", reason="distributed is not installed "
                                  "(pip install 'tinygrad-lr[dask]')")

# Dask's threaded scheduler runs blocks in threads at once: the engine's grad mode must be
# per thread, or one block's backward pass switches recording off under another's forward.
needs_thread_local_grad_mode = pytest.mark.skipif(
    not isinstance(getattr(grad_mode, "state", None), threading.local),
    reason="the engine's grad mode is not per thread in this build",
)


@pytest.fixture(scope="module")
def cluster_client():
    """A LocalCluster of two single-threaded worker processes, closed after the module."""
    cluster = distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                       dashboard_address=None)
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


def _rows_and_sum(block):
    return len(block), block.sum(axis=0)


def _data(n_classes, n=1200, d=4, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    codes = rng.integers(0, n_classes, n)
    weights = rng.uniform(0.5, 2.0, n)
    return X, codes, weights


def test_require_dask_gives_the_dask_module():
    assert require_dask() is dask


def test_is_dask_array_needs_no_dask_for_numpy():
    assert not is_dask_array(np.zeros((2, 2)))
    assert is_dask_array(da.zeros((2, 2)))


def test_block_sum_runs_a_tree_over_many_blocks():
    X = np.arange(200.0).reshape(100, 2)
    rows, total = dask_block_sum(_rows_and_sum, da.from_array(X, chunks=(3, 1)))
    assert rows == 100
    np.testing.assert_array_equal(total, X.sum(axis=0))


def test_check_dask_array_names_the_global_row():
    X = np.ones((30, 2))
    X[17, 1] = np.nan
    with pytest.raises(ValueError, match=r"row 17, column 1 \(value nan\)"):
        check_dask_array(da.from_array(X, chunks=(5, 2)))
    with pytest.raises(ValueError, match="2-D"):
        check_dask_array(da.ones(3))
    checked = check_dask_array(da.ones((6, 4), chunks=(2, 2)))
    assert checked.chunks == ((2, 2, 2), (4,))


def test_labels_become_codes_on_the_workers():
    y = da.from_array(np.array(["b", "a", "c", "a", "b"]), chunks=2)
    classes = dask_unique(y)
    assert classes.tolist() == ["a", "b", "c"]
    assert class_codes(y, classes).compute().tolist() == [1, 0, 2, 0, 1]
    assert (class_codes(y, np.array(["a", "b"])).compute()[2:4] == -1).all()
    counts, weights = class_totals(class_codes(y, classes), da.from_array(
        np.array([1.0, 2.0, 3.0, 4.0, 5.0]), chunks=3), 3)
    assert counts.tolist() == [2.0, 2.0, 1.0] and weights.tolist() == [6.0, 6.0, 3.0]


def _compare(n_classes, scheduler=None):
    X, codes, weights = _data(n_classes)
    class_weights = np.linspace(1.0, 1.5, n_classes)
    theta = np.random.default_rng(5).normal(
        size=objective.n_outputs(n_classes) * (X.shape[1] + 1))
    whole = objective.in_memory(X, codes, weights * class_weights[codes], n_classes=n_classes,
                                alpha=0.01)(theta, True)
    evaluate = dask_evaluator(
        da.from_array(X, chunks=(250, 2)), da.from_array(codes, chunks=300),
        da.from_array(weights, chunks=500), n_classes=n_classes, alpha=0.01,
        class_weights=class_weights)
    with dask.config.set(scheduler=scheduler) if scheduler else contextlib.nullcontext():
        parallel = evaluate(theta, True)
    assert parallel[0] == pytest.approx(whole[0], rel=1e-13)
    np.testing.assert_allclose(parallel[1], whole[1], rtol=1e-11, atol=1e-14)
    np.testing.assert_allclose(parallel[2], whole[2], rtol=1e-11, atol=1e-14)


@needs_thread_local_grad_mode
@pytest.mark.parametrize("n_classes", [2, 3])
def test_evaluator_on_the_threaded_scheduler_equals_in_memory(n_classes):
    _compare(n_classes, scheduler="threads")


@pytest.mark.parametrize("n_classes", [2, 3])
def test_evaluator_on_a_local_cluster_equals_in_memory(cluster_client, n_classes):
    _compare(n_classes)


def _row_sums(block):
    return block.sum(axis=1)


def _scaled(block, factor):
    return block * factor


def test_map_rows_returns_lazy_dask_arrays(cluster_client):
    X = np.arange(12.0).reshape(6, 2)
    sums = map_rows(_row_sums, da.from_array(X, chunks=(4, 1)), n_columns=None, dtype=float)
    assert is_dask_array(sums) and sums.chunks == ((4, 2),)
    np.testing.assert_array_equal(sums.compute(), X.sum(axis=1))
    scaled = map_rows(_scaled, da.from_array(X, chunks=(4, 1)), n_columns=2, dtype=float,
                      args=(3.0,))
    np.testing.assert_array_equal(scaled.compute(), 3 * X)


# ------------------------------------------------------------ LogisticRegression on Dask
def _labelled(n_classes, n=900, d=5, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    W = rng.normal(size=(d, n_classes))
    labels = np.argmax(X @ W + rng.gumbel(size=(n, n_classes)), axis=1)
    return X, np.array(["ant", "bee", "cat", "dog"])[labels], rng.uniform(0.5, 2.0, n)


def _fit_both(n_classes, solver="auto", **options):
    from tinygrad_lr.models import LogisticRegression

    X, y, weights = _labelled(n_classes)
    settings = {"solver": solver, "tol": 1e-8, "C": 0.5, **options}
    memory = LogisticRegression(**settings).fit(X, y, sample_weight=weights)
    # Blocks of at most 4,000 bytes: the persisted X spans 10 blocks, several per worker.
    with dask.config.set({"tinygrad-lr.block-bytes": 4000}):
        parallel = LogisticRegression(**settings).fit(
            da.from_array(X, chunks=(200, 3)), da.from_array(y, chunks=250),
            sample_weight=da.from_array(weights, chunks=300))
    return X, memory, parallel


def _assert_same_fit(memory, parallel):
    np.testing.assert_allclose(parallel.coef_, memory.coef_, rtol=0, atol=1e-8)
    np.testing.assert_allclose(parallel.intercept_, memory.intercept_, rtol=0, atol=1e-8)
    assert parallel.classes_.tolist() == memory.classes_.tolist()
    assert parallel.solver_ == memory.solver_
    assert sorted(vars(parallel)) == sorted(vars(memory))


@needs_thread_local_grad_mode
@pytest.mark.parametrize("n_classes, solver", [(2, "newton"), (3, "newton"), (2, "lbfgs")])
def test_fit_on_the_threaded_scheduler_equals_in_memory_to_1e8(n_classes, solver):
    if solver == "lbfgs":
        pytest.importorskip("scipy")
    with dask.config.set(scheduler="threads"):
        _, memory, parallel = _fit_both(n_classes, solver, class_weight="balanced")
    _assert_same_fit(memory, parallel)


@pytest.mark.parametrize("n_classes, class_weight", [(2, {"ant": 2.0}), (3, "balanced")])
def test_fit_on_a_local_cluster_equals_in_memory_to_1e8(cluster_client, n_classes,
                                                       class_weight):
    X, memory, parallel = _fit_both(n_classes, "newton", class_weight=class_weight)
    _assert_same_fit(memory, parallel)
    X_dask = da.from_array(X, chunks=(200, 5))
    for method in ("predict", "predict_proba", "predict_log_proba", "decision_function"):
        lazy = getattr(parallel, method)(X_dask)
        assert is_dask_array(lazy) and lazy.chunks[0] == X_dask.chunks[0], method
        expected = getattr(memory, method)(X)
        if method == "predict":
            assert lazy.compute().tolist() == expected.tolist()
        else:
            np.testing.assert_allclose(lazy.compute(), expected, rtol=1e-7, atol=1e-8)


@pytest.mark.parametrize("solver", ["gd", "adam"])
def test_full_batch_first_order_solvers_on_a_local_cluster(cluster_client, solver):
    import warnings

    from tinygrad_lr.models import ConvergenceWarning, LogisticRegression

    X, y, weights = _labelled(3, n=400)
    settings = {"solver": solver, "max_iter": 15}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        memory = LogisticRegression(**settings).fit(X, y, sample_weight=weights)
        parallel = LogisticRegression(**settings).fit(
            da.from_array(X, chunks=(90, 5)), da.from_array(y, chunks=90),
            sample_weight=da.from_array(weights, chunks=90))
    np.testing.assert_allclose(parallel.coef_, memory.coef_, rtol=0, atol=1e-10)
    np.testing.assert_allclose(parallel.intercept_, memory.intercept_, rtol=0, atol=1e-10)
    np.testing.assert_allclose(parallel.history_, memory.history_, rtol=1e-12)
    assert parallel.n_iter_ == memory.n_iter_ == 15


def test_fit_never_gathers_X_on_the_client(cluster_client, monkeypatch):
    """Only small results (distinct labels, totals, per-block sums) reach the client."""
    from tinygrad_lr.models import LogisticRegression

    X, y, _ = _labelled(2)
    X_dask, y_dask = da.from_array(X, chunks=(150, 5)), da.from_array(y, chunks=150)
    gathered = []
    original = da.Array.compute

    def watched(self, **kwargs):
        result = original(self, **kwargs)
        gathered.append(np.size(result))
        return result

    def refuse(self, *args, **kwargs):
        raise AssertionError("a Dask array was converted to numpy on the client")

    monkeypatch.setattr(da.Array, "compute", watched)
    monkeypatch.setattr(da.Array, "__array__", refuse)
    model = LogisticRegression().fit(X_dask, y_dask)
    assert max(gathered, default=0) <= 2
    assert model.coef_.shape == (1, 5)


def test_dask_fit_errors_are_clear(cluster_client):
    from tinygrad_lr.models import LogisticRegression

    X, y, _ = _labelled(2, n=40)
    X_dask = da.from_array(X, chunks=(10, 5))
    with pytest.raises(ValueError, match="batch_size=8 does not run on Dask arrays"):
        LogisticRegression(solver="sgd", batch_size=8).fit(X_dask, da.from_array(y, chunks=10))
    with pytest.raises(ValueError, match="only 1 class"):
        LogisticRegression().fit(X_dask, da.from_array(np.zeros(40), chunks=10))
    with pytest.raises(ValueError, match="X has 40 rows, y has 30 labels"):
        LogisticRegression().fit(X_dask, da.from_array(y[:30], chunks=10))
    with pytest.raises(ValueError, match="continuous"):
        LogisticRegression().fit(X_dask, da.from_array(np.linspace(0, 1, 40), chunks=10))
    X_bad = X.copy()
    X_bad[33, 1] = np.inf
    with pytest.raises(ValueError, match="row 33, column 1"):
        LogisticRegression().fit(da.from_array(X_bad, chunks=(10, 5)), y)
    with pytest.raises(ValueError, match="sample_weight must be finite and >= 0"):
        LogisticRegression().fit(X_dask, y, sample_weight=-np.ones(40))
    with pytest.raises(ValueError, match="X must hold real numbers, got dtype <U1"):
        LogisticRegression().fit(da.from_array(np.full((40, 2), "a"), chunks=10), y)
    model = LogisticRegression().fit(X_dask, y)  # labels may be a numpy array
    with pytest.raises(ValueError, match="expecting 5 features"):
        model.predict(da.ones((4, 3)))
    assert model.score(X_dask, y) == LogisticRegression().fit(X, y).score(X, y)


def test_from_npy_reads_blocks_on_the_workers(cluster_client, tmp_path):
    from tinygrad_lr.models.distributed import from_npy

    X = np.arange(60.0).reshape(20, 3)
    np.save(tmp_path / "X.npy", X)
    lazy = from_npy(tmp_path / "X.npy", block_rows=6)
    assert lazy.chunks == ((6, 6, 6, 2), (3,))
    np.testing.assert_array_equal(lazy.compute(), X)
    assert all(np.size(value) < 10 for value in dict(lazy.__dask_graph__()).values()
               if isinstance(value, np.ndarray))
