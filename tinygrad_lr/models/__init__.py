"""Models built on the engine: logistic regression with scikit-learn's interface, the
lecture's hand-derived gradients (binary and softmax), the objective as block sums with the
exact solvers that minimise it, a standard scaler and a safe model file format.

>>> from tinygrad_lr.datasets import load_breast_cancer, train_test_split
>>> from tinygrad_lr.models import LogisticRegression, StandardScaler
>>> X, y, _ = load_breast_cancer()
>>> X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
>>> scaler = StandardScaler().fit(X_train)
>>> model = LogisticRegression().fit(scaler.transform(X_train), y_train)
>>> model.score(scaler.transform(X_test), y_test) > 0.95
True
"""

from . import derivation, objective, solvers
from .exceptions import ConvergenceWarning, DataConversionWarning, NotFittedError
from .logistic_regression import LogisticRegression
from .persistence import ModelFileError, SavedModel, load_model, save_model
from .preprocessing import StandardScaler

__all__ = [
    "ConvergenceWarning", "DataConversionWarning", "LogisticRegression", "ModelFileError",
    "NotFittedError", "SavedModel", "StandardScaler", "derivation", "load_model", "objective",
    "save_model", "solvers",
]
