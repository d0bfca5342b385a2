"""LogisticRegression: optimum and updates against closed forms (numpy), labels, probabilities,
bad input and hyper-parameters. Comparisons with scikit-learn are in
tests/models/test_logistic_regression_sklearn.py; scikit-learn's own estimator checks in
test_sklearn_compat.py."""

import subprocess
import sys
import warnings

import numpy as np
import pytest

from tinygrad_lr.models import (
    ConvergenceWarning,
    LogisticRegression,
    NotFittedError,
)


def numpy_objective(X, y, w, b, l2):
    """J(w, b) = mean BCE + l2/2 ||w||², written independently of the engine."""
    z = X @ w + b
    return np.mean(np.logaddexp(0, z) - y * z) + l2 / 2 * w @ w


def numpy_gradient(X, y, w, b, l2):
    a = 1 / (1 + np.exp(-(X @ w + b)))
    return X.T @ (a - y) / len(y) + l2 * w, np.mean(a - y)


def small_problem(seed=0, n=60, d=3):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = (X @ rng.normal(size=d) + 0.5 * rng.normal(size=n) > 0).astype(int)
    return X, y


def test_newton_reaches_the_stationary_point(cancer):
    X, _, y, _ = cancer
    model = LogisticRegression(solver="newton", l2=1e-3, tol=1e-10).fit(X, y)
    assert model.n_iter_ <= 15
    dw, db = numpy_gradient(X, y, model.coef_[0], model.intercept_[0], 1e-3)
    assert np.abs(dw).max() < 1e-9 and abs(db) < 1e-9
    assert model.history_[-1] == pytest.approx(
        numpy_objective(X, y, model.coef_[0], model.intercept_[0], 1e-3), rel=1e-12)
    # Non-increasing up to rounding: at the optimum the objective may move by an ulp.
    assert all(b <= a + 4 * np.spacing(a) for a, b in zip(model.history_, model.history_[1:]))


@pytest.mark.parametrize("solver, batch_size", [
    ("gd", None), ("sgd", None), ("adam", None), ("gd", 64), ("sgd", 32), ("adam", 32)])
def test_first_order_solvers_approach_the_optimum(cancer, solver, batch_size):
    X, X_test, y, y_test = cancer
    # The lecture's λ = 0.01 (C ≈ 0.22 here): the teaching solvers' defaults converge there.
    optimum = LogisticRegression(solver="newton", l2=1e-2, tol=1e-10).fit(X, y)
    model = LogisticRegression(solver=solver, l2=1e-2, batch_size=batch_size, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)  # defaults converge
        model.fit(X, y)
    assert model.history_[-1] == pytest.approx(optimum.history_[-1], abs=2e-3)
    assert abs(model.score(X_test, y_test) - optimum.score(X_test, y_test)) <= 0.01 + 1e-12
    if batch_size is None:  # full batch: stops on the gradient
        dw, db = numpy_gradient(X, y, model.coef_[0], model.intercept_[0], model.l2)
        assert max(np.abs(dw).max(), abs(db)) <= model.tol


def test_first_gradient_step_is_the_lecture_update():
    X, y = small_problem()
    lr = 0.3
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = LogisticRegression(solver="gd", lr=lr, max_iter=1, l2=0.7).fit(X, y)
    # From w = 0, b = 0: a = 1/2 everywhere, dw = Xᵀ(a − y)/m, db = mean(a − y).
    np.testing.assert_allclose(model.coef_[0], -lr * X.T @ (0.5 - y) / len(y), rtol=1e-13)
    assert model.intercept_[0] == pytest.approx(-lr * np.mean(0.5 - y), rel=1e-13)
    assert model.n_iter_ == 1 and len(model.history_) == 1
    assert model.history_[0] == pytest.approx(
        numpy_objective(X, y, model.coef_[0], model.intercept_[0], 0.7), rel=1e-13)


def test_history_callback_and_verbose_agree(capsys):
    X, y = small_problem()
    seen = []
    model = LogisticRegression(verbose=1).fit(X, y, callback=lambda e, loss: seen.append((e, loss)))
    (n_iter,) = model.n_iter_  # scikit-learn's shape (1,)
    assert [e for e, _ in seen] == list(range(1, n_iter + 1))
    assert [loss for _, loss in seen] == model.history_
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == n_iter and lines[-1].startswith(f"epoch {n_iter}: loss")


