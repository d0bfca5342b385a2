"""Draw the lecture's step as a traced program, before and after the rewrite rules.

    python docs/make_traced_program.py      # needs Graphviz's dot

The lecture's single example (x1 = 1, x2 = 2, y = 1; w1 = 0.5, w2 = -0.2, b = 0.1), traced
by ``tg.value_and_grad``: the forward pass and the backward pass the registered rules
recorded, after the trace-time clean-up, as the program every later call replays
(docs/images/traced_program.png, the rewrite rules applied), and the same program traced
with the rules switched off (docs/images/traced_program_before_rewrites.png).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import tinygrad_lr as tg
import tinygrad_lr.functional as F
from tinygrad_lr.compiler import rewrite
from tinygrad_lr.viz import backends
from tinygrad_lr.viz.program import program_dot

OUT = Path(__file__).resolve().parent / "images" / "traced_program.png"
BEFORE = OUT.with_name("traced_program_before_rewrites.png")


def lecture_loss(params, x1, x2, y):
    """J = L(σ(w1·x1 + w2·x2 + b), y), the lecture's graph."""
    w1, w2, b = params
    z = w1 * x1 + w2 * x2 + b
    return F.binary_cross_entropy(z.sigmoid(), y)


def traced_program(rules: bool = True):
    """The program of the lecture's step (traced on the lecture's numbers), with the
    rewrite rules applied or not."""
    step = tg.value_and_grad(lecture_loss)
    params = [tg.Tensor(0.5, name="w1"), tg.Tensor(-0.2, name="w2"), tg.Tensor(0.1, name="b")]
    before, rewrite.enabled = rewrite.enabled, rules
    try:
        step(params, np.array(1.0), np.array(2.0), np.array(1.0))
    finally:
        rewrite.enabled = before
    return step.program()


def main() -> None:
    for rules, out, title in (
            (True, OUT, "the lecture's step, traced and rewritten: J and ∂J/∂(w1, w2, b)"),
            (False, BEFORE, "the lecture's step, traced, before the rewrite rules")):
        program = traced_program(rules)
        # the compiler knows no pictures: viz reads the program and draws it
        backends.write(program_dot(program, title=title), out)
        print(program.source)
        print(f"wrote {out}")


if __name__ == "__main__":
    main()
