"""The project's performance targets and the reference figures they were set against.

Ratios are to hand-written numpy in the same run, measured on a 2-core machine like the one
the suite runs on. The stated figures of other frameworks are those of the project's
performance issue (0.0 where it states none); PyTorch eager and jax.jit are also measured
in the same run when the optional ``bench-peers`` extra is installed.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Target:
    """A target ratio and the reference ranges (low, high) of three other frameworks."""

    key: str
    label: str
    target: float
    pytorch: tuple[float, float]
    autograd: tuple[float, float]
    mygrad: tuple[float, float]
    extra: str = ""


TARGETS = {
    t.key: t
    for t in (
        Target("W1", "W1 float64, with-logits", 0.8, (1.56, 1.56), (0.0, 0.0), (0.0, 0.0),
               "jax.jit 0.79x (stated)"),
        Target("W1-sigmoid", "W1 float64, sigmoid + BCE", 1.0, (1.70, 1.70), (0.0, 0.0),
               (0.0, 0.0), "jax.jit 0.85x (stated)"),
        Target("W1-compiled", "W1 compiled / eager (same rounds)", 1.0, (0.0, 0.0),
               (0.0, 0.0), (0.0, 0.0), "the compiled step no slower than the eager one"),
        Target("W2", "W2 MLP step, eager", 2.0, (3.71, 3.71), (5.94, 5.94), (4.65, 4.65),
               "jax.jit 1.34x (stated)"),
        Target("W2-compiled", "W2 MLP step, compiled", 1.0, (3.71, 3.71), (5.94, 5.94),
               (4.65, 4.65), "jax.jit 1.34x (stated)"),
        Target("W3", "W3 deep chain, time per node", 3.5, (6.2, 10.2), (15.0, 42.0),
               (18.0, 78.0), "below PyTorch eager, and flat from 1e3 to 1e6 nodes"),
        Target("W4-forward", "W4 per op, forward", 3.0, (7.2, 7.2), (123.0, 123.0),
               (69.0, 69.0)),
        Target("W4-backward", "W4 per op, backward", 3.5, (9.5, 9.5), (16.0, 16.0),
               (17.0, 17.0)),
        Target("W5", "W5 extra peak memory", 1.3, (2.9, 4.1), (0.0, 0.0), (0.0, 0.0)),
    )
}
"""Target key -> :class:`Target`, in the order of the table (stated figures: issue 12)."""
