"""W1: one full-batch logistic-regression step on large data (and the W5 step, bigger).

The step is forward, mean binary cross-entropy, backward and an SGD update, with the loss
either fused with the sigmoid (with-logits) or applied to ``sigmoid(z)``. The numpy side
uses the hand-derived gradient of the lecture: ``dz = (a - y) / m``, ``dw = Xᵀ dz``,
``db = Σ dz``. Both sides start from the same weights and do the same arithmetic on the
big arrays; what differs is what the engine adds around it.
"""

from __future__ import annotations

import numpy as np

import tinygrad_lr as tg
import tinygrad_lr.functional as F
from tinygrad_lr import optim

from .. import peers
from ..rows import Row
from ..timing import interleaved_times, summarize

LOSSES = ("logits", "sigmoid")
LEARNING_RATE = 0.1


def make_data(n: int, d: int, dtype=np.float64, seed: int = 0):
    """A separable-ish problem: X (n, d) standard normal, y in {0, 1} from a random plane.

    >>> X, y = make_data(5, 3, np.float32)
    >>> X.shape, y.shape, X.dtype, sorted(set(y.tolist())) <= [0.0, 1.0]
    ((5, 3), (5,), dtype('float32'), True)
    """
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d), dtype=np.float64).astype(dtype, copy=False)
    plane = rng.standard_normal(d)
    y = (X @ plane.astype(dtype) + rng.standard_normal(n).astype(dtype) > 0).astype(dtype)
    return X, y


def initial_weights(d: int, dtype=np.float64, seed: int = 1):
    """Small random weights and a zero bias, the same for both sides."""
    rng = np.random.default_rng(seed)
    return (0.01 * rng.standard_normal(d)).astype(dtype), np.zeros((), dtype=dtype)


def _check_loss(loss: str) -> None:
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}")


class NumpyLogisticRegression:
    """Hand-written numpy: the forward pass and the hand-derived backward, nothing else.

    >>> X, y = make_data(100, 3)
    >>> model = NumpyLogisticRegression(X, y)
    >>> first, second = model.step(), model.step()
    >>> second < first
    True
    """

    def __init__(self, X, y, loss: str = "logits", lr: float = LEARNING_RATE):
        _check_loss(loss)
        self.X, self.y, self.loss, self.lr = X, y, loss, lr
        self.w, self.b = initial_weights(X.shape[1], X.dtype)

    def step(self) -> float:
        """One SGD step; returns the loss before the update."""
        X, y = self.X, self.y
        m = y.shape[0]
        z = X @ self.w + self.b
        a = 1.0 / (1.0 + np.exp(-z))
        if self.loss == "logits":
            loss = np.mean(np.logaddexp(0, z) - y * z)
        else:
            eps = np.finfo(X.dtype).eps
            clipped = np.clip(a, eps, 1 - eps)
            loss = -np.mean(y * np.log(clipped) + (1 - y) * np.log1p(-clipped))
        dz = (a - y) / m
        self.w -= self.lr * (X.T @ dz)
        self.b = self.b - self.lr * dz.sum()
        return float(loss)


class EngineLogisticRegression:
    """The same step written with tinygrad_lr tensors and ``optim.SGD``, as a user writes it.

    >>> X, y = make_data(100, 3)
    >>> model = EngineLogisticRegression(X, y, loss="sigmoid")
    >>> first, second = model.step(), model.step()
    >>> second < first
    True
    """

    def __init__(self, X, y, loss: str = "logits", lr: float = LEARNING_RATE):
        _check_loss(loss)
        w, b = initial_weights(X.shape[1], X.dtype)
        self.X, self.y = tg.Tensor(X), tg.Tensor(y)
        self.w = tg.Tensor(w, requires_grad=True)
        self.b = tg.Tensor(b, requires_grad=True)
        self.loss = loss
        self.optimizer = optim.SGD([self.w, self.b], lr=lr)

    def step(self) -> float:
        """One SGD step; returns the loss before the update."""
        self.optimizer.zero_grad()
        z = self.X @ self.w + self.b
        if self.loss == "logits":
            loss = F.binary_cross_entropy_with_logits(z, self.y)
        else:
            loss = F.binary_cross_entropy(z.sigmoid(), self.y)
        loss.backward()
        self.optimizer.step()
        return loss.item()


def logistic_loss(params, X, y, loss: str = "logits"):
    """Mean BCE of logistic regression as a function of ``(w, b)`` (traced when compiled)."""
    w, b = params
    z = X @ w + b
    if loss == "logits":
        return F.binary_cross_entropy_with_logits(z, y)
    return F.binary_cross_entropy(z.sigmoid(), y)


