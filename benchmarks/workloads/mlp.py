"""W2: a small MLP (2-16-16-1: tanh, tanh, sigmoid + BCE) trained full-batch on two moons.

With 256 points every array is tiny, so this measures how much the engine adds per op:
the numpy side is ten matrix products and a handful of elementwise ops per step.
"""

from __future__ import annotations

import numpy as np

import tinygrad_lr as tg
import tinygrad_lr.functional as F
from tinygrad_lr import optim

from .. import peers
from ..rows import Row
from ..timing import compare_many

LAYERS = (2, 16, 16, 1)
LEARNING_RATE = 0.5


def two_moons(n: int = 256, noise: float = 0.1, seed: int = 0):
    """Two interleaved half circles: X (n, 2) float64 and labels y (n, 1) in {0, 1}.

    >>> X, y = two_moons(10)
    >>> X.shape, y.shape, float(y.sum())
    ((10, 2), (10, 1), 5.0)
    """
    rng = np.random.default_rng(seed)
    upper = n // 2
    angle = rng.uniform(0, np.pi, n)
    X = np.empty((n, 2))
    X[:upper, 0], X[:upper, 1] = np.cos(angle[:upper]), np.sin(angle[:upper])
    X[upper:, 0], X[upper:, 1] = 1 - np.cos(angle[upper:]), 0.5 - np.sin(angle[upper:])
    X += noise * rng.standard_normal((n, 2))
    y = np.zeros((n, 1))
    y[upper:] = 1.0
    return X, y


def initial_parameters(seed: int = 0) -> list[np.ndarray]:
    """Weights W1, b1, W2, b2, W3, b3 (scaled normal weights, zero biases)."""
    rng = np.random.default_rng(seed)
    params = []
    for fan_in, fan_out in zip(LAYERS[:-1], LAYERS[1:]):
        params.append(rng.standard_normal((fan_in, fan_out)) / np.sqrt(fan_in))
        params.append(np.zeros(fan_out))
    return params


class NumpyMLP:
    """Forward and hand-derived backward in numpy (tanh' = 1 − tanh², dz = a − y).

    >>> X, y = two_moons(64)
    >>> model = NumpyMLP(X, y)
    >>> losses = [model.step() for _ in range(20)]
    >>> losses[-1] < losses[0]
    True
    """

    def __init__(self, X, y, lr: float = LEARNING_RATE):
        self.X, self.y, self.lr = X, y, lr
        self.params = initial_parameters()

    def step(self) -> float:
        """One full-batch SGD step; returns the loss before the update."""
        W1, b1, W2, b2, W3, b3 = self.params
        X, y = self.X, self.y
        m = X.shape[0]
        h1 = np.tanh(X @ W1 + b1)
        h2 = np.tanh(h1 @ W2 + b2)
        a = 1.0 / (1.0 + np.exp(-(h2 @ W3 + b3)))
        eps = np.finfo(a.dtype).eps
        clipped = np.clip(a, eps, 1 - eps)
        loss = -np.mean(y * np.log(clipped) + (1 - y) * np.log1p(-clipped))
        dz3 = (a - y) / m
        dz2 = (dz3 @ W3.T) * (1 - h2 * h2)
        dz1 = (dz2 @ W2.T) * (1 - h1 * h1)
        grads = (X.T @ dz1, dz1.sum(axis=0), h1.T @ dz2, dz2.sum(axis=0), h2.T @ dz3,
                 dz3.sum(axis=0))
        for p, g in zip(self.params, grads):
            p -= self.lr * g
        return float(loss)


class EngineMLP:
    """The same network and step with tinygrad_lr tensors and ``optim.SGD``.

    >>> X, y = two_moons(64)
    >>> model = EngineMLP(X, y)
    >>> losses = [model.step() for _ in range(20)]
    >>> losses[-1] < losses[0]
    True
    """

    def __init__(self, X, y, lr: float = LEARNING_RATE):
        self.X, self.y = tg.Tensor(X), tg.Tensor(y)
        self.params = [tg.Tensor(p, requires_grad=True) for p in initial_parameters()]
        self.optimizer = optim.SGD(self.params, lr=lr)

    def step(self) -> float:
        """One full-batch SGD step; returns the loss before the update."""
        self.optimizer.zero_grad()
        W1, b1, W2, b2, W3, b3 = self.params
        h1 = (self.X @ W1 + b1).tanh()
        h2 = (h1 @ W2 + b2).tanh()
        a = (h2 @ W3 + b3).sigmoid()
        loss = F.binary_cross_entropy(a, self.y)
        loss.backward()
        self.optimizer.step()
        return loss.item()


def mlp_loss(params, X, y):
    """The MLP's mean BCE as a function of its parameters (what the compiled step traces)."""
    W1, b1, W2, b2, W3, b3 = params
    h1 = (X @ W1 + b1).tanh()
    h2 = (h1 @ W2 + b2).tanh()
    return F.binary_cross_entropy((h2 @ W3 + b3).sigmoid(), y)


class CompiledMLP:
    """The same step through ``tg.value_and_grad``: one traced program, replayed on arrays.

    >>> X, y = two_moons(64)
    >>> compiled, eager = CompiledMLP(X, y), EngineMLP(X, y)
    >>> all(abs(compiled.step() - eager.step()) < 1e-12 for _ in range(5))
    True
    """

    def __init__(self, X, y, lr: float = LEARNING_RATE):
        self.X, self.y, self.lr = X, y, lr
        self.params = initial_parameters()
        self.value_and_grad = tg.value_and_grad(mlp_loss)

    def step(self) -> float:
        """One full-batch SGD step; returns the loss before the update."""
        loss, grads = self.value_and_grad(self.params, self.X, self.y)
        for p, g in zip(self.params, grads):
            p -= self.lr * g
        return float(loss)


def measure(scale) -> list[Row]:
    """Per-step time over ``scale.w2_steps`` steps: eager, compiled and the peers, each
    against the numpy runs of the same rounds."""
    X, y = two_moons(256)
    steps = scale.w2_steps
    sides = {"eager": EngineMLP(X, y).step, "compiled": CompiledMLP(X, y).step,
             "numpy": NumpyMLP(X, y).step}
    for name in peers.available():
        sides[name] = peers.mlp_step(name, X, y, initial_parameters(), LEARNING_RATE)

    def repeat(step):
        def run():
            for _ in range(steps):
                step()
        return run

    results = compare_many({name: repeat(step) for name, step in sides.items()}, "numpy",
                           rounds=scale.rounds, per=steps)
    case = f"2-16-16-1 MLP, 256 points, {steps} steps"
    eager = Row.from_comparison("W2", case, "time per step", results["eager"],
                                target_key="W2", steps=steps, points=256)
    compiled = Row.from_comparison("W2", f"{case}, compiled (tg.value_and_grad)",
                                   "time per step", results["compiled"],
                                   target_key="W2-compiled", steps=steps, points=256)
    for row in (eager, compiled):
        for name in peers.available():
            row.add_other(name, results[name])
    return [eager, compiled]
