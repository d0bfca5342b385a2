"""LogisticRegression on data beyond memory: fit on memory maps (every solver, bounded memory,
the in-memory coefficients to 1e-8) and partial_fit with SGDClassifier's conventions."""

import tracemalloc
import warnings

import numpy as np
import pytest

from tinygrad_lr.models import LogisticRegression, chunked
from tinygrad_lr.models.exceptions import ConvergenceWarning


def _data(n=1500, d=6, n_classes=2, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    W = rng.normal(size=(d, n_classes))
    labels = np.argmax(X @ W + rng.gumbel(size=(n, n_classes)), axis=1)
    return X, np.array(["ant", "bee", "cat", "dog"])[labels]


def _memmap(tmp_path, X, name="X.npy"):
    np.save(tmp_path / name, X)
    return np.load(tmp_path / name, mmap_mode="r")


@pytest.fixture
def small_blocks(monkeypatch):
    """Call it to cut 6-column data into blocks of 97 rows, so small data spans many."""
    return lambda: monkeypatch.setattr(chunked, "BLOCK_BYTES", 97 * 6 * 8)


@pytest.mark.parametrize("solver", ["newton", "lbfgs"])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_memmap_fit_equals_in_memory_fit_to_1e8(tmp_path, small_blocks, solver, n_classes):
    """The in-memory fit sums all 1500 rows as one block; the memory map in 16 blocks."""
    pytest.importorskip("scipy") if solver == "lbfgs" else None
    X, y = _data(n_classes=n_classes)
    weights = np.random.default_rng(1).uniform(0.5, 2.0, len(X))
    options = {"solver": solver, "C": 0.5, "class_weight": "balanced", "tol": 1e-8}
    memory = LogisticRegression(**options).fit(X, y, sample_weight=weights)
    small_blocks()
    mapped = LogisticRegression(**options).fit(_memmap(tmp_path, X), y, sample_weight=weights)
    np.testing.assert_allclose(mapped.coef_, memory.coef_, rtol=0, atol=1e-8)
    np.testing.assert_allclose(mapped.intercept_, memory.intercept_, rtol=0, atol=1e-8)
    assert mapped.classes_.tolist() == memory.classes_.tolist()
    assert sorted(vars(mapped)) == sorted(vars(memory))


@pytest.mark.parametrize("solver", ["gd", "sgd", "adam"])
def test_memmap_fit_with_the_first_order_solvers(tmp_path, solver):
    X, y = _data(n=400)
    options = {"solver": solver, "max_iter": 20, "batch_size": 64, "random_state": 0}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        memory = LogisticRegression(**options).fit(X, y)
        mapped = LogisticRegression(**options).fit(_memmap(tmp_path, X), y)
    np.testing.assert_allclose(mapped.coef_, memory.coef_, rtol=1e-12, atol=1e-12)


def test_memmap_predictions_equal_in_memory(tmp_path, small_blocks):
    X, y = _data(n_classes=3)
    model = LogisticRegression().fit(X, y)
    small_blocks()
    mapped = _memmap(tmp_path, X)
    for method in ("predict", "predict_proba", "predict_log_proba", "decision_function"):
        np.testing.assert_array_equal(getattr(model, method)(mapped), getattr(model, method)(X))
    assert model.score(mapped, y) == model.score(X, y)


def test_float32_memmap_is_converted_block_by_block(tmp_path, small_blocks):
    X, y = _data()
    X32 = X.astype(np.float32)
    memory = LogisticRegression(tol=1e-8).fit(X32.astype(np.float64), y)
    small_blocks()
    mapped = LogisticRegression(tol=1e-8).fit(_memmap(tmp_path, X32), y)
    np.testing.assert_allclose(mapped.coef_, memory.coef_, rtol=0, atol=1e-8)


def test_memmap_with_nan_names_the_row_and_is_not_modified(tmp_path, small_blocks):
    X, y = _data()
    X[1234, 5] = np.nan
    small_blocks()
    mapped = _memmap(tmp_path, X)
    with pytest.raises(ValueError, match=r"row 1234, column 5 \(value nan\)"):
        LogisticRegression().fit(mapped, y)
    model = LogisticRegression().fit(np.nan_to_num(X), y)
    with pytest.raises(ValueError, match="row 1234"):
        model.predict(mapped)
    with pytest.raises(ValueError, match="expecting 6 features"):
        model.predict(_memmap(tmp_path, X[:, :4], "narrow.npy"))


def test_default_solver_on_a_200_mb_memory_map_takes_one_block_of_memory(tmp_path):
    rows, features = 250_000, 100
    rng = np.random.default_rng(0)
    w = rng.normal(size=features)
    w *= 2.0 / np.linalg.norm(w)
    path = tmp_path / "big.npy"
    X = np.lib.format.open_memmap(path, mode="w+", dtype=np.float64, shape=(rows, features))
    y = np.empty(rows, dtype=np.int64)
    for start in range(0, rows, 50_000):
        block = rng.normal(size=(50_000, features))
        X[start:start + 50_000] = block
        y[start:start + 50_000] = rng.random(50_000) < 1 / (1 + np.exp(-block @ w))
    X.flush()
    del X
    mapped = np.load(path, mmap_mode="r")
    data_bytes = rows * features * 8
    tracemalloc.start()
    try:
        model = LogisticRegression().fit(mapped, y)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert model.solver_ == "newton" and model.n_iter_ >= 3
    # One block is BLOCK_BYTES (16 MiB); the Hessian's copy with a column of ones and the
    # engine's graph of that block come on top. The data are 200 MB.
    assert peak < 4 * chunked.BLOCK_BYTES, f"peak {peak / 1e6:.1f} MB"
    assert peak < data_bytes / 4
    # The optimum: the gradient of the objective, summed block by block, is ~0 there.
    assert np.abs(model.coef_).max() > 0.05
    assert np.corrcoef(model.coef_.ravel(), w)[0, 1] > 0.99


# ------------------------------------------------------------------------------ partial_fit
def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def test_partial_fit_with_gd_is_one_gradient_step_per_piece():
    """Oracle: the closed-form gradient of the weighted mean BCE plus α/2·‖w‖², with α =
    1/(C·S) for the weight S of every row seen so far."""
    X, y = _data(n=300, d=3)
    codes = (y == "bee").astype(float)
    weights = np.random.default_rng(2).uniform(0.5, 2.0, len(X))
    model = LogisticRegression(solver="gd", lr=0.3, C=2.0)
    w, b, seen = np.zeros(3), 0.0, 0.0
    for piece in (slice(0, 100), slice(100, 250), slice(250, 300)):
        model.partial_fit(X[piece], y[piece], classes=["ant", "bee"],
                          sample_weight=weights[piece])
        s = weights[piece]
        seen += s.sum()
        alpha = 1 / (2.0 * seen)
        residual = s * (_sigmoid(X[piece] @ w + b) - codes[piece]) / s.sum()
        w, b = w - 0.3 * (X[piece].T @ residual + alpha * w), b - 0.3 * residual.sum()
        np.testing.assert_allclose(model.coef_.ravel(), w, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(model.intercept_, [b], rtol=1e-12, atol=1e-15)
    assert model.n_iter_ == 3 and len(model.history_) == 3
    assert model.classes_.tolist() == ["ant", "bee"]


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_partial_fit_keeps_the_optimizer_state_between_calls(solver):
    """Two full-batch partial_fit calls are fit's first two epochs (momentum/Adam moments
    carried over), with the lecture's l2 so that the penalty does not change with S."""
    X, y = _data(n=200, d=4, n_classes=3)
    stream = LogisticRegression(solver=solver, l2=0.01)
    stream.partial_fit(X, y, classes=np.unique(y))
    stream.partial_fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        whole = LogisticRegression(solver=solver, l2=0.01, max_iter=2, tol=0.0).fit(X, y)
    np.testing.assert_allclose(stream.coef_, whole.coef_, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(stream.intercept_, whole.intercept_, rtol=1e-12, atol=1e-15)


def test_partial_fit_in_mini_batches_approaches_the_exact_optimum(cancer):
    """Epochs over the same pieces: the lecture's l2 fixes the penalty (with C it would
    shrink as the weight seen grows, which suits a stream where each row comes once)."""
    X_train, X_test, y_train, y_test = cancer
    l2 = 1.0 / len(X_train)  # C=1
    exact = LogisticRegression(l2=l2).fit(X_train, y_train)
    stream = LogisticRegression(solver="adam", l2=l2, batch_size=32, random_state=0)
    pieces = np.array_split(np.arange(len(X_train)), 4)
    for _ in range(40):
        for piece in pieces:
            stream.partial_fit(X_train[piece], y_train[piece], classes=[0, 1])
    best = exact.objective(X_train, y_train).item()
    reached = stream.objective(X_train, y_train).item()
    assert best <= reached < 1.05 * best
    assert stream.score(X_test, y_test) >= exact.score(X_test, y_test) - 0.02


def test_partial_fit_on_a_memory_map(tmp_path):
    X, y = _data(n=300)
    memory = LogisticRegression(solver="sgd", batch_size=50, random_state=3)
    mapped = LogisticRegression(solver="sgd", batch_size=50, random_state=3)
    memory.partial_fit(X, y, classes=["ant", "bee"])
    mapped.partial_fit(_memmap(tmp_path, X), y, classes=["ant", "bee"])
    np.testing.assert_allclose(mapped.coef_, memory.coef_, rtol=1e-12, atol=1e-15)


def test_partial_fit_continues_from_fit():
    X, y = _data(n=200)
    model = LogisticRegression(solver="gd", lr=0.1, l2=0.0, max_iter=5, tol=0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
        six = LogisticRegression(solver="gd", lr=0.1, l2=0.0, max_iter=6, tol=0.0).fit(X, y)
    model.partial_fit(X, y)
    np.testing.assert_allclose(model.coef_, six.coef_, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("solver", ["auto", "newton", "lbfgs"])
def test_partial_fit_exists_only_for_the_mini_batch_solvers(solver):
    model = LogisticRegression(solver=solver)
    assert not hasattr(model, "partial_fit")
    with pytest.raises(AttributeError, match="partial_fit is available for solver in"):
        model.partial_fit(np.array([[0.0], [1.0]]), np.array([0, 1]), classes=[0, 1])
    assert hasattr(model.set_params(solver="adam"), "partial_fit")


@pytest.mark.parametrize("options, call, message", [
    ({"solver": "sgd"}, {}, "classes must be passed on the first call"),
    ({"solver": "sgd"}, {"classes": [0]}, "at least 2 classes"),
    ({"solver": "sgd"}, {"classes": [0, 2]}, "label 1, which is not one of the classes"),
    ({"solver": "sgd", "class_weight": "balanced"}, {"classes": [0, 1]}, "'balanced'"),
])
def test_partial_fit_errors(options, call, message):
    X, y = np.array([[0.0], [1.0]]), np.array([0, 1])
    with pytest.raises(ValueError, match=message):
        LogisticRegression(**options).partial_fit(X, y, **call)


def test_partial_fit_later_calls_must_agree_with_the_first():
    X, y = np.array([[0.0], [1.0]]), np.array([0, 1])
    model = LogisticRegression(solver="sgd").partial_fit(X, y, classes=[0, 1])
    with pytest.raises(ValueError, match="not the same as on the previous call"):
        model.partial_fit(X, y, classes=[0, 1, 2])
    with pytest.raises(ValueError, match="expecting 1 features"):
        model.partial_fit(np.ones((2, 3)), y)
    before = model.coef_.copy()
    X_copy = X.copy()
    model.partial_fit(X, y)
    assert not np.array_equal(model.coef_, before)
    np.testing.assert_array_equal(X, X_copy)