def test_predictions_probabilities_and_score():
    X, y = small_problem()
    model = LogisticRegression(solver="newton").fit(X, y)
    z = X @ model.coef_[0] + model.intercept_[0]
    np.testing.assert_allclose(model.decision_function(X), z, rtol=1e-14)
    proba = model.predict_proba(X)
    assert proba.shape == (len(X), 2)
    np.testing.assert_allclose(proba[:, 1], 1 / (1 + np.exp(-z)), rtol=1e-14)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-15)
    np.testing.assert_allclose(model.predict_log_proba(X), np.log(proba), rtol=1e-12)
    np.testing.assert_array_equal(model.predict(X), (z > 0).astype(int))
    assert model.score(X, y) == np.mean((z > 0) == y)
    assert model.coef_.shape == (1, 3) and model.intercept_.shape == (1,)
    assert model.n_features_in_ == 3


def test_probabilities_stay_finite_for_huge_logits():
    model = LogisticRegression(solver="newton").fit([[0.0], [1.0]], [0, 1])
    proba = model.predict_proba([[1e6], [-1e6]])
    np.testing.assert_allclose(proba, [[0.0, 1.0], [1.0, 0.0]], rtol=0, atol=1e-300)
    assert np.isfinite(model.predict_log_proba([[1e6]])).all()


@pytest.mark.parametrize("labels", [
    ["benign", "malignant"], [-1, 1], [False, True], [0.0, 1.0], [3, 7]])
def test_any_two_labels_map_like_sklearn(labels):
    X, y01 = small_problem()
    y = np.array(labels)[y01]
    model = LogisticRegression(solver="newton").fit(X, y)
    reference = LogisticRegression(solver="newton").fit(X, y01)
    assert model.classes_.tolist() == sorted(labels)
    np.testing.assert_allclose(model.coef_, reference.coef_, rtol=1e-12)
    np.testing.assert_array_equal(model.predict(X), np.array(labels)[reference.predict(X)])
    assert model.score(X, y) == reference.score(X, y01)


def test_labels_given_in_reverse_order_flip_nothing():
    X, y01 = small_problem()
    words = np.where(y01 == 1, "a", "b")  # "a" sorts first, so classes_[1] == "b"
    model = LogisticRegression(solver="newton").fit(X, words)
    assert model.classes_.tolist() == ["a", "b"]
    np.testing.assert_allclose(model.predict_proba(X)[:, 1],
                               1 - LogisticRegression(solver="newton").fit(X, y01)
                               .predict_proba(X)[:, 1], rtol=1e-9, atol=1e-12)


def test_column_vector_y_is_flattened_with_a_warning():
    X, y = small_problem()
    with pytest.warns(UserWarning, match="column-vector y"):
        model = LogisticRegression(solver="newton").fit(X, y.reshape(-1, 1))
    np.testing.assert_allclose(model.coef_, LogisticRegression(solver="newton").fit(X, y).coef_)


def test_inputs_are_never_mutated_and_read_only_input_works():
    X, y = small_problem()
    X_before, y_before = X.copy(), y.copy()
    X.flags.writeable = False
    y.flags.writeable = False
    for solver in ("gd", "adam", "newton"):
        model = LogisticRegression(solver=solver, batch_size=None).fit(X, y)
        model.predict_proba(X)
        model.objective(X, y)
    np.testing.assert_array_equal(X, X_before)
    np.testing.assert_array_equal(y, y_before)


def test_float32_and_list_input():
    X, y = small_problem()
    a = LogisticRegression(solver="newton").fit(X.astype(np.float32), y)
    b = LogisticRegression(solver="newton").fit(X.astype(np.float32).tolist(), y.tolist())
    np.testing.assert_array_equal(a.coef_, b.coef_)
    assert a.coef_.dtype == np.float64


def test_mini_batches_follow_random_state():
    X, y = small_problem(n=80)
    fit = lambda seed: LogisticRegression(solver="sgd", batch_size=8, max_iter=5,  # noqa: E731
                                          random_state=seed).fit(X, y).coef_
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        np.testing.assert_array_equal(fit(1), fit(1))
        assert not np.array_equal(fit(1), fit(2))


def test_objective_graph_reaches_named_parameters():
    X, y = small_problem()
    model = LogisticRegression(solver="newton", tol=1e-10).fit(X, y)
    loss = model.objective(X, y)
    assert loss.item() == pytest.approx(model.history_[-1], rel=1e-12)
    loss.backward()
    leaves = {t.name: t for t in _leaves(loss)}
    assert {"weight", "bias"} <= set(leaves)
    assert np.abs(leaves["weight"].grad.data).max() < 1e-9  # at the optimum
    with pytest.raises(ValueError, match="label 5.*not one of the classes"):
        model.objective(X, np.where(y == 1, 5, 0))


