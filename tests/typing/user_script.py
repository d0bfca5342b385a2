"""A user's script, written as an editor would check it: Tensor arithmetic, ``tg.*``
functions, the estimator. ``make typecheck`` runs pyright (basic) and mypy on it; both must
report nothing, and every line also runs (tests/typing/test_typing.py)."""

from __future__ import annotations

import numpy as np

import tinygrad_lr as tg
from tinygrad_lr.models import LogisticRegression, StandardScaler, load_model, save_model


def logistic_loss(w: tg.Tensor, x: tg.Tensor, y: float) -> tg.Tensor:
    """The lecture's loss on one example, with operators and registered methods."""
    z = w @ x + 0.1
    a = z.sigmoid()
    return -(y * tg.log(a) + (1 - y) * (1 - a).log())


def main() -> float:
    w = tg.Tensor([0.5, -0.2], requires_grad=True, name="w")
    x = tg.tensor([1.0, 2.0])
    loss = logistic_loss(w, x, 1.0)
    loss.backward()
    assert w.grad is not None
    step: tg.Tensor = w - 0.1 * w.grad
    scaled = (w * 2).sum() / 4 + w.mean() - abs(-w).max()
    stacked = tg.exp(w) ** 2 + tg.matmul(w, x) + tg.softmax(w, axis=0).sum()
    total: float = float(step.sum().item() + scaled.item() + stacked.sum().item())
    shaped = tg.ones((2, 3)).reshape(3, 2).T @ tg.zeros((3, 1))
    assert shaped.shape == (2, 1)
    with tg.no_grad():
        _ = tg.sigmoid(w) * w[0]

    X, y = np.random.default_rng(0).normal(size=(40, 2)), np.arange(40) % 2
    scaler = StandardScaler().fit(X)
    model = LogisticRegression(C=np.inf, max_iter=50).fit(scaler.transform(X), y)
    probabilities: np.ndarray = model.predict_proba(scaler.transform(X))
    n_iter: int = int(model.n_iter_[0])
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        saved = load_model(save_model(f"{folder}/model", model, scaler=scaler))
    assert np.array_equal(saved.model.predict(saved.predict_input(X)), model.predict(
        scaler.transform(X)))
    return total + float(probabilities.sum()) + n_iter


if __name__ == "__main__":
    print(main())
