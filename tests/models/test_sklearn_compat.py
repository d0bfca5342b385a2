"""scikit-learn interoperability: its own estimator checks, clone, Pipeline, cross-validation
and grid search (skipped without scikit-learn)."""

import warnings

import numpy as np
import pytest

from tinygrad_lr.models import (
    ConvergenceWarning,
    DataConversionWarning,
    LogisticRegression,
    NotFittedError,
    StandardScaler,
)

sklearn = pytest.importorskip("sklearn")
from sklearn.base import clone  # noqa: E402
from sklearn.exceptions import ConvergenceWarning as SklearnConvergenceWarning  # noqa: E402
from sklearn.exceptions import NotFittedError as SklearnNotFittedError  # noqa: E402
from sklearn.model_selection import GridSearchCV, cross_val_score  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler as SklearnScaler  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

from tinygrad_lr.datasets import load_breast_cancer  # noqa: E402


@pytest.fixture(autouse=True, scope="module")
def one_blas_thread():
    """One BLAS thread: these fits are small, and on a shared 2-core machine threaded BLAS
    made them 10-30x slower (threads waiting for each other), not faster."""
    from threadpoolctl import threadpool_limits  # a dependency of scikit-learn

    with threadpool_limits(limits=1, user_api="blas"):
        yield

# Every solver path, with few epochs for the teaching solvers: the checks test the interface,
# and the check data are not standardized, so gd/adam would only spend time hitting max_iter.
ESTIMATORS = [
    LogisticRegression(),
    LogisticRegression(l1_ratio=0.0, C=10.0),  # scikit-learn 1.8's spelling of the L2 penalty
    LogisticRegression(C=np.inf, max_iter=30),  # and of no penalty
    LogisticRegression(solver="lbfgs"),
    LogisticRegression(solver="gd", max_iter=100),
    LogisticRegression(solver="adam", batch_size=8, max_iter=30, random_state=0),
    StandardScaler(),
]

WEIGHT_EQUIVALENCE = "check_sample_weight_equivalence_on_dense_data"


def expected_failures(estimator) -> dict:
    """The one check three configurations cannot pass, with the reason (scikit-learn marks
    the same check as an expected failure for its own LogisticRegression, every solver)."""
    if getattr(estimator, "solver", None) == "lbfgs":
        return {WEIGHT_EQUIVALENCE: "L-BFGS stops where J no longer decreases in float64; "
                                    "on this unregularised-looking 15x30 problem that leaves "
                                    "3e-8 between weighted and repeated fits (rtol 1e-7)"}
    if getattr(estimator, "C", 1.0) == np.inf:
        return {WEIGHT_EQUIVALENCE: "without a penalty the check's separable data have no "
                                    "optimum: the weights grow until max_iter, so weighted "
                                    "and repeated fits stop at different points"}
    if getattr(estimator, "batch_size", None):
        return {WEIGHT_EQUIVALENCE: "mini-batches drawn from repeated rows differ from those "
                                    "drawn from weighted rows, so the stochastic paths differ"}
    return {}


NOT_INHERITING = ".*does not inherit from"
"""scikit-learn warns that our classes do not inherit its BaseEstimator: deliberate, since
scikit-learn is an optional dependency."""

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message=NOT_INHERITING)
    CHECKS = parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failures)


@CHECKS
def test_sklearn_estimator_checks(estimator, check):
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=NOT_INHERITING)
        warnings.simplefilter("ignore", ConvergenceWarning)
        check(estimator)


@pytest.fixture(scope="module")
def cancer():
    X, y, _ = load_breast_cancer()
    return X, y


def test_clone_copies_hyperparameters_not_fitted_state(cancer):
    X, y = cancer
    model = LogisticRegression(solver="newton", l2=0.05).fit(StandardScaler().fit_transform(X), y)
    copy = clone(model)
    assert copy.get_params() == model.get_params()
    assert not hasattr(copy, "coef_")


def test_pipeline_and_cross_validation(cancer):
    X, y = cancer
    pipeline = make_pipeline(SklearnScaler(), LogisticRegression(solver="newton"))
    scores = cross_val_score(pipeline, X, y, cv=5)
    assert scores.shape == (5,) and scores.mean() > 0.95
    ours = make_pipeline(StandardScaler(), LogisticRegression(solver="newton")).fit(X, y)
    theirs = make_pipeline(SklearnScaler(), LogisticRegression(solver="newton")).fit(X, y)
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), atol=1e-10)


def test_grid_search_over_solver_and_l2(cancer):
    X, y = cancer
    grid = GridSearchCV(
        make_pipeline(StandardScaler(), LogisticRegression()),
        {"logisticregression__solver": ["gd", "newton"],
         "logisticregression__l2": [1e-2, 1e-1]},
        cv=3,
    ).fit(X, y)
    assert set(grid.best_params_) == {"logisticregression__solver", "logisticregression__l2"}
    assert grid.best_score_ > 0.95
    assert grid.predict(X[:5]).shape == (5,)


