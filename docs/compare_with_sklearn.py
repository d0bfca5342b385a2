"""Print the table "Compared with scikit-learn" of docs/logistic_regression.md.

    OMP_NUM_THREADS=1 python docs/compare_with_sklearn.py

Both estimators at their defaults on each dataset; the largest difference in
predict_proba against scikit-learn's optimum (its newton-cholesky solver at tol 1e-10) and
against its default; fit times as medians of 5 fits in this one run. Needs scikit-learn.
"""

from __future__ import annotations

import time

import numpy as np
from sklearn import datasets
from sklearn.linear_model import LogisticRegression as SklearnLogisticRegression
from sklearn.preprocessing import StandardScaler

from tinygrad_lr.models import LogisticRegression


def datasets_compared() -> dict:
    """Name → (X, y): standardized, except make_classification (already of unit scale)."""
    standardized = lambda X: StandardScaler().fit_transform(X)  # noqa: E731
    cancer, digits, iris = datasets.load_breast_cancer(), datasets.load_digits(), \
        datasets.load_iris()
    X_made, y_made = datasets.make_classification(2000, 20, random_state=0)
    return {
        "breast cancer (569×30)": (standardized(cancer.data), cancer.target),
        "digits < 5 (1797×64)": (standardized(digits.data), (digits.target < 5).astype(int)),
        "iris 0 vs rest (150×4)": (standardized(iris.data), (iris.target == 0).astype(int)),
        "make_classification (2000×20)": (X_made, y_made),
        "iris, 3 classes": (standardized(iris.data), iris.target),
        "digits, 10 classes": (standardized(digits.data), digits.target),
    }


def median_fit(make, X, y, repeats: int = 5):
    """The last fitted model and the median wall-clock seconds of ``repeats`` fits."""
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        model = make().fit(X, y)
        seconds.append(time.perf_counter() - start)
    return model, float(np.median(seconds))


def main() -> None:
    print("| data | ours vs sklearn optimum | ours vs sklearn default | sklearn default vs its "
          "optimum | ours: fit | sklearn default (lbfgs) | sklearn newton-cholesky, tol 1e-10 |")
    print("|---|---|---|---|---|---|---|")
    for name, (X, y) in datasets_compared().items():
        ours, t_ours = median_fit(LogisticRegression, X, y)
        default, t_default = median_fit(SklearnLogisticRegression, X, y)
        optimum, t_optimum = median_fit(lambda: SklearnLogisticRegression(
            solver="newton-cholesky", tol=1e-10, max_iter=1000), X, y)
        P, P_default, P_optimum = (m.predict_proba(X) for m in (ours, default, optimum))
        print(f"| {name} | {np.abs(P - P_optimum).max():.1e} | "
              f"{np.abs(P - P_default).max():.1e} | {np.abs(P_default - P_optimum).max():.1e} | "
              f"{t_ours * 1e3:.0f} ms ({ours.solver_}, {ours.n_iter_} steps) | "
              f"{t_default * 1e3:.0f} ms ({default.n_iter_[0]} iterations) | "
              f"{t_optimum * 1e3:.0f} ms ({optimum.n_iter_[0]} steps) |")


if __name__ == "__main__":
    main()
