"""Datasets: the embedded breast-cancer CSV, two moons, the train/test split."""

import numpy as np
import pytest

from tinygrad_lr.datasets import (
    breast_cancer_path,
    load_breast_cancer,
    make_moons,
    train_test_split,
)


def test_breast_cancer_shape_classes_and_licence_note():
    X, y, names = load_breast_cancer()
    assert X.shape == (569, 30) and X.dtype == np.float64 and np.isfinite(X).all()
    assert y.tolist().count(1) == 212 and y.tolist().count(0) == 357
    assert names[:2] == ("mean radius", "mean texture") and names[-1] == "worst fractal dimension"
    assert X[0, 0] == 17.99 and y[0] == 1  # first row of the UCI file: malignant
    readme = (breast_cancer_path().parent / "README.md").read_text()
    assert "CC BY 4.0" in readme and "Wolberg" in readme and "UCI" in readme
    X[0, 0] = -1.0  # fresh arrays every call
    assert load_breast_cancer().X[0, 0] == 17.99


def test_breast_cancer_equals_the_copy_in_scikit_learn():
    datasets = pytest.importorskip("sklearn.datasets")
    theirs = datasets.load_breast_cancer()
    X, y, names = load_breast_cancer()
    np.testing.assert_array_equal(X, theirs.data)
    np.testing.assert_array_equal(y, 1 - theirs.target)  # there 0 = malignant
    assert names == tuple(theirs.feature_names)


def test_moons_geometry():
    X, y = make_moons(101, noise=0.0, random_state=3)
    assert X.shape == (101, 2) and y.sum() == 51
    upper, lower = X[y == 0], X[y == 1]
    np.testing.assert_allclose(np.hypot(upper[:, 0], upper[:, 1]), 1.0, rtol=1e-14)
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1, lower[:, 1] - 0.5), 1.0, rtol=1e-14)
    a, b = make_moons(50, noise=0.2, random_state=1), make_moons(50, noise=0.2, random_state=1)
    np.testing.assert_array_equal(a[0], b[0])
    with pytest.raises(ValueError, match="n_samples must be at least 2"):
        make_moons(1)
    with pytest.raises(ValueError, match="noise must be a finite number >= 0"):
        make_moons(10, noise=-1)
    with pytest.raises(TypeError, match="n_samples must be an int"):
        make_moons(10.0)


@pytest.mark.parametrize("stratify", [False, True])
def test_split_partitions_rows_reproducibly(stratify):
    X = np.arange(40).reshape(20, 2)
    y = np.array([0] * 15 + [1] * 5)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=1,
                                                        stratify=stratify)
    assert len(X_test) == 4 and len(X_train) == 16
    assert sorted(np.concatenate([X_train[:, 0], X_test[:, 0]]).tolist()) == X[:, 0].tolist()
    np.testing.assert_array_equal(y_train, y[X_train[:, 0] // 2])
    if stratify:
        assert y_test.sum() == 1
    again = train_test_split(X, y, test_size=0.2, random_state=1, stratify=stratify)
    np.testing.assert_array_equal(again[1], X_test)


def test_split_errors():
    with pytest.raises(ValueError, match="same number of rows"):
        train_test_split(np.ones((3, 2)), np.ones(4))
    with pytest.raises(ValueError, match="test_size must be a fraction"):
        train_test_split(np.ones((3, 2)), np.ones(3), test_size=1.5)
    with pytest.raises(ValueError, match="leaves an empty train or test set"):
        train_test_split(np.ones((1, 2)), np.ones(1), test_size=0.5)


@pytest.mark.parametrize("seed", ["abc", -5, 1.5, True])
def test_a_bad_random_state_is_named(seed):
    with pytest.raises(ValueError, match=r"random_state must be None, an int >= 0 or a numpy "
                                         r"Generator/RandomState, got"):
        train_test_split(np.ones((4, 2)), np.arange(4), random_state=seed)
    with pytest.raises(ValueError, match=r"random_state must be None, an int >= 0"):
        make_moons(10, random_state=seed)
