"""The project's performance targets and the reference figures they were set against.

Ratios are to hand-written numpy in the same run, measured on a 2-core machine like the one
the suite runs on. The stated figures of other frameworks are those of the project's
performance issue (0.0 where it states none); PyTorch eager and jax.jit are also measured
in the same run when the optional ``bench-peers`` dependency group is installed.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Target:
    """A target and the reference ranges (low, high) that issue states for three other
    frameworks.

    ``target`` is the largest ratio to numpy the project aims for (or, with ``unit`` "",
    the largest value of a plain figure such as a growth exponent); ``below`` names a peer
    whose ratio measured in the same rounds must also be beaten, where it was measured;
    ``chart`` is False for figures that are not ratios to numpy.
    """

    key: str
    label: str
    target: float
    pytorch: tuple[float, float]
    autograd: tuple[float, float]
    mygrad: tuple[float, float]
    extra: str = ""
    below: str | None = None
    unit: str = "x"
    chart: bool = True


TARGETS = {
    t.key: t
    for t in (
        Target("W1", "W1 float64, with-logits", 0.8, (1.56, 1.56), (0.0, 0.0), (0.0, 0.0),
               "jax.jit 0.79x (stated)"),
        Target("W1-sigmoid", "W1 float64, sigmoid + BCE", 1.0, (1.70, 1.70), (0.0, 0.0),
               (0.0, 0.0), "jax.jit 0.85x (stated)"),
        Target("W1-compiled", "W1 compiled / eager (same rounds)", 1.0, (0.0, 0.0),
               (0.0, 0.0), (0.0, 0.0), "the compiled step no slower than the eager one"),
        Target("W1-compiled-logits", "W1 compiled, with-logits (float64 and float32)", 0.6,
               (0.0, 0.0), (0.0, 0.0), (0.0, 0.0), "the floor is the two mat-vecs, ~0.52x",
               below="jax"),
        Target("W1-compiled-sigmoid", "W1 compiled, sigmoid + BCE (float64 and float32)", 0.6,
               (0.0, 0.0), (0.0, 0.0), (0.0, 0.0), "the floor is the two mat-vecs, ~0.52x",
               below="jax"),
        Target("W2", "W2 MLP step, eager", 2.0, (3.71, 3.71), (5.94, 5.94), (4.65, 4.65),
               "jax.jit 1.34x (stated)"),
        Target("W2-compiled", "W2 MLP step, compiled", 0.9, (3.71, 3.71), (5.94, 5.94),
               (4.65, 4.65), "jax.jit 1.34x (stated)"),
        Target("W3", "W3 affine chain, time per node", 3.5, (6.2, 10.2), (15.0, 42.0),
               (18.0, 78.0), "below PyTorch eager, and flat from 1e3 to 1e6 nodes",
               below="pytorch"),
        Target("W3-tanh", "W3 tanh chain, time per node", 3.5, (3.2, 3.7), (5.6, 7.4),
               (9.5, 17.0), "below PyTorch eager, and flat from 1e3 to 1e6 nodes",
               below="pytorch"),
        Target("W3-growth", "W3 growth of total time with L (1 = flat per node)", 1.05,
               (0.0, 0.0), (0.0, 0.0), (0.0, 0.0),
               "flat: the time per node grows by at most 1.41x over 1e3 … 1e6",
               unit="", chart=False),
        Target("W4-forward", "W4 per op, forward", 3.0, (7.2, 7.2), (123.0, 123.0),
               (69.0, 69.0)),
        Target("W4-backward", "W4 per op, backward", 3.5, (9.5, 9.5), (16.0, 16.0),
               (17.0, 17.0)),
        Target("W5", "W5 extra peak memory, with-logits", 1.3, (4.1, 4.1), (0.0, 0.0),
               (0.0, 0.0), "jax.jit 69x (stated)"),
        Target("W5-sigmoid", "W5 extra peak memory, sigmoid + BCE", 1.3, (2.9, 2.9),
               (0.0, 0.0), (0.0, 0.0), "jax.jit 34x (stated)"),
        Target("W5-compiled", "W5 extra peak memory, compiled, with-logits", 1.3, (0.0, 0.0),
               (0.0, 0.0), (0.0, 0.0), "the first (tracing) call included"),
        Target("W5-compiled-sigmoid", "W5 extra peak memory, compiled, sigmoid + BCE", 1.3,
               (0.0, 0.0), (0.0, 0.0), (0.0, 0.0), "the first (tracing) call included"),
    )
}
"""Target key -> :class:`Target`, in the order of the table (stated figures: issue 12)."""
