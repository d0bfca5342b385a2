"""scikit-learn 1.8+'s conventions that LogisticRegression follows: the penalty spelled with
``l1_ratio`` and ``C`` (``penalty`` deprecated) and ``n_iter_`` as one count in an array.

>>> import numpy as np
>>> check_penalty("deprecated", C=np.inf, l1_ratio=1.0, solver="newton")  # no penalty at all
>>> sklearn_n_iter(7)
array([7], dtype=int32)
"""

from __future__ import annotations

import numbers
import warnings
from typing import Any

import numpy as np

PENALTIES = ("l2", None)
"""What the deprecated ``penalty`` may still be: ``'l2'`` (``l1_ratio=0``) and ``None``
(``C=np.inf``). No solver here handles an L1 part (``'l1'``, ``'elasticnet'``)."""
PENALTY_DEPRECATION = (
    "'penalty' was deprecated in version 0.2 (as in scikit-learn 1.8) and will be removed. "
    "To avoid this warning, leave 'penalty' set to its default value and use 'l1_ratio' or "
    "'C' instead: l1_ratio=0 instead of penalty='l2' and C=np.inf instead of penalty=None."
)


def check_penalty(penalty: Any, C: float, l1_ratio: Any, solver: str) -> None:
    """Check the penalty settings (``C`` already checked): warn as scikit-learn does when
    ``penalty`` is set, and refuse an L1 part, which none of the solvers (Newton, L-BFGS,
    gradient steps: all need a gradient everywhere) can minimise."""
    if not (isinstance(penalty, str) and penalty == "deprecated"):
        if penalty not in PENALTIES:
            hint = (" (no solver here handles an L1 part; l1_ratio=0 is the L2 penalty)"
                    if penalty in ("l1", "elasticnet") else "")
            raise ValueError(f"penalty must be 'l2' or None (and is deprecated: use "
                             f"l1_ratio and C), got {penalty!r}{hint}")
        warnings.warn(PENALTY_DEPRECATION, FutureWarning, stacklevel=4)
    if (isinstance(l1_ratio, bool) or not isinstance(l1_ratio, numbers.Real)
            or not np.isfinite(l1_ratio) or l1_ratio < 0):
        raise ValueError(f"l1_ratio must be a finite number >= 0, got {l1_ratio!r}")
    if l1_ratio > 1:
        raise ValueError(f"l1_ratio must be between 0 and 1, got {l1_ratio!r}")
    if l1_ratio > 0 and not (np.isinf(C) or penalty is None):
        raise ValueError(
            f"l1_ratio={l1_ratio!r} asks for an L1 part in the penalty, which no solver here "
            f"handles (it is not smooth; solver={solver!r}); use l1_ratio=0 (the L2 penalty) "
            "or C=np.inf (no penalty)"
        )


def sklearn_n_iter(count: Any) -> np.ndarray:
    """scikit-learn's ``n_iter_``: an int32 array of shape (1,) (its multinomial fit is one
    problem, so one count)."""
    return np.full(1, int(np.max(count)), dtype=np.int32)
