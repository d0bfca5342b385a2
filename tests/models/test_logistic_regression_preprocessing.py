"""StandardScaler against numpy's mean/std; errors; inputs untouched."""

import numpy as np
import pytest

from tinygrad_lr.models import NotFittedError, StandardScaler


def test_standardizes_with_population_statistics():
    rng = np.random.default_rng(0)
    X = rng.normal(loc=[1.0, -3.0, 10.0], scale=[0.5, 2.0, 7.0], size=(50, 3))
    before = X.copy()
    scaler = StandardScaler().fit(X)
    np.testing.assert_allclose(scaler.mean_, X.mean(axis=0), rtol=1e-14)
    np.testing.assert_allclose(scaler.scale_, X.std(axis=0), rtol=1e-14)
    Z = scaler.transform(X)
    np.testing.assert_allclose(Z.mean(axis=0), 0.0, atol=1e-14)
    np.testing.assert_allclose(Z.std(axis=0), 1.0, rtol=1e-14)
    np.testing.assert_allclose(scaler.inverse_transform(Z), X, rtol=1e-14)
    np.testing.assert_array_equal(X, before)
    np.testing.assert_array_equal(StandardScaler().fit_transform(X), Z)


def test_constant_column_and_switches():
    X = np.array([[1.0, 4.0], [3.0, 4.0]])
    np.testing.assert_array_equal(StandardScaler().fit_transform(X), [[-1.0, 0.0], [1.0, 0.0]])
    np.testing.assert_array_equal(StandardScaler(with_mean=False).fit_transform(X),
                                  [[1.0, 4.0], [3.0, 4.0]])
    np.testing.assert_array_equal(StandardScaler(with_std=False).fit_transform(X),
                                  [[-1.0, 0.0], [1.0, 0.0]])


def test_errors():
    with pytest.raises(NotFittedError, match=r"before transform\(\)"):
        StandardScaler().transform([[1.0]])
    scaler = StandardScaler().fit(np.ones((3, 2)))
    with pytest.raises(ValueError, match="X has 3 features, but StandardScaler is expecting 2"):
        scaler.transform(np.ones((1, 3)))
    with pytest.raises(ValueError, match="NaN or infinity"):
        StandardScaler().fit([[np.nan]])
    assert repr(StandardScaler(with_mean=False)) == "StandardScaler(with_mean=False)"
