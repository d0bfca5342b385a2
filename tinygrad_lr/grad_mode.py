"""Switches that change how the engine records: gradient recording and anomaly detection.

The switches are per thread, as in PyTorch: ``no_grad()`` in one thread leaves every other
thread recording. They live on :data:`state`, which the op dispatcher reads on every call.
"""

from __future__ import annotations

import contextlib
import threading


class _Modes(threading.local):
    """The switches of one thread; the class-level values are every new thread's defaults."""

    enabled = True
    """Whether ops record the graph that ``backward`` walks."""

    anomaly = False
    """Whether ops check every forward and backward value for NaN/inf."""


state = _Modes()
"""This thread's switches: ``state.enabled`` and ``state.anomaly``."""


def __getattr__(name: str):
    # ``grad_mode.enabled`` and ``grad_mode.anomaly`` still read (this thread's) switches.
    if name in ("enabled", "anomaly"):
        return getattr(state, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@contextlib.contextmanager
def _set(name: str, value: bool):
    previous = getattr(state, name)
    setattr(state, name, value)
    try:
        yield
    finally:
        setattr(state, name, previous)


def no_grad():
    """Context manager in which ops record nothing and results do not require grad.

    >>> import tinygrad_lr as tg
    >>> w = tg.Tensor([1.0, 2.0], requires_grad=True)
    >>> with tg.no_grad():
    ...     y = w * 2
    >>> y.requires_grad
    False
    """
    return _set("enabled", False)


def enable_grad():
    """Context manager that turns recording back on inside a ``no_grad`` block.

    >>> import tinygrad_lr as tg
    >>> w = tg.Tensor(1.0, requires_grad=True)
    >>> with tg.no_grad():
    ...     with tg.enable_grad():
    ...         y = w * 3
    >>> y.requires_grad
    True
    """
    return _set("enabled", True)


def set_grad_enabled(mode: bool):
    """Context manager that sets recording on or off, like ``torch.set_grad_enabled``.

    >>> import tinygrad_lr as tg
    >>> with tg.set_grad_enabled(False):
    ...     tg.Tensor(1.0, requires_grad=True).exp().requires_grad
    False
    """
    return _set("enabled", bool(mode))


def is_grad_enabled() -> bool:
    """Return whether ops currently record the graph.

    >>> import tinygrad_lr as tg
    >>> tg.is_grad_enabled()
    True
    """
    return state.enabled


def detect_anomaly():
    """Context manager that raises as soon as a forward or backward value is NaN or inf.

    The error names the op and the line of user code that created the tensor.

    >>> import tinygrad_lr as tg
    >>> x = tg.Tensor(-1.0, requires_grad=True)
    >>> with tg.detect_anomaly():
    ...     x.log()
    Traceback (most recent call last):
    ...
    FloatingPointError: op 'log' produced nan in its forward value; the tensor was created at ...
    """
    return _set("anomaly", True)
