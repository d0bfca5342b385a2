"""Errors and warnings raised by the estimators.

When scikit-learn is already imported, each one is raised as a subclass of scikit-learn's
class of the same name too, so ``except sklearn.exceptions.NotFittedError`` and warning
filters written for scikit-learn also catch ours. scikit-learn is never imported here.
"""

from __future__ import annotations

import sys


class NotFittedError(ValueError, AttributeError):
    """A method that needs a fitted estimator was called before ``fit``.

    >>> from tinygrad_lr.models import LogisticRegression
    >>> try:
    ...     LogisticRegression().predict([[1.0]])
    ... except NotFittedError as error:
    ...     print(error)
    this LogisticRegression is not fitted yet: call fit(X, y) before predict()
    """


class ConvergenceWarning(UserWarning):
    """Training stopped at ``max_iter`` before meeting ``tol``, or made the loss worse.

    >>> import warnings
    >>> from tinygrad_lr.models import LogisticRegression
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     _ = LogisticRegression(max_iter=2).fit([[0.0], [1.0], [2.0]], [0, 1, 1])
    >>> print(caught[0].message)
    LogisticRegression Newton's method did not converge in max_iter=2 steps (tol=0.0001); ...
    """


class DataConversionWarning(UserWarning):
    """An input had a different shape or type than expected and was converted.

    >>> import warnings
    >>> from tinygrad_lr.models import LogisticRegression
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     _ = LogisticRegression(solver="newton").fit([[0.0], [1.0]], [[0], [1]])
    >>> print(caught[0].message)
    A column-vector y was passed when a 1d array was expected: y of shape (2, 1) was ...
    """


_COMBINED: dict[type, type] = {}


def sklearn_compatible(cls: type) -> type:
    """``cls``, or a subclass of both it and scikit-learn's class of the same name if
    scikit-learn has been imported (by the user; this never imports it)."""
    module = sys.modules.get("sklearn.exceptions")
    theirs = getattr(module, cls.__name__, None) if module is not None else None
    if theirs is None or issubclass(cls, theirs):
        return cls
    if cls not in _COMBINED:
        _COMBINED[cls] = type(cls.__name__, (cls, theirs),
                              {"__module__": cls.__module__, "__doc__": cls.__doc__})
    return _COMBINED[cls]
