"""Regenerate the pictures in docs/visualization.md (run from the repository root):

    python docs/make_images.py

Needs the Graphviz ``dot`` program (PNG output). Every picture is drawn from a graph built
here, so the documentation always shows what the code draws today. The screenshots of the
step-through pages (as a projector shows them, at 1366×768 and 1920×1080) need Chromium;
without it they are left as they are.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
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


def batch_board(columns: bool = False):
    """The lecture's m-example graph: Z = X@w + b (rows), or Z = wᵀX + b (columns)."""
    X = np.array([[1.0, 2.0], [-1.0, 0.5], [2.0, -1.0], [0.0, -2.0]])
    Y = np.array([1.0, 0.0, 1.0, 0.0])
    b = tg.Tensor(0.1, requires_grad=True, name="b")
    if columns:
        w = tg.Tensor([[0.5], [-0.2]], requires_grad=True, name="w")
        Z = w.T @ tg.Tensor(X.T, name="X") + b
        Y = Y[None, :]
    else:
        w = tg.Tensor([0.5, -0.2], requires_grad=True, name="w")
        Z = tg.Tensor(X, name="X") @ w + b
    A = Z.sigmoid()
    J = F.binary_cross_entropy(A, tg.Tensor(Y, name="Y"))
    Z.name, A.name, J.name = "Z", "A", "J"
    return viz.backprop(J)


def lecture_builder(t):
    """Rebuilds the lecture graph from the current w1, w2, b (for gradient descent)."""
    def build():
        z = t["w1"] * t["x1"] + t["w2"] * t["x2"] + t["b"]
        a = z.sigmoid()
        z.name, a.name = "z", "a"
        loss = F.binary_cross_entropy(a, t["y"])
        loss.name = "L"
        return loss
    return build


# (page, what to do on it, picture name, width, height) of every screenshot the guide shows.
SCREENSHOTS = [
    ("lecture_steps.html", "show(0)", "lecture_steps_0_1366x768", 1366, 768),
    ("lecture_steps.html", "show(1)", "lecture_steps_1_1366x768", 1366, 768),
    ("lecture_steps.html", "show(5)", "lecture_steps_5_1366x768", 1366, 768),
    ("lecture_steps.html", "show(7)", "lecture_steps_7_1366x768", 1366, 768),
    ("lecture_steps.html", "show(9)", "lecture_steps_9_1366x768", 1366, 768),
    ("lecture_steps.html", "show(6)", "lecture_steps_6_1920x1080", 1920, 1080),
    ("lecture_steps.html", "show(6); s.predict(true); s.next()", "lecture_predict_1366x768",
     1366, 768),
    ("lecture_steps.html", "s.quiz(true); s.show(6); s.next(); "
     "document.getElementById('guess').value = '-0.9'; s.check('-0.9')",
     "lecture_quiz_wrong_1366x768", 1366, 768),
    ("descent_steps.html", "show(11)", "descent_steps_11_1366x768", 1366, 768),
    ("batch_steps.html", "show(2)", "batch_steps_loop_1366x768", 1366, 768),
    ("batch_steps.html", "show(4)", "batch_steps_loop_end_1366x768", 1366, 768),
    ("batch_steps.html", "show(11)", "batch_steps_11_1366x768", 1366, 768),
    ("batch_steps.html", "show(13)", "batch_steps_13_1366x768", 1366, 768),
    ("backward_steps.html", "show(5)", "backward_steps_5_1366x768", 1366, 768),
]


def screenshots() -> None:
    """Chromium screenshots of the step-through pages, one per entry of SCREENSHOTS."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("no chromium: the step-through screenshots are left as they are")
        return
    with tempfile.TemporaryDirectory() as scratch:
        for page, action, picture, width, height in SCREENSHOTS:
            text = (OUT / page).read_text(encoding="utf-8")
            action = action if action.startswith("s.") else f"s.{action}"
            shown = Path(scratch) / f"{picture}.html"
            shown.write_text(text.replace(
                "</body>", f"<script>var s = window.stepThrough; {action};</script></body>"),
                encoding="utf-8")
            name = OUT / f"{picture}.png"
            subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu",
                            "--hide-scrollbars", "--no-first-run",
                            "--disable-background-networking", "--disable-component-update",
                            "--disable-sync", f"--user-data-dir={Path(scratch) / 'profile'}",
                            f"--screenshot={name}", f"--window-size={width},{height}",
                            shown.as_uri()], check=True, capture_output=True, timeout=120)
            print("wrote", name)


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
    board = viz.backward_frames(viz.lecture_example(backward=False)["L"], view="lecture",
                                lr=0.1)
    print("wrote", board[-1].render(OUT / "lecture_update.png", dpi=110))
    print("wrote", viz.render(batch_board(), OUT / "batch_board.png", view="lecture"))
    print("wrote", viz.render(batch_board(columns=True), OUT / "batch_board_columns.png",
                              view="lecture"))
    print("wrote", viz.step_through_html(viz.lecture_example(backward=False)["L"],
                                         OUT / "lecture_steps.html", view="lecture", lr=0.1))
    descent = viz.gradient_descent(lecture_builder(viz.lecture_example(backward=False)),
                                   lr=0.5, iterations=3)
    print("wrote", descent.save(OUT / "descent_steps.html"))
    X, Y = viz.batch.lecture_examples(4)
    print("wrote", viz.batch_steps(X, Y, columns=True, lr=0.1).save(OUT / "batch_steps.html"))
    print("wrote", viz.step_through_html(viz.lecture_example(backward=False)["L"],
                                         OUT / "backward_steps.html", view="backward"))
    print("wrote", viz.render(lecture, OUT / "lecture_edges.png", view="lecture",
                              edge_grads=True))
    screenshots()
    return 0


if __name__ == "__main__":
    sys.exit(main())
