"""Regenerate the pictures in docs/visualization.md (run from the repository root):

    python docs/make_images.py

Needs the Graphviz ``dot`` program (PNG output). Every picture is drawn from a graph built
here, so the documentation always shows what the code draws today.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

import tinygrad_lr as tg
import tinygrad_lr.functional as F
from tinygrad_lr import viz

OUT = Path(__file__).resolve().parent / "images"


def batch_logistic_regression():
    """Four examples, two features: the vectorised lecture graph."""
    rng = np.random.default_rng(0)
    X = tg.Tensor(rng.standard_normal((4, 2)), name="X")
    y = tg.Tensor(np.array([1.0, 0.0, 1.0, 1.0]), name="y")
    w = tg.Tensor(np.array([0.5, -0.2]), requires_grad=True, name="w")
    b = tg.Tensor(0.1, requires_grad=True, name="b")
    z = X @ w + b
    z.name = "z"
    a = z.sigmoid()
    a.name = "a"
    loss = F.binary_cross_entropy(a, y)
    loss.name = "L"
    return viz.backprop(loss)


def mlp(layers=2, width=3, seed=0):
    """A small MLP with PyTorch-style parameter names (fc1.weight ...)."""
    rng = np.random.default_rng(seed)
    h = tg.Tensor(rng.standard_normal((5, 2)), name="X")
    fan_in = 2
    for i in range(1, layers + 1):
        out = 1 if i == layers else width
        w = tg.Tensor(rng.standard_normal((fan_in, out)) * 0.5, requires_grad=True,
                      name=f"fc{i}.weight")
        b = tg.zeros(out, requires_grad=True, name=f"fc{i}.bias")
        h = h @ w + b
        h = h.relu() if i < layers else h
        fan_in = out
    y = tg.Tensor(np.array([[1.0], [0.0], [1.0], [0.0], [1.0]]), name="y")
    loss = F.binary_cross_entropy_with_logits(h, y)
    loss.name = "L"
    return viz.backprop(loss)


def main() -> int:
    if "dot" not in viz.renderers():
        print("docs/make_images.py needs the Graphviz 'dot' program", file=sys.stderr)
        return 1
    OUT.mkdir(exist_ok=True)
    lecture = viz.lecture_example()["L"]
    pictures = {
        "lecture_forward.png": (lecture, {}),
        "lecture_backward.png": (lecture, {"view": "backward"}),
        "lecture_board.png": (lecture, {"view": "lecture"}),
        "lecture_before_backward.png": (viz.lecture_example(backward=False)["L"], {}),
        "batch_logistic_regression.png": (batch_logistic_regression(), {"shapes": True}),
        "mlp.png": (mlp(), {"rankdir": "TB"}),
        "large_collapsed.png": (mlp(layers=1000, width=4), {}),
    }
    for name, (tensor, options) in pictures.items():
        print("wrote", viz.render(tensor, OUT / name, **options))
    frames = viz.backward_frames(viz.lecture_example(backward=False)["L"])
    print("wrote", frames[3].render(OUT / "lecture_step3.png"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