def _leaves(tensor):
    seen, stack, found = set(), [tensor], []
    while stack:
        t = stack.pop()
        if id(t) in seen or not hasattr(t, "inputs"):
            continue
        seen.add(id(t))
        if t.is_leaf:
            found.append(t)
        stack.extend(t.inputs)
    return found


def test_convergence_warning_and_divergence():
    X, y = small_problem()
    with pytest.warns(ConvergenceWarning, match=r"did not converge in max_iter=2 epochs"):
        LogisticRegression(solver="gd", max_iter=2).fit(X, y)
    with pytest.warns(ConvergenceWarning, match="Newton's method did not converge"):
        LogisticRegression(solver="newton", max_iter=1, tol=0).fit(X, y)
    with pytest.warns(ConvergenceWarning) as record:
        LogisticRegression(solver="gd", lr=1000.0, max_iter=20).fit(X * 10, y)
    assert any("made the loss worse" in str(w.message) and "lr=1000.0" in str(w.message)
               for w in record)
    with pytest.raises(FloatingPointError, match=r"diverged in epoch 1.*lower lr"), \
            np.errstate(all="ignore"):
        LogisticRegression(solver="gd", lr=1e305).fit(X * 1e3, y)


def test_failed_fit_keeps_the_previous_model():
    X, y = small_problem()
    model = LogisticRegression(solver="newton").fit(X, y)
    coef = model.coef_.copy()
    with pytest.raises(ValueError):
        model.fit(X[:, :2], np.zeros(len(X)))
    np.testing.assert_array_equal(model.coef_, coef)
    assert model.n_features_in_ == 3


@pytest.mark.parametrize("X, y, error, message", [
    (np.ones(5), np.ones(5), ValueError, r"X must be 2-D .* got shape \(5,\)"),
    (np.ones((3, 2, 1)), np.ones(3), ValueError, r"got shape \(3, 2, 1\)"),
    ([[0.0, np.nan], [1.0, 1.0]], [0, 1], ValueError, r"NaN or infinity at row 0, column 1"),
    ([[0.0, 1.0], [np.inf, 1.0]], [0, 1], ValueError, r"row 1, column 0 \(value inf\)"),
    ([[0.0], [1.0]], [0.0, np.nan], ValueError, r"y contains NaN or infinity at position 1"),
    ([[0.0], [1.0], [2.0]], [0, 1], ValueError, r"X has 3 rows, y has 2 labels"),
    ([[0.0], [1.0]], [1, 1], ValueError, r"only 1 class \(1\).*at least two classes"),
    (np.zeros((0, 3)), np.zeros(0), ValueError, r"X is empty: 0 sample\(s\)"),
    (np.zeros((3, 0)), [0, 1, 0], ValueError, r"0 feature\(s\) \(shape=\(3, 0\)\)"),
    ([[0.0], [1.0]], [0.2, 0.7], ValueError, r"Unknown label type: continuous.*0\.2"),
    ([[0.0], [1.0]], None, ValueError, r"requires y to be passed"),
    ([["a"], ["b"]], [0, 1], ValueError, r"X must hold numbers: could not convert"),
    (np.array([[1j], [2j]]), [0, 1], ValueError, r"Complex data not supported"),
    ([[0.0], [1.0]], np.ones((2, 2)), ValueError, r"y must be 1-D"),
    ([[0.0], [1.0], [2.0]], np.array(["a", 1, 2.5], dtype=object), ValueError,
     r"Unknown label type: y mixes labels of types"),
])
def test_bad_input_gets_a_clear_error(X, y, error, message):
    with pytest.raises(error, match=message):
        LogisticRegression().fit(X, y)


def test_sparse_input_is_refused_by_name():
    sparse = pytest.importorskip("scipy.sparse")
    with pytest.raises(TypeError, match="sparse input is not supported"):
        LogisticRegression().fit(sparse.csr_matrix(np.eye(2)), [0, 1])


def test_prediction_errors():
    model = LogisticRegression()
    for method in ("predict", "predict_proba", "decision_function", "predict_log_proba"):
        with pytest.raises(NotFittedError, match=rf"not fitted yet: call fit\(X, y\) before "
                                                 rf"{method}\(\)"):
            getattr(model, method)([[1.0, 2.0, 3.0]])
    X, y = small_problem()
    model.fit(X, y)
    with pytest.raises(ValueError, match="X has 2 features, but LogisticRegression is "
                                         "expecting 3 features as input"):
        model.predict(X[:, :2])
    with pytest.raises(ValueError, match="NaN or infinity"):
        model.predict_proba([[np.nan, 0.0, 0.0]])
    with pytest.raises(ValueError, match=r"X has 60 rows, y has 3 labels"):
        model.score(X, [0, 1, 0])
    assert isinstance(NotFittedError("x"), (ValueError, AttributeError))


