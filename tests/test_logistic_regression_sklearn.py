"""LogisticRegression against scikit-learn's on the embedded data (skipped without it)."""

import numpy as np
import pytest

from tinygrad_lr.models import LogisticRegression

sklearn_linear = pytest.importorskip("sklearn.linear_model")




def sklearn_reference(X, y, l2):
    """scikit-learn's lbfgs on the same objective: C = 1 / (l2 · n_samples), tight tol."""
    return sklearn_linear.LogisticRegression(C=1 / (l2 * len(y)), tol=1e-12,
                                             max_iter=10_000).fit(X, y)


@pytest.mark.parametrize("l2", [1e-3, 1e-2, 0.1])
def test_newton_matches_lbfgs_within_1e_4_in_at_most_15_steps(cancer, l2):
    X, _, y, _ = cancer
    ours = LogisticRegression(solver="newton", l2=l2).fit(X, y)  # default tol
    theirs = sklearn_reference(X, y, l2)
    assert ours.n_iter_ <= 15
    np.testing.assert_allclose(ours.coef_, theirs.coef_, rtol=1e-4,
                               atol=1e-4 * np.abs(theirs.coef_).max())
    np.testing.assert_allclose(ours.intercept_, theirs.intercept_, rtol=1e-4)
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), atol=1e-6)


@pytest.mark.parametrize("solver", ["gd", "sgd", "adam", "newton"])
def test_test_accuracy_within_one_point_of_sklearn(cancer, solver):
    X, X_test, y, y_test = cancer
    ours = LogisticRegression(solver=solver).fit(X, y)  # default l2 and lr
    theirs = sklearn_reference(X, y, ours.l2)
    assert abs(ours.score(X_test, y_test) - theirs.score(X_test, y_test)) <= 0.01 + 1e-12
