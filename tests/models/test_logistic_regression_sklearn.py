"""LogisticRegression against scikit-learn's (skipped without it): the same defaults reach the
same optimum, binary and multinomial, with sample weights, class weights, no intercept, no
penalty.

The oracle is scikit-learn's ``newton-cholesky`` solver at tol 1e-10, i.e. its optimum.
scikit-learn's *default* lbfgs (tol 1e-4) stops short of that optimum on every dataset
here, by 1e-4 (iris 0 vs rest) to 1e-2 (digits) in probability; the tests assert that our
default differs from scikit-learn's default by no more than scikit-learn's own shortfall.
"""

import numpy as np
import pytest

from tinygrad_lr.models import LogisticRegression

sklearn_linear = pytest.importorskip("sklearn.linear_model")
from sklearn import datasets  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402


@pytest.fixture(autouse=True, scope="module")
def one_blas_thread():
    """One BLAS thread: these fits are small, and on a shared 2-core machine threaded BLAS
    made them 10-30x slower (threads waiting for each other), not faster."""
    from threadpoolctl import threadpool_limits  # a dependency of scikit-learn

    with threadpool_limits(limits=1, user_api="blas"):
        yield


def standardized(X):
    return StandardScaler().fit_transform(X)


def load(name):
    if name == "breast cancer":
        data = datasets.load_breast_cancer()
        return standardized(data.data), data.target
    if name.startswith("digits"):
        data = datasets.load_digits()
        y = (data.target < 5).astype(int) if name == "digits < 5" else data.target
        return standardized(data.data), y
    if name.startswith("iris"):
        data = datasets.load_iris()
        y = (data.target == 0).astype(int) if name == "iris 0 vs rest" else data.target
        return standardized(data.data), y
    X, y = datasets.make_classification(2000, 20, random_state=0)
    return X, y


def sklearn_optimum(X, y, **params):
    """scikit-learn's optimum: its Newton solver run to tol 1e-10."""
    return sklearn_linear.LogisticRegression(solver="newton-cholesky", tol=1e-10,
                                             max_iter=1000, **params).fit(X, y)


BINARY = ["breast cancer", "digits < 5", "iris 0 vs rest", "make_classification"]
MULTICLASS = ["iris", "digits"]


@pytest.mark.parametrize("name", BINARY + MULTICLASS)
def test_defaults_reach_sklearns_optimum(name):
    X, y = load(name)
    ours = LogisticRegression().fit(X, y)
    optimum = sklearn_optimum(X, y)
    proba = ours.predict_proba(X)
    assert np.abs(proba - optimum.predict_proba(X)).max() < 1e-6
    K = len(np.unique(y))
    assert ours.coef_.shape == optimum.coef_.shape == ((1, X.shape[1]) if K == 2
                                                      else (K, X.shape[1]))
    assert ours.intercept_.shape == optimum.intercept_.shape
    # n_iter_ as scikit-learn shapes it: one count, an int32 array of shape (1,)
    assert ours.n_iter_.shape == optimum.n_iter_.shape == (1,)
    assert ours.n_iter_.dtype == optimum.n_iter_.dtype
    np.testing.assert_allclose(ours.coef_, optimum.coef_, rtol=0,
                               atol=1e-5 * np.abs(optimum.coef_).max())
    # scikit-learn's default stops early; ours is no further from it than its own optimum.
    default = sklearn_linear.LogisticRegression().fit(X, y).predict_proba(X)
    shortfall = np.abs(default - optimum.predict_proba(X)).max()
    assert np.abs(proba - default).max() <= shortfall + 1e-6
    np.testing.assert_array_equal(ours.predict(X), optimum.predict(X))


def test_l2_is_the_lecture_lambda_for_C():
    X, y = load("breast cancer")
    by_C = LogisticRegression(C=0.3).fit(X, y)
    by_l2 = LogisticRegression(l2=1 / (0.3 * len(y))).fit(X, y)
    np.testing.assert_allclose(by_l2.coef_, by_C.coef_, rtol=1e-9)
    np.testing.assert_allclose(by_C.predict_proba(X), sklearn_optimum(X, y, C=0.3)
                               .predict_proba(X), atol=1e-8)


@pytest.mark.parametrize("name", ["breast cancer", "iris"])
def test_sample_and_class_weights_match_sklearn(name):
    X, y = load(name)
    weights = np.random.default_rng(0).integers(0, 4, len(y)).astype(float)
    class_weight = {int(c): 1.0 + i for i, c in enumerate(np.unique(y))}
    for params in ({}, {"class_weight": "balanced"}, {"class_weight": class_weight}):
        ours = LogisticRegression(**params).fit(X, y, sample_weight=weights)
        theirs = sklearn_optimum(X, y, **params).fit(X, y, sample_weight=weights)
        assert np.abs(ours.predict_proba(X) - theirs.predict_proba(X)).max() < 1e-6, params
        assert ours.score(X, y, sample_weight=weights) == pytest.approx(
            theirs.score(X, y, sample_weight=weights), abs=1e-12)


@pytest.mark.parametrize("name", ["breast cancer", "iris"])
def test_no_intercept_and_no_penalty_match_sklearn(name):
    X, y = load(name)
    ours = LogisticRegression(fit_intercept=False).fit(X, y)
    theirs = sklearn_optimum(X, y, fit_intercept=False)
    assert np.abs(ours.predict_proba(X) - theirs.predict_proba(X)).max() < 1e-6
    np.testing.assert_array_equal(ours.intercept_, np.zeros_like(theirs.intercept_))
    # Without a penalty the data must not be separable; noise on iris and a subset of
    # breast cancer's features keep an optimum.
    X = X[:, :3] + np.random.default_rng(1).normal(scale=0.5, size=(len(X), 3))
    theirs = sklearn_optimum(X, y, C=np.inf)
    for ours in (LogisticRegression(C=np.inf), LogisticRegression(C=np.inf, l1_ratio=0.0),
                 LogisticRegression(C=np.inf, l1_ratio=1.0)):  # no penalty: no L1 part
        ours.fit(X, y)
        assert np.abs(ours.predict_proba(X) - theirs.predict_proba(X)).max() < 1e-6
    with pytest.warns(FutureWarning, match="C=np.inf instead of penalty=None"):
        ours = LogisticRegression(penalty=None).fit(X, y)  # deprecated, as scikit-learn's
    assert np.abs(ours.predict_proba(X) - theirs.predict_proba(X)).max() < 1e-6


def test_lbfgs_for_many_parameters_and_newton_without_scipy(monkeypatch):
    from tinygrad_lr.models import solvers

    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 1200))  # 1201 parameters: more than Newton's limit of 1000
    y = (X[:, :5].sum(axis=1) + rng.normal(size=300) > 0).astype(int)
    ours = LogisticRegression().fit(X, y)
    assert ours.solver_ == "lbfgs"
    theirs = sklearn_optimum(X, y)
    assert np.abs(ours.predict_proba(X) - theirs.predict_proba(X)).max() < 1e-6
    monkeypatch.setattr(solvers, "scipy_available", lambda: False)
    assert LogisticRegression().fit(X[:, :40], y).solver_ == "newton"


def test_multiclass_teaching_solver_approaches_the_optimum():
    X, y = load("iris")
    optimum = sklearn_optimum(X, y, C=1 / (0.01 * len(y)))
    model = LogisticRegression(solver="gd", l2=0.01, max_iter=3000).fit(X, y)
    assert model.n_iter_ < 3000  # stopped on max|∇J| <= tol = 1e-4
    assert np.abs(model.predict_proba(X) - optimum.predict_proba(X)).max() < 5e-3
