"""Test-suite settings shared by every test module."""

import pytest
from hypothesis import settings

from tinygrad_lr.datasets import load_breast_cancer, train_test_split
from tinygrad_lr.models import StandardScaler

# Property tests draw the same examples on every run and keep no example database, so a
# run on one machine cannot fail because of what an earlier run on another one found.
settings.register_profile("deterministic", derandomize=True, database=None, deadline=None)
settings.load_profile("deterministic")


@pytest.fixture(scope="session")
def cancer():
    """The embedded data, fixed 80/20 split, standardized with the training part's statistics."""
    X, y, _ = load_breast_cancer()
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=0)
    scaler = StandardScaler().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_test), y_train, y_test
