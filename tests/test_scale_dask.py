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