class CompiledLogisticRegression:
    """The same step through ``tg.value_and_grad`` (``loss`` is a number: part of the trace).

    >>> X, y = make_data(100, 3)
    >>> compiled, eager = CompiledLogisticRegression(X, y), EngineLogisticRegression(X, y)
    >>> all(abs(compiled.step() - eager.step()) < 1e-12 for _ in range(3))
    True
    """

    def __init__(self, X, y, loss: str = "logits", lr: float = LEARNING_RATE):
        _check_loss(loss)
        self.X, self.y, self.loss, self.lr = X, y, loss, lr
        self.params = list(initial_weights(X.shape[1], X.dtype))
        self.value_and_grad = tg.value_and_grad(logistic_loss)

    def step(self) -> float:
        """One SGD step; returns the loss before the update."""
        value, (dw, db) = self.value_and_grad(self.params, self.X, self.y, self.loss)
        w, b = self.params
        w -= self.lr * dw
        b -= self.lr * db  # b is a 0-d array: updated in place, like w
        return float(value)


def matvec_floor(X, w):
    """The two matrix-vector products every implementation must do: ``X@w`` and ``Xᵀ@v``."""
    v = X @ w
    return X.T @ v


def measure(scale) -> list[Row]:
    """Time W1 for both dtypes and both losses, plus the matrix-vector floor.

    The floor is timed in rounds interleaved with the numpy step, so its share of the step
    is a paired ratio like the others.
    """
    n, d = scale.w1_shape
    rows = []
    for dtype in (np.float64, np.float32):
        X, y = make_data(n, d, dtype)
        dtype_name = np.dtype(dtype).name
        floor = None
        for loss in LOSSES:
            reference = NumpyLogisticRegression(X, y, loss)
            sides = {"eager": EngineLogisticRegression(X, y, loss).step,
                     "compiled": CompiledLogisticRegression(X, y, loss).step,
                     "numpy": reference.step}
            w, b = initial_weights(d, X.dtype)
            for name in peers.available():
                sides[name] = peers.logistic_step(name, X, y, w, b, loss, LEARNING_RATE)
            if floor is None:
                w = reference.w.copy()
                sides["floor"] = lambda X=X, w=w: matvec_floor(X, w)
            times = interleaved_times(sides, rounds=scale.w1_rounds,
                                      min_seconds=scale.w1_min_seconds)
            result = summarize(times["eager"], times["numpy"])
            if floor is None:
                floor = summarize(times["floor"], times["numpy"])
            case = f"{dtype_name}, {'with-logits BCE' if loss == 'logits' else 'sigmoid + BCE'}"
            float64 = dtype is np.float64
            target_key = ("W1" if loss == "logits" else "W1-sigmoid") if float64 else None
            row = Row.from_comparison(
                "W1", case, "time per step", result, target_key=target_key,
                note=f"X@w + Xᵀ@v alone: {floor.engine / result.numpy:.0%} of the numpy step",
                n=n, d=d, dtype=dtype_name, loss=loss)
            compiled = Row.from_comparison(
                "W1", f"{case}, compiled", "time per step",
                summarize(times["compiled"], times["numpy"]), n=n, d=d, dtype=dtype_name,
                loss=loss, target_key=f"W1-compiled-{loss}")
            versus = summarize(times["compiled"], times["eager"])
            compiled.note = (f"compiled / eager in the same rounds: {versus.ratio:.2f}x "
                             f"({versus.ratio_low:.2f}–{versus.ratio_high:.2f})")
            compiled.details["compiled_over_eager"] = versus.ratio
            for name in peers.available():
                row.add_other(name, summarize(times[name], times["numpy"]))
                compiled.add_other(name, summarize(times[name], times["numpy"]))
            rows += [row, compiled]
            if float64:
                rows.append(Row(workload="W1", case=f"{case}, compiled / eager",
                                metric="time ratio, same rounds", kind="scalar",
                                ratio=versus.ratio, ratio_low=versus.ratio_low,
                                ratio_high=versus.ratio_high, rounds=versus.rounds,
                                target_key="W1-compiled"))
        rows.append(Row(workload="W1", case=f"{dtype_name}, X@w + Xᵀ@v only (the floor)",
                        metric="time", kind="info", numpy=floor.engine,
                        note=f"numpy only, no implementation can go below this: "
                             f"{floor.ratio:.0%} of the with-logits numpy step (paired)",
                        details={"n": n, "d": d, "dtype": dtype_name,
                                 "share_of_numpy_step": floor.ratio}))
    return rows
