"""W4: per-op overhead on shape-(4,) tensors: ``c = a*b + c`` 10,000 times, one backward.

Arrays this small cost numpy about a microsecond per op, so the ratio is the engine's
per-op bookkeeping. The numpy backward is the hand-derived chain rule done node by node:
through each ``add`` the gradient passes unchanged, and each ``mul`` adds ``g*b`` to
``a``'s gradient and ``g*a`` to ``b``'s.
"""

from __future__ import annotations

import numpy as np

import tinygrad_lr as tg

from .. import peers
from ..rows import Row
from ..timing import summarize, time_once

OPS_PER_ITERATION = 2


def operands(seed: int = 0):
    """The three shape-(4,) float64 arrays a, b, c0."""
    rng = np.random.default_rng(seed)
    return tuple(rng.standard_normal(4) for _ in range(3))


class EngineLoop:
    """Builds the graph (``forward``), then runs its backward (``backward``).

    >>> loop = EngineLoop(iterations=3)
    >>> loop.forward(); loop.backward()
    >>> loop.a.grad.tolist() == (3 * loop.b.data).tolist()
    True
    """

    def __init__(self, iterations: int = 10_000):
        a, b, c = operands()
        self.iterations = iterations
        self.a = tg.Tensor(a, requires_grad=True)
        self.b = tg.Tensor(b, requires_grad=True)
        self.c0 = tg.Tensor(c, requires_grad=True)
        self.seed = np.ones(4)
        self.out = None

    def forward(self) -> None:
        """Record ``iterations`` multiply-adds."""
        a, b, c = self.a, self.b, self.c0
        for _ in range(self.iterations):
            c = a * b + c
        self.out = c

    def backward(self) -> None:
        """One backward through the recorded graph (fresh gradients each time)."""
        for t in (self.a, self.b, self.c0):
            t.grad = None
        self.out.backward(self.seed)


class TorchLoop(EngineLoop):
    """The same loop in PyTorch eager (only when installed: the ``bench-peers`` extra).

    jax.jit would compile the loop away, and eager jax is not a peer here.
    """

    def __init__(self, a, b, c, iterations: int):
        torch = peers.torch_threads(small_arrays=True)
        self.iterations = iterations
        self.a = torch.tensor(a, requires_grad=True)
        self.b = torch.tensor(b, requires_grad=True)
        self.c0 = torch.tensor(c, requires_grad=True)
        self.seed = torch.ones(len(a), dtype=torch.float64)
        self.out = None


class NumpyLoop:
    """The same forward in numpy and the hand-derived backward, node by node.

    >>> loop = NumpyLoop(iterations=3)
    >>> loop.forward(); loop.backward()
    >>> bool(np.allclose(loop.grad_a, 3 * loop.b))
    True
    """

    def __init__(self, iterations: int = 10_000):
        self.a, self.b, self.c0 = operands()
        self.iterations = iterations
        self.out = self.grad_a = self.grad_b = self.grad_c0 = None

    def forward(self) -> None:
        """``iterations`` multiply-adds."""
        a, b, c = self.a, self.b, self.c0
        for _ in range(self.iterations):
            c = a * b + c
        self.out = c

    def backward(self) -> None:
        """Walk the iterations in reverse, accumulating the gradients of a and b."""
        a, b = self.a, self.b
        grad_c = np.ones(4)
        grad_a = np.zeros(4)
        grad_b = np.zeros(4)
        for _ in range(self.iterations):
            grad_a = grad_a + grad_c * b
            grad_b = grad_b + grad_c * a
        self.grad_a, self.grad_b, self.grad_c0 = grad_a, grad_b, grad_c


def _time_phases(side) -> tuple[float, float]:
    """Seconds for one forward and one backward of ``side`` (the old graph freed first)."""
    side.out = None
    forward = time_once(side.forward)
    backward = time_once(side.backward)
    return forward, backward


def measure(scale) -> list[Row]:
    """Microseconds per op, forward and backward, engine against numpy.

    Each round records a fresh graph and runs its backward once (a backward releases the
    graph, as a user's does); freeing the previous graph happens outside the timed regions.
    """
    iterations = scale.w4_iterations
    ops = OPS_PER_ITERATION * iterations
    sides = {"engine": EngineLoop(iterations), "numpy": NumpyLoop(iterations)}
    if "pytorch" in peers.available():
        sides["pytorch"] = TorchLoop(*operands(), iterations)
    for side in sides.values():
        _time_phases(side)  # warm-up
    timings = {name: [] for name in sides}
    names = list(sides)
    for round_index in range(scale.rounds):
        shift = round_index % len(names)
        for name in names[shift:] + names[:shift]:
            timings[name].append(_time_phases(sides[name]))
    case = f"shape (4,), c = a*b + c × {iterations:,}"
    rows = []
    for phase, metric, key in ((0, "time per op, forward", "W4-forward"),
                               (1, "time per op, backward", "W4-backward")):
        numpy_times = [t[phase] for t in timings["numpy"]]
        row = Row.from_comparison(
            "W4", case, metric, summarize([t[phase] for t in timings["engine"]], numpy_times,
                                          per=ops), target_key=key, ops=ops)
        if "pytorch" in sides:
            row.add_other("pytorch", summarize([t[phase] for t in timings["pytorch"]],
                                               numpy_times, per=ops))
        rows.append(row)
    return rows
