"""The block objective (models.objective) and the exact solvers (models.solvers): sums over
blocks against the engine's full Hessian (tg.hessian), finite differences and numpy closed
forms; Newton and L-BFGS driven only through evaluate()."""

import numpy as np
import pytest

import tinygrad_lr as tg
from tinygrad_lr.models import objective as O
from tinygrad_lr.models import solvers
from tinygrad_lr.models.training import flat_directions


def problem(K, fit_intercept=True, seed=0, n=25, d=3):
    rng = np.random.default_rng(seed)
    X, y, s = rng.normal(size=(n, d)), rng.integers(0, K, n), rng.uniform(0.2, 2.0, n)
    theta = rng.normal(size=O.n_outputs(K) * (d + fit_intercept))
    return X, y, s, theta


def numpy_objective(theta, X, y, s, K, alpha, fit_intercept):
    """J written independently of the engine."""
    coef, intercept = O.unpack(theta, K, X.shape[1], fit_intercept)
    Z = X @ coef.T + intercept
    if K == 2:
        losses = np.logaddexp(0, Z[:, 0]) - y * Z[:, 0]
    else:
        top = Z.max(axis=1, keepdims=True)
        log_sum = np.log(np.exp(Z - top).sum(axis=1)) + top[:, 0]
        losses = log_sum - Z[np.arange(len(y)), y]
    return (s @ losses) / s.sum() + alpha / 2 * np.sum(coef ** 2)


@pytest.mark.parametrize("K", [2, 3, 4])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_block_sums_equal_the_engines_full_hessian_and_finite_differences(K, fit_intercept):
    X, y, s, theta = problem(K, fit_intercept)
    evaluate = O.in_memory(X, y, s, n_classes=K, alpha=0.3, fit_intercept=fit_intercept,
                           chunk_rows=7)  # four blocks summed
    loss, gradient, hessian = evaluate(theta, True)
    assert loss == pytest.approx(numpy_objective(theta, X, y, s, K, 0.3, fit_intercept),
                                 rel=1e-13)
    eps = 1e-6
    for i in range(len(theta)):
        e = np.eye(len(theta))[i] * eps
        finite = (evaluate(theta + e)[0] - evaluate(theta - e)[0]) / (2 * eps)
        assert gradient[i] == pytest.approx(finite, abs=1e-8)

    def engine_objective(t):
        Z = O.logits(t, tg.Tensor(X), K, fit_intercept)
        mask = tg.Tensor(O.penalty_mask(K, X.shape[1], fit_intercept))
        return O.weighted_loss_sum(Z, y, s, K) / s.sum() + 0.15 * ((t * mask) ** 2).sum()

    np.testing.assert_allclose(hessian, tg.hessian(engine_objective, tg.Tensor(theta)).data,
                               rtol=1e-12, atol=1e-14)


