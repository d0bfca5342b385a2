"""The training core: the penalty rule, the solver choice, and the lecture's first-order
loop checked against the same steps written out in numpy (w := w − lr·dw, b := b − lr·db)."""

import warnings

import numpy as np
import pytest

from tinygrad_lr.models import ConvergenceWarning
from tinygrad_lr.models.sources import array_source, stream_source
from tinygrad_lr.models.training import (
    AUTO_NEWTON_MAX_PARAMETERS,
    StreamState,
    TrainingSettings,
    fitted_attributes,
    resolve_solver,
    stream_epoch,
    train,
)


def _data(n=120, d=3, seed=1):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = (X @ rng.normal(size=d) + 0.5 * rng.normal(size=n) > 0).astype(int)
    return X, y


def _numpy_gd(X, y, lr, epochs, alpha=0.0):
    """The lecture's gradient descent, by hand."""
    w, b = np.zeros(X.shape[1]), 0.0
    for _ in range(epochs):
        A = 1 / (1 + np.exp(-(X @ w + b)))
        dZ = A - y
        w, b = w - lr * (X.T @ dZ / len(X) + alpha * w), b - lr * dZ.mean()
    return w, b


def _settings(**options):
    base = {"solver": "gd", "tol": 0.0, "max_iter": 7, "batch_size": None,
            "fit_intercept": True, "lr": 0.3}
    return TrainingSettings(**{**base, **options})


def test_penalty_strength_follows_C_or_l2():
    assert _settings(C=4.0).alpha(50.0) == pytest.approx(1 / (4.0 * 50.0))
    assert _settings(C=4.0, l2=0.2).alpha(50.0) == 0.2
    assert _settings(C=np.inf).alpha(50.0) == 0.0
    assert _settings(penalized=False).alpha(50.0) == 0.0


def test_auto_picks_newton_for_few_parameters_and_keeps_an_explicit_solver():
    assert resolve_solver("auto", 3, 10, True) == "newton"
    assert resolve_solver("adam", 3, 10, True) == "adam"
    many = AUTO_NEWTON_MAX_PARAMETERS  # one logit, as many features: over the limit
    pytest.importorskip("scipy")
    assert resolve_solver("auto", 2, many, True) == "lbfgs"


@pytest.mark.parametrize("C", [np.inf, 0.5])
def test_full_batch_gd_takes_the_lecture_steps(C):
    X, y = _data()
    settings = _settings(C=C)
    with pytest.warns(ConvergenceWarning, match="did not converge in max_iter=7 epochs"):
        trained = train(array_source(X, y), settings)
    w, b = _numpy_gd(X, y, lr=0.3, epochs=7, alpha=settings.alpha(len(X)))
    np.testing.assert_allclose(trained.coef, [w], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(trained.intercept, [b], rtol=1e-12, atol=1e-14)
    assert len(trained.history) == 7 and trained.solver == "gd"


def test_each_stream_epoch_continues_the_previous_one():
    """Two full-batch partial epochs are the lecture's first two gd steps."""
    X, y = _data()
    settings = _settings(C=np.inf)
    state = StreamState(settings, "gd", np.zeros(4))
    source = stream_source(X, y, classes=[0, 1])
    first = stream_epoch(state, source, settings)
    second = stream_epoch(state, source, settings)
    w, b = _numpy_gd(X, y, lr=0.3, epochs=2)
    np.testing.assert_allclose(second.coef, [w], rtol=1e-12)
    np.testing.assert_allclose(second.intercept, [b], rtol=1e-12, atol=1e-15)
    assert first.history[0] == pytest.approx(np.log(2))  # J at θ = 0, before the first step
    assert state.weight_seen == 2 * len(X)


def test_newton_reaches_a_zero_gradient_and_fitted_attributes_are_sklearns():
    X, y = _data()
    source = array_source(X, y)
    settings = _settings(solver="newton", tol=1e-10, max_iter=None, lr=None)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # converges: no warning
        trained = train(source, settings)
    evaluate = source.evaluator(alpha=settings.alpha(len(X)), fit_intercept=True)
    theta = np.append(trained.coef[0], trained.intercept)
    assert np.abs(evaluate(theta, False)[1]).max() < 1e-10
    attributes = fitted_attributes(source, trained, trained.history)
    assert attributes["n_iter_"].dtype == np.int32 and attributes["n_iter_"].shape == (1,)
    assert attributes["n_iter_"][0] == len(trained.history)
    assert attributes["feature_names_in_"] is None and attributes["n_features_in_"] == 3


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # numpy's overflow, on the way there
def test_a_diverging_first_order_fit_says_so():
    X, y = _data()
    with pytest.raises(FloatingPointError, match="training diverged in epoch"):
        train(array_source(X * 1e200, y), _settings(lr=1e300))
