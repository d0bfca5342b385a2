"""The data sources behind the training core: numpy arrays, memory maps read in row blocks
and Dask arrays (threaded scheduler) give the lecture's loss, gradient and Hessian, computed
here with plain numpy (dZ = A − Y, dw = Xᵀ·dZ / m, db = mean(dZ)), and the same mini-batches."""

import numpy as np
import pytest

from tinygrad_lr.models import chunked
from tinygrad_lr.models.sources import ArraySource, array_source, codes_of, stream_source


def _lecture(X, y, w, b, sample_weight=None, alpha=0.0):
    """J, (dw, db) and the Hessian of the weighted mean cross-entropy + α/2·‖w‖², by numpy."""
    s = np.ones(len(X)) if sample_weight is None else sample_weight
    m = s.sum()  # the number of rows when every row weighs 1
    A = 1 / (1 + np.exp(-(X @ w + b)))
    loss = -(s * (y * np.log(A) + (1 - y) * np.log(1 - A))).sum() / m + alpha / 2 * w @ w
    dZ = A - y
    dw = X.T @ (s * dZ) / m + alpha * w
    db = (s * dZ).sum() / m  # mean(dZ) for unit weights
    X1 = np.column_stack([X, np.ones(len(X))])
    hessian = X1.T @ (X1 * (s * A * (1 - A))[:, None]) / m
    hessian[:-1, :-1] += alpha * np.eye(X.shape[1])
    return loss, np.append(dw, db), hessian


def _data(n=300, d=4, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = (X @ rng.normal(size=d) + rng.normal(size=n) > 0).astype(int)
    return X, y, rng.uniform(0.2, 3.0, n), rng.normal(size=d + 1)


def _source(kind, X, y, weights, tmp_path, monkeypatch):
    if kind == "memory":
        return array_source(X, y, weights)
    if kind == "blocks":  # a memory map summed over blocks of 41 rows
        np.save(tmp_path / "X.npy", X)
        monkeypatch.setattr(chunked, "BLOCK_BYTES", 41 * X.shape[1] * 8)
        return array_source(np.load(tmp_path / "X.npy", mmap_mode="r"), y, weights)
    da = pytest.importorskip("dask.array", reason="dask is not installed")
    from tinygrad_lr.models.dask_fit import dask_source

    return dask_source(da.from_array(X, chunks=(53, -1)), y, weights)


@pytest.mark.parametrize("kind", ["memory", "blocks", "dask"])
@pytest.mark.parametrize("weighted, alpha", [(False, 0.0), (True, 0.3)])
def test_each_source_gives_the_lecture_loss_gradient_and_hessian(kind, weighted, alpha,
                                                                 tmp_path, monkeypatch):
    X, y, weights, theta = _data()
    weights = weights if weighted else None
    source = _source(kind, X, y, weights, tmp_path, monkeypatch)
    assert (source.n_rows, source.n_features) == X.shape
    assert source.weight_sum == pytest.approx(len(X) if weights is None else weights.sum())
    assert source.classes.tolist() == [0, 1]
    expected = _lecture(X, y, theta[:-1], theta[-1], weights, alpha)
    if kind == "dask":
        import dask

        with dask.config.set(scheduler="threads"), source.running():
            got = source.evaluator(alpha=alpha, fit_intercept=True)(theta, True)
    else:
        with source.running():
            got = source.evaluator(alpha=alpha, fit_intercept=True)(theta, True)
    for value, oracle in zip(got, expected):
        np.testing.assert_allclose(value, oracle, rtol=1e-12, atol=1e-13)


def test_mini_batches_cover_every_row_once_in_a_random_order():
    X, y, weights, _ = _data(n=10)
    source = array_source(X, y, weights)
    batches = list(source.mini_batches(4, np.random.default_rng(0)))
    assert [len(batch.X) for batch in batches] == [4, 4, 2]
    order = np.random.default_rng(0).permutation(10)
    np.testing.assert_array_equal(np.concatenate([b.X for b in batches]), X[order])
    np.testing.assert_array_equal(np.concatenate([b.codes for b in batches]), y[order])
    np.testing.assert_array_equal(np.concatenate([b.weights for b in batches]), weights[order])


def test_one_whole_batch_is_a_view_and_draws_nothing(tmp_path):
    X, y, _, _ = _data(n=10)
    np.save(tmp_path / "X.npy", X)
    mapped = np.load(tmp_path / "X.npy", mmap_mode="r")
    rng = np.random.default_rng(0)
    (batch,) = ArraySource(mapped, y, None, np.array([0, 1])).mini_batches(10, rng)
    assert np.shares_memory(batch.X, mapped) and batch.weights is None
    assert rng.integers(1000) == np.random.default_rng(0).integers(1000)


def test_a_dask_source_refuses_mini_batches_before_computing_anything():
    da = pytest.importorskip("dask.array", reason="dask is not installed")
    from tinygrad_lr.models.dask_fit import dask_source

    X, y, _, _ = _data(n=20)
    with pytest.raises(ValueError, match="batch_size=5 does not run on Dask arrays"):
        dask_source(da.from_array(X, chunks=(7, -1)), y, batch_size=5)


def test_class_weights_multiply_sample_weights():
    X, y, weights, _ = _data(n=8)
    source = array_source(X, y, weights, class_weight={1: 3.0})
    np.testing.assert_allclose(source.weights, weights * np.where(y == 1, 3.0, 1.0))
    with pytest.raises(ValueError, match="leave every row with weight 0"):
        array_source(X, y, None, class_weight={0: 0.0, 1: 0.0})


def test_a_stream_source_takes_its_classes_from_the_caller():
    X, y, _, _ = _data(n=6)
    labels = np.array(["a", "b", "a", "a", "b", "a"])
    source = stream_source(X, labels, classes=["c", "b", "a"])
    assert source.classes.tolist() == ["a", "b", "c"]
    np.testing.assert_array_equal(source.codes, (labels == "b").astype(int))
    with pytest.raises(ValueError, match="label 'z', which is not one of the classes"):
        stream_source(X, np.array(["z"] * 6), classes=["a", "b"])
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        stream_source(X, labels)
    with pytest.raises(ValueError, match="class_weight='balanced' needs the class counts"):
        stream_source(X, labels, classes=["a", "b"], class_weight="balanced")
    assert codes_of(np.array(["b"]), np.array(["a", "b"]), "seen in fit").tolist() == [1]
