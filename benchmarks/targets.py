"""The project's performance targets and the reference figures they were set against.

Ratios are to hand-written numpy in the same run, measured on a 2-core machine like the one
the suite runs on. The frameworks are not installed here (none is a dependency); their
figures are the ranges stated in the project's performance issue.
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
        Target("W1", "W1 float64, with-logits", 1.0, (0.80, 1.07), (1.18, 1.43), (1.14, 1.36),
               "and not slower than PyTorch eager when both are measured in one run"),
        Target("W2", "W2 MLP step", 1.3, (2.05, 2.18), (4.1, 5.4), (3.3, 3.6)),
        Target("W3", "W3 deep chain, time per node", 3.5, (7.1, 12.0), (20.0, 44.0),
               (22.0, 68.0), "and linear up to 1e6 nodes"),
        Target("W4-forward", "W4 per op, forward", 2.5, (4.2, 5.6), (69.0, 82.0), (35.0, 50.0)),
        Target("W4-backward", "W4 per op, backward", 2.5, (4.6, 6.9), (13.0, 16.0),
               (12.0, 16.0)),
        Target("W5", "W5 extra peak memory", 1.3, (2.4, 4.4), (1.2, 2.0), (3.4, 4.0)),
    )
}
"""Target key -> :class:`Target`, in the order of the table."""