def test_errors_and_warnings_are_also_sklearn_classes():
    with pytest.raises(SklearnNotFittedError):
        LogisticRegression().predict([[1.0]])
    with pytest.raises(NotFittedError):
        LogisticRegression().predict([[1.0]])
    with pytest.warns(SklearnConvergenceWarning):
        LogisticRegression(max_iter=1).fit([[0.0], [1.0]], [0, 1])
    with pytest.warns(sklearn.exceptions.DataConversionWarning):
        LogisticRegression(solver="newton").fit([[0.0], [1.0]], [[0], [1]])
    with pytest.warns(DataConversionWarning):
        LogisticRegression(solver="newton").fit([[0.0], [1.0]], [[0], [1]])


def test_grid_search_over_C_on_iris_agrees_with_sklearn():
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression as SklearnLogisticRegression

    X, y = load_iris(return_X_y=True)
    grid = {"logisticregression__C": [0.01, 0.1, 1.0, 10.0]}
    ours = GridSearchCV(make_pipeline(SklearnScaler(), LogisticRegression()), grid, cv=3)
    theirs = GridSearchCV(make_pipeline(SklearnScaler(), SklearnLogisticRegression(
        solver="newton-cholesky", tol=1e-10)), grid, cv=3)
    ours.fit(X, y)
    theirs.fit(X, y)
    assert ours.best_params_ == theirs.best_params_
    np.testing.assert_allclose(ours.cv_results_["mean_test_score"],
                               theirs.cv_results_["mean_test_score"], atol=1e-12)
    assert ours.predict_proba(X).shape == (150, 3)
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), atol=1e-6)


# ---------------------------------------------------------- scikit-learn 1.8+ conventions
def test_the_parameters_are_sklearns_current_ones():
    """Every parameter of scikit-learn's LogisticRegression that this model implements has
    its name and default here; the others (dual, intercept_scaling, n_jobs) are liblinear's
    and joblib's."""
    import inspect

    from sklearn.linear_model import LogisticRegression as SklearnLogisticRegression

    theirs = inspect.signature(SklearnLogisticRegression).parameters
    ours = inspect.signature(LogisticRegression).parameters
    for name in ("penalty", "C", "l1_ratio", "tol", "fit_intercept", "class_weight",
                 "random_state", "verbose", "warm_start"):
        assert ours[name].default == theirs[name].default, name
    # documented differences: the solver and the iteration budget
    assert (ours["solver"].default, theirs["solver"].default) == ("auto", "lbfgs")
    assert (ours["max_iter"].default, theirs["max_iter"].default) == (None, 100)


def test_penalty_warns_as_sklearn_and_means_l1_ratio_0_or_no_penalty(cancer):
    X, y = cancer
    X = StandardScaler().fit_transform(X)
    for penalty, same in (("l2", {"l1_ratio": 0.0}), (None, {"C": np.inf})):
        with pytest.warns(FutureWarning, match="'penalty' was deprecated") as caught:
            old = LogisticRegression(penalty=penalty, solver="newton", max_iter=30)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                old.fit(X[:, :4], y)
        assert "use 'l1_ratio' or 'C' instead" in str(caught[0].message)
        new = LogisticRegression(solver="newton", max_iter=30, **same)
        with warnings.catch_warnings():
            warnings.simplefilter("error", FutureWarning)  # the new spelling never warns
            warnings.simplefilter("ignore", ConvergenceWarning)
            new.fit(X[:, :4], y)
        np.testing.assert_array_equal(old.coef_, new.coef_)


@pytest.mark.parametrize("params, message", [
    ({"l1_ratio": 1.0}, r"l1_ratio=1.0 asks for an L1 part in the penalty, which no solver "
                        r"here handles"),
    ({"l1_ratio": 0.5, "solver": "gd"}, r"l1_ratio=0.5 asks for an L1 part .*solver='gd'"),
    ({"l1_ratio": 1.5}, r"l1_ratio must be between 0 and 1, got 1.5"),
    ({"l1_ratio": -0.1}, r"l1_ratio must be a finite number >= 0, got -0.1"),
    ({"l1_ratio": "0"}, r"l1_ratio must be a finite number >= 0, got '0'"),
    ({"penalty": "elasticnet"}, r"got 'elasticnet' \(no solver here handles an L1 part"),
])
def test_an_l1_part_is_a_clear_error(params, message):
    with pytest.raises(ValueError, match=message):
        LogisticRegression(**params).fit([[0.0], [1.0]], [0, 1])


def test_partial_fit_is_a_method_that_exists_only_for_streaming_solvers():
    assert callable(LogisticRegression.__dict__["partial_fit"])  # a method, not a property
    assert LogisticRegression.partial_fit.__doc__.startswith("One epoch")
    for solver in ("auto", "newton", "lbfgs"):
        model = LogisticRegression(solver=solver)
        assert not hasattr(model, "partial_fit"), solver
        with pytest.raises(AttributeError, match=f"not solver='{solver}'"):
            model.partial_fit([[0.0], [1.0]], [0, 1], classes=[0, 1])
    model = LogisticRegression(solver="sgd", batch_size=1, random_state=0)
    assert hasattr(model, "partial_fit")
    assert model.partial_fit([[0.0], [1.0]], [0, 1], classes=[0, 1]) is model
    model.partial_fit([[0.0], [1.0]], [0, 1])
    assert model.n_iter_.tolist() == [2] and model.n_iter_.dtype == np.int32
