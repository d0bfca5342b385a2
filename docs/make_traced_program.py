"""Draw docs/images/traced_program.png: the lecture's step as a traced program.

    python docs/make_traced_program.py      # needs Graphviz's dot

The lecture's single example (x1 = 1, x2 = 2, y = 1; w1 = 0.5, w2 = -0.2, b = 0.1), traced
by ``tg.value_and_grad``: the forward pass and the backward pass the registered rules
recorded, after the trace-time clean-up, as the program every later call replays.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import tinygrad_lr as tg
import tinygrad_lr.functional as F
from tinygrad_lr.viz import backends
from tinygrad_lr.viz.program import program_dot

OUT = Path(__file__).resolve().parent / "images" / "traced_program.png"


def lecture_loss(params, x1, x2, y):
    """J = L(σ(w1·x1 + w2·x2 + b), y), the lecture's graph."""
    w1, w2, b = params
    z = w1 * x1 + w2 * x2 + b
    return F.binary_cross_entropy(z.sigmoid(), y)


def traced_program():
    """The program of the lecture's step (traced on the lecture's numbers)."""
    step = tg.value_and_grad(lecture_loss)
    params = [tg.Tensor(0.5, name="w1"), tg.Tensor(-0.2, name="w2"), tg.Tensor(0.1, name="b")]
    step(params, np.array(1.0), np.array(2.0), np.array(1.0))
    return step.program()


def main() -> None:
    program = traced_program()
    # the compiler knows no pictures: viz reads the program and draws it
    dot = program_dot(program, title="the lecture's step, traced: J and ∂J/∂(w1, w2, b)")
    backends.write(dot, OUT)
    print(program.source)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