@pytest.mark.parametrize("params, message", [
    ({"solver": "liblinear"}, r"solver must be one of \('auto', 'newton', 'lbfgs', 'gd', 'sgd', "
                              r"'adam'\), got 'liblinear'"),
    ({"penalty": "l1"}, r"penalty must be 'l2' or None .*, got 'l1' \(no solver here handles "
                        r"an L1 part"),
    ({"C": 0}, r"C must be a number > 0, got 0"),
    ({"C": -1.0}, r"C must be a number > 0, got -1.0"),
    ({"C": "1"}, r"C must be a number > 0, got '1'"),
    ({"l2": 0.1, "C": 2.0}, r"give either C .*got 2.0.* or l2 .*got 0.1.*, not both"),
    ({"l2": 0.1, "penalty": None}, r"penalty=None contradicts l2=0.1"),
    ({"fit_intercept": "yes"}, r"fit_intercept must be True or False, got 'yes'"),
    ({"warm_start": 1}, r"warm_start must be True or False, got 1"),
    ({"random_state": "abc"}, r"random_state must be None, an int >= 0 or a numpy "
                              r"Generator/RandomState, got 'abc'"),
    ({"random_state": -5}, r"random_state must be .* got -5"),
    ({"class_weight": "auto"}, r"class_weight must be None, 'balanced' or a dict"),
    ({"class_weight": {7: 1.0}}, r"class_weight has label 7, which is not one of the classes"),
    ({"class_weight": {1: -1.0}}, r"class_weight\[1\] must be a finite number >= 0"),
    ({"lr": 0.1}, r"lr is a setting of the gd, sgd, adam and newton solvers; solver='auto'"),
    ({"lr": 0, "solver": "gd"}, r"lr must be a finite number > 0, got 0"),
    ({"lr": float("nan"), "solver": "gd"}, r"lr must be a finite number > 0"),
    ({"l2": -1.0}, r"l2 must be a finite number >= 0, got -1.0"),
    ({"tol": "small"}, r"tol must be a finite number >= 0, got 'small'"),
    ({"max_iter": 0}, r"max_iter must be a positive int, got 0"),
    ({"max_iter": 2.5}, r"max_iter must be a positive int, got 2.5"),
    ({"batch_size": 0}, r"batch_size must be a positive int, got 0"),
    ({"solver": "newton", "batch_size": 10}, r"solver='newton' always uses the full batch"),
    ({"batch_size": 10}, r"solver='auto' always uses the full batch; batch_size is for gd"),
])
def test_bad_hyperparameters_are_named_at_fit_time(params, message):
    model = LogisticRegression(**params)  # __init__ only stores them
    with pytest.raises(ValueError, match=message):
        model.fit([[0.0], [1.0]], [0, 1])


def test_get_set_params_and_repr():
    model = LogisticRegression(solver="adam", l2=0.5)
    assert model.get_params() == {
        "C": 1.0, "batch_size": None, "class_weight": None, "fit_intercept": True, "l2": 0.5,
        "l1_ratio": 0.0, "lr": None, "max_iter": None, "penalty": "deprecated",
        "random_state": None, "solver": "adam", "tol": 1e-4, "verbose": 0, "warm_start": False}
    assert repr(model) == "LogisticRegression(l2=0.5, solver='adam')"
    assert model.set_params(lr=0.1, solver="gd") is model
    assert (model.lr, model.solver) == (0.1, "gd")
    with pytest.raises(ValueError, match=r"invalid parameter 'alpha' for LogisticRegression"):
        model.set_params(alpha=1.0)
    assert repr(LogisticRegression()) == "LogisticRegression()"
    assert repr(LogisticRegression(C=0.5)) == "LogisticRegression(C=0.5)"


def three_classes(seed=0, n=90):
    rng = np.random.default_rng(seed)
    centers = np.array([[0.0, 2.0], [2.0, -1.0], [-2.0, -1.0]])
    codes = np.arange(n) % 3
    return centers[codes] + rng.normal(size=(n, 2)), np.array(["ant", "bee", "cat"])[codes]


