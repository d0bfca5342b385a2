"""Logistic regression on the embedded breast-cancer data with the scikit-learn-style estimator.

    python examples/logistic_regression.py                     # gradient descent
    python examples/logistic_regression.py --solver newton
    python examples/logistic_regression.py --solver sgd --batch-size 32

Standardizes the features, trains, prints train/test accuracy, the features with the
largest weights, and (if scikit-learn is installed) scikit-learn's accuracy with the
matching regularisation C = 1 / (l2 · n_samples).
"""

import argparse

import numpy as np

from tinygrad_lr.datasets import load_breast_cancer, train_test_split
from tinygrad_lr.models import LogisticRegression, StandardScaler


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=str(__doc__).splitlines()[0])
    parser.add_argument("--solver", default="gd", choices=["gd", "sgd", "adam", "newton"])
    parser.add_argument("--l2", type=float, default=1e-2)
    parser.add_argument("--max-iter", type=int, default=1000)
    parser.add_argument("--batch-size", type=int, default=None)
    args = parser.parse_args(argv)

    X, y, names = load_breast_cancer()
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=0)
    scaler = StandardScaler().fit(X_train)  # statistics of the training part only
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)

    model = LogisticRegression(solver=args.solver, l2=args.l2, max_iter=args.max_iter,
                               batch_size=args.batch_size, random_state=0)
    model.fit(X_train, y_train)
    result = {"train_accuracy": model.score(X_train, y_train),
              "test_accuracy": model.score(X_test, y_test),
              "n_iter": int(model.n_iter_[0]), "loss": model.history_[-1]}
    print(f"{args.solver}: {result['n_iter']} iterations, final objective (mean BCE + L2 "
          f"penalty) {model.history_[-1]:.5f}")
    print(f"train accuracy {result['train_accuracy']:.4f}, "
          f"test accuracy {result['test_accuracy']:.4f}")

    print("largest weights (standardized features; > 0 pushes towards malignant):")
    for i in np.argsort(-np.abs(model.coef_[0]))[:5]:
        print(f"  {names[i]:<24} {model.coef_[0, i]:+.3f}")

    try:
        from sklearn.linear_model import LogisticRegression as SklearnLogisticRegression
    except ImportError:
        print("(install scikit-learn to compare)")
        return result
    reference = SklearnLogisticRegression(C=1 / (args.l2 * len(y_train)), max_iter=10_000)
    reference.fit(X_train, y_train)
    result["sklearn_test_accuracy"] = reference.score(X_test, y_test)
    print(f"scikit-learn (C = 1/(l2·m) = {reference.C:.4f}): "
          f"test accuracy {result['sklearn_test_accuracy']:.4f}")
    return result


if __name__ == "__main__":
    main()