def test_blocks_add_up_to_one_block_and_weights_count_as_repeats():
    X, y, s, theta = problem(3)
    whole = O.block_sums(theta, X, y, s, n_classes=3, need_hessian=True)
    parts = sum(O.block_sums(theta, X[i:i + 10], y[i:i + 10], s[i:i + 10], n_classes=3,
                             need_hessian=True) for i in range(0, len(X), 10))
    assert parts.loss == pytest.approx(whole.loss, rel=1e-13)
    np.testing.assert_allclose(parts.gradient, whole.gradient, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(parts.hessian, whole.hessian, rtol=1e-12, atol=1e-14)
    assert parts.weight == pytest.approx(s.sum())
    counts = np.array([2, 0, 1] * 8 + [1])
    weighted = O.block_sums(theta, X, y, counts, n_classes=3)
    repeated = O.block_sums(theta, X.repeat(counts, axis=0), y.repeat(counts), None, n_classes=3)
    assert weighted.loss == pytest.approx(repeated.loss, rel=1e-13)
    np.testing.assert_allclose(weighted.gradient, repeated.gradient, rtol=1e-12)
    assert weighted.weight == repeated.weight == counts.sum()


def test_penalty_leaves_the_intercepts_alone_and_zero_weights_are_refused():
    theta = np.array([1.0, 2.0, 5.0])  # w1, w2, b
    sums = O.BlockSums(4.0, np.zeros(3), np.zeros((3, 3)), 2.0)
    loss, gradient, hessian = O.penalized(sums, theta, alpha=0.5, n_classes=2, n_features=2)
    assert loss == pytest.approx(2.0 + 0.25 * 5)
    assert gradient.tolist() == [0.5, 1.0, 0.0]
    assert np.diag(hessian).tolist() == [0.5, 0.5, 0.0]
    with pytest.raises(ValueError, match="sample weights sum to 0.0"):
        O.penalized(O.BlockSums(0.0, np.zeros(3), None, 0.0), theta, alpha=0.5, n_classes=2,
                    n_features=2)
    assert O.pack(*O.unpack(np.arange(8.0), 4, 1)).tolist() == list(range(8))


def test_newton_and_lbfgs_find_the_same_optimum_through_evaluate():
    X, y, s, _ = problem(3, n=60)
    evaluate = O.in_memory(X, y, s, n_classes=3, alpha=0.05)
    start = np.zeros(12)
    by_newton = solvers.newton(evaluate, start, tol=1e-8, max_iter=50,
                               flat_directions=flat_directions(3, 3))
    by_lbfgs = solvers.lbfgs(evaluate, start, tol=1e-4, max_iter=500)
    assert by_newton.converged and by_lbfgs.converged and by_newton.n_iter <= 10
    assert np.abs(evaluate(by_newton.theta)[1]).max() < 1e-10
    coef, intercept = O.unpack(by_newton.theta, 3, 3)
    assert abs(intercept.sum()) < 1e-12  # steps stay off the flat direction
    np.testing.assert_allclose(by_lbfgs.theta, by_newton.theta, atol=1e-6)
    assert all(b <= a + 1e-15 for a, b in zip(by_newton.history, by_newton.history[1:]))


def test_solver_failures_are_reported():
    evaluate = lambda t, h: (float(np.nan), np.ones(1), np.eye(1) if h else None)  # noqa: E731
    with pytest.raises(FloatingPointError, match="objective became nan at step 0"):
        solvers.newton(evaluate, np.zeros(1), tol=1e-4, max_iter=5)
    quadratic = lambda t, h: (float(t @ t), 2 * t, 2 * np.eye(1) if h else None)  # noqa: E731
    result = solvers.newton(quadratic, np.ones(1), tol=0.0, max_iter=3)
    assert result.theta.tolist() == [0.0] and result.converged  # zero gradient: done


@pytest.mark.parametrize("change, message", [
    ({"theta": np.zeros(3)}, r"theta must have shape \(4,\) for 2 classes, 3 features"),
    ({"X_block": np.zeros(5)}, r"X_block must be 2-D"),
    ({"y_block": np.array([0, 1, 2, 0, 1])}, r"5 integer class codes in \[0, 2\)"),
    ({"y_block": np.full(5, 0.5)}, r"dtype float64"),
    ({"sample_weight_block": np.ones(4)}, r"sample_weight_block must have shape \(5,\)"),
])
def test_a_block_that_does_not_fit_is_named(change, message):
    block = {"theta": np.zeros(4), "X_block": np.zeros((5, 3)), "y_block": np.zeros(5, int),
             "sample_weight_block": None}
    block.update(change)
    with pytest.raises(ValueError, match=message):
        O.block_sums(block["theta"], block["X_block"], block["y_block"],
                     block["sample_weight_block"], n_classes=2)


def test_lbfgs_without_scipy_says_what_to_install(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "scipy.optimize", None)  # makes the import fail
    assert not solvers.scipy_available()
    quadratic = lambda t, h: (float(t @ t), 2 * t, None)  # noqa: E731
    with pytest.raises(ImportError, match=r"solver='lbfgs' needs scipy: pip install "
                                          r"\"tinygrad-lr\[scipy\]\""):
        solvers.lbfgs(quadratic, np.ones(2), tol=1e-4, max_iter=10)