def test_multiclass_softmax_probabilities_and_predictions():
    X, y = three_classes()
    model = LogisticRegression().fit(X, y)
    assert model.classes_.tolist() == ["ant", "bee", "cat"]
    assert model.coef_.shape == (3, 2) and model.intercept_.shape == (3,)
    Z = X @ model.coef_.T + model.intercept_
    np.testing.assert_allclose(model.decision_function(X), Z, rtol=1e-13)
    expected = np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(model.predict_proba(X), expected, rtol=1e-12)
    np.testing.assert_allclose(model.predict_log_proba(X), np.log(expected), rtol=1e-9,
                               atol=1e-12)
    np.testing.assert_array_equal(model.predict(X), model.classes_[Z.argmax(axis=1)])
    assert model.score(X, y) > 0.9
    assert abs(model.intercept_.sum()) < 1e-10  # the flat direction is left at its start
    # The optimum: J's gradient (a numpy closed form, A − Y) vanishes.
    A, Y = model.predict_proba(X), (y[:, None] == model.classes_).astype(float)
    alpha = 1 / (model.C * len(X))
    np.testing.assert_allclose((A - Y).T @ X / len(X) + alpha * model.coef_, 0, atol=1e-9)
    np.testing.assert_allclose((A - Y).mean(axis=0), 0, atol=1e-9)
    loss = model.objective(X, y)
    assert loss.item() == pytest.approx(model.history_[-1], rel=1e-12)
    loss.backward()
    leaves = {t.name: t for t in _leaves(loss)}
    assert leaves["weight"].grad.shape == (3, 2)
    assert np.abs(leaves["weight"].grad.data).max() < 1e-9


def test_warm_start_continues_from_the_previous_solution():
    X, y = three_classes()
    model = LogisticRegression(warm_start=True).fit(X, y)
    coef, steps = model.coef_.copy(), model.n_iter_
    model.fit(X, y)
    assert model.n_iter_ == 1 < steps
    np.testing.assert_allclose(model.coef_, coef, atol=1e-9)
    cold = LogisticRegression(C=0.1).fit(X, y)
    warm = model.set_params(C=0.1).fit(X, y)
    np.testing.assert_allclose(warm.coef_, cold.coef_, atol=1e-9)
    model.fit(X[:, :1], y)  # other features: starts from zero again
    assert model.coef_.shape == (3, 1)


def test_sample_and_class_weights_count_as_repeated_rows():
    X, y = three_classes(n=30)
    counts = (np.arange(30) // 3) % 4  # 0 to 3 copies of each row, every class kept
    weighted = LogisticRegression().fit(X, y, sample_weight=counts)
    repeated = LogisticRegression().fit(X.repeat(counts, axis=0), y.repeat(counts))
    np.testing.assert_allclose(weighted.coef_, repeated.coef_, rtol=1e-9, atol=1e-12)
    by_class = LogisticRegression(class_weight={"ant": 2.0, "cat": 0.5}).fit(X, y)
    by_rows = LogisticRegression().fit(X, y, sample_weight=np.select(
        [y == "ant", y == "cat"], [2.0, 0.5], 1.0))
    np.testing.assert_allclose(by_class.coef_, by_rows.coef_, rtol=1e-9, atol=1e-12)
    predicted = weighted.predict(X)
    assert weighted.score(X, y, sample_weight=counts) == pytest.approx(
        np.sum(counts * (predicted == y)) / counts.sum())
    before = counts.copy()
    LogisticRegression(class_weight="balanced").fit(X, y, sample_weight=counts)
    np.testing.assert_array_equal(counts, before)


@pytest.mark.parametrize("weights, message", [
    (np.ones(5), r"sample_weight must have shape \(6,\), one weight per row of X"),
    ([1, 1, 1, -1, 1, 1], r"sample_weight must be >= 0, got -1.0 at position 3"),
    ([1, 1, 1, np.nan, 1, 1], r"sample_weight contains NaN or infinity at position 3"),
    (np.zeros(6), r"sample_weight is zero for every row"),
    (["a"] * 6, r"sample_weight must be numbers"),
])
def test_bad_sample_weight_is_named(weights, message):
    X, y = np.arange(6.0).reshape(-1, 1), [0, 1, 0, 1, 0, 1]
    with pytest.raises(ValueError, match=message):
        LogisticRegression().fit(X, y, sample_weight=weights)


def test_core_never_imports_scikit_learn():
    code = ("import sys; import numpy as np; from tinygrad_lr.models import LogisticRegression;"
            "m = LogisticRegression().fit(np.eye(4), [0, 1, 0, 1]); m.predict(np.eye(4));"
            "assert 'sklearn' not in sys.modules, 'sklearn imported'")
    subprocess.run([sys.executable, "-c", code], check=True)
