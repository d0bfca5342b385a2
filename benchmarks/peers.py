"""Other frameworks on the same workloads: PyTorch eager and jax.jit, when installed.

Neither is a dependency of the package or of its tests: they come with the optional
``bench-peers`` dependency group (``pip install --group bench-peers``), are imported here
lazily, and every workload skips them when they are absent. Each step does what the numpy and engine
sides do (forward, mean BCE, backward, an SGD update on float64 or float32 parameters).
On CPU, in one process, with the machine's BLAS settings, like the other sides.
"""

from __future__ import annotations

import functools
from importlib import import_module

PEERS = ("pytorch", "jax")
"""The peer names, as they appear in the results (``Row.others``)."""


@functools.cache
def module(name: str):
    """The imported framework (``torch`` or ``jax``), or None when it is not installed."""
    try:
        if name == "pytorch":
            return import_module("torch")
        if name == "jax":
            jax = import_module("jax")
            jax.config.update("jax_enable_x64", True)  # float64 as the other sides
            jax.config.update("jax_platforms", "cpu")
            return jax
    except Exception:  # a broken install counts as absent
        return None
    raise ValueError(f"unknown peer {name!r}; expected one of {PEERS}")


_TORCH_DEFAULT_THREADS: list[int] = []


def torch_threads(small_arrays: bool):
    """PyTorch with one thread for tiny arrays, its default for W1's big ones.

    numpy's BLAS runs tiny products on one thread; PyTorch's OpenMP pool would spin-wait
    for its second thread after every tiny op, which on a shared 2-core machine costs
    more than the op. W1 keeps PyTorch's default, like numpy's two BLAS threads.
    """
    torch = module("pytorch")
    if not _TORCH_DEFAULT_THREADS:
        _TORCH_DEFAULT_THREADS.append(torch.get_num_threads())
    torch.set_num_threads(1 if small_arrays else _TORCH_DEFAULT_THREADS[0])
    return torch


def versions() -> dict:
    """name -> version of every installed peer (for the results' environment)."""
    return {name: module(name).__version__ for name in PEERS if module(name) is not None}


def available() -> list[str]:
    """The peers installed here, in :data:`PEERS` order."""
    return [name for name in PEERS if module(name) is not None]


# ------------------------------------------------------------------ W1: logistic step
def logistic_step(name: str, X, y, w, b, loss: str, lr: float):
    """A zero-argument SGD step of logistic regression in framework ``name``."""
    if name == "pytorch":
        torch = torch_threads(small_arrays=False)
        fn = torch.nn.functional
        X_t, y_t = torch.from_numpy(X), torch.from_numpy(y)
        w_t = torch.tensor(w, requires_grad=True)
        b_t = torch.tensor(b, requires_grad=True)
        optimizer = torch.optim.SGD([w_t, b_t], lr=lr)

        def step():
            optimizer.zero_grad()
            z = X_t @ w_t + b_t
            if loss == "logits":
                value = fn.binary_cross_entropy_with_logits(z, y_t)
            else:
                value = fn.binary_cross_entropy(torch.sigmoid(z), y_t)
            value.backward()
            optimizer.step()
            return value.item()

        return step
    jax = module("jax")
    jnp = jax.numpy

    def objective(params, X, y):
        w, b = params
        z = X @ w + b
        if loss == "logits":
            return jnp.mean(jax.nn.softplus(z) - y * z)
        eps = jnp.finfo(z.dtype).eps
        a = jnp.clip(jax.nn.sigmoid(z), eps, 1 - eps)
        return -jnp.mean(y * jnp.log(a) + (1 - y) * jnp.log1p(-a))

    return _jax_sgd(jax, objective, [w, b], (X, y), lr)


def _jax_sgd(jax, objective, params, data, lr):
    @jax.jit
    def update(params, *data):
        value, grads = jax.value_and_grad(objective)(params, *data)
        return value, [p - lr * g for p, g in zip(params, grads)]

    state = {"params": [jax.numpy.asarray(p) for p in params]}
    data = tuple(jax.numpy.asarray(d) for d in data)

    def step():
        value, state["params"] = update(state["params"], *data)
        return float(value)  # waits for the result, as the other sides do

    jax.block_until_ready(update(state["params"], *data))  # compile, keep the start point
    return step


# ---------------------------------------------------------------------- W2: the MLP
def mlp_step(name: str, X, y, params, lr: float):
    """A zero-argument SGD step of the 2-16-16-1 MLP (tanh, tanh, sigmoid + BCE)."""
    if name == "pytorch":
        torch = torch_threads(small_arrays=True)
        fn = torch.nn.functional
        X_t, y_t = torch.from_numpy(X), torch.from_numpy(y)
        tensors = [torch.tensor(p, requires_grad=True) for p in params]
        optimizer = torch.optim.SGD(tensors, lr=lr)

        def step():
            optimizer.zero_grad()
            W1, b1, W2, b2, W3, b3 = tensors
            h1 = torch.tanh(X_t @ W1 + b1)
            h2 = torch.tanh(h1 @ W2 + b2)
            value = fn.binary_cross_entropy(torch.sigmoid(h2 @ W3 + b3), y_t)
            value.backward()
            optimizer.step()
            return value.item()

        return step
    jax = module("jax")
    jnp = jax.numpy

    def objective(params, X, y):
        W1, b1, W2, b2, W3, b3 = params
        h1 = jnp.tanh(X @ W1 + b1)
        h2 = jnp.tanh(h1 @ W2 + b2)
        eps = jnp.finfo(X.dtype).eps
        a = jnp.clip(jax.nn.sigmoid(h2 @ W3 + b3), eps, 1 - eps)
        return -jnp.mean(y * jnp.log(a) + (1 - y) * jnp.log1p(-a))

    return _jax_sgd(jax, objective, params, (X, y), lr)
