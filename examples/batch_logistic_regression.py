"""Batch logistic regression: the lecture's vectorised formulas, with backward from the engine.

    python examples/batch_logistic_regression.py [--steps 300] [--lr 0.5]

The m training examples are the rows of X: Z = X·w + b, A = σ(Z), J = mean L(A, Y).
Each step runs the engine's backward and checks its gradients against the hand-derived
dZ = A − Y, dw = Xᵀ·dZ / m, db = mean(dZ), then takes the gradient-descent step
w := w − α·dw, b := b − α·db. Trains on the embedded breast-cancer data (standardised);
prints the cost, the largest gap between engine and formulas, and the test accuracy.
"""

import argparse

import numpy as np

import tinygrad_lr as tg
import tinygrad_lr.functional as F
from tinygrad_lr.datasets import load_breast_cancer, train_test_split
from tinygrad_lr.models import StandardScaler


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=str(__doc__).splitlines()[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--lr", type=float, default=0.5, help="the learning rate α")
    args = parser.parse_args(argv)

    X, y, _ = load_breast_cancer()
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=0)
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    m, n = X_train.shape
    X_t = tg.Tensor(X_train, name="X")  # data: no gradient

    w = tg.zeros(n, requires_grad=True, name="w")
    b = tg.Tensor(0.0, requires_grad=True, name="b")
    costs: list[float] = []
    largest_gap = 0.0
    for step in range(args.steps):
        A = (X_t @ w + b).sigmoid()
        J = F.binary_cross_entropy(A, y_train)  # the lecture's graph: a = σ(z), then L(a, y)
        w.grad = b.grad = None
        J.backward()
        assert w.grad is not None and b.grad is not None

        dZ = A.data - y_train  # the hand-derived formulas
        dw, db = X_train.T @ dZ / m, dZ.mean()
        largest_gap = max(largest_gap, np.abs(w.grad.data - dw).max(), abs(b.grad.item() - db))

        w.data = w.data - args.lr * w.grad.data
        b.data = b.data - args.lr * b.grad.data
        costs.append(J.item())
        if step % max(1, args.steps // 5) == 0 or step == args.steps - 1:
            print(f"step {step:4d}   cost J {costs[-1]:.6f}")

    test_accuracy = float(np.mean(((X_test @ w.data + b.data) > 0) == y_test))
    print(f"largest |engine − hand-derived| over all steps: {largest_gap:.1e}")
    print(f"test accuracy {test_accuracy:.4f} ({len(y_test)} held-out examples)")
    return {"costs": costs, "largest_gap": largest_gap, "test_accuracy": test_accuracy}


if __name__ == "__main__":
    main()
