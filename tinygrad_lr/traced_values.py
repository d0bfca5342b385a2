"""Strict tracing: reading a traced value in Python raises :class:`TraceError`.

While the compiler traces a function, its inputs and every value an op computes from them
are traced values: not known yet, the same program must serve every call. ``float(t)``,
``if t:``, ``t.item()``, ``np.asarray(t)`` and the like call :func:`refuse_if_traced`,
which names the user's line (as jax's concretization error does). Re-exported by
:mod:`tinygrad_lr.tensor` and :mod:`tinygrad_lr.compiler`.
"""

from __future__ import annotations

import traceback

from . import grad_mode as _grad_mode


class TraceError(RuntimeError):
    """A function cannot be traced into a program: it read a traced value in Python (the
    value is not known while tracing), or returned or used its inputs in a way a program
    cannot replay."""


def refuse_if_traced(t, what: str) -> None:
    """Raise TraceError when the compiler is tracing and ``t`` is one of its values: ``what``
    (``"float()"``, ``"numpy.argmax"``) would read its value in Python.

    >>> import tinygrad_lr as tg
    >>> refuse_if_traced(tg.Tensor(1.0), "float()")  # not tracing: nothing to refuse
    """
    if not _grad_mode.state.tracing or not (t._op is not None or t._traced_input):
        return
    raise TraceError(
        f"{what} reads the value of a traced tensor at {_user_line()}, while tg.compile / "
        "tg.value_and_grad traces the function: a compiled program runs the same ops on "
        "every call and cannot follow a Python decision on a value. Express the choice with "
        "ops (tg.where, maximum, clip), pass the number as an argument, or call the "
        "function eagerly (without compiling)"
    )


def refuse_random(name: str) -> None:
    """Raise TraceError: an unseeded ``tg.<name>()`` while tracing would be frozen."""
    raise TraceError(
        f"tg.{name}() without a seed at {_user_line()}, while tg.compile / tg.value_and_grad "
        "traces the function: its draw would become a constant of the program, the same on "
        "every call. Draw the values outside and pass them as an argument (or register a "
        "random op with pure=False)"
    )


def _user_line() -> str:
    """The innermost line of the caller's code outside this package."""
    package = __name__.rsplit(".", 1)[0].replace(".", "/")
    for frame in reversed(traceback.extract_stack()[:-2]):
        if f"/{package}/" not in frame.filename.replace("\\", "/"):
            return f"{frame.filename}:{frame.lineno} ({frame.line})"
    return "an unknown line"
