"""``tinygrad-lr graph``: draw the lecture's logistic-regression graph to a file.

    tinygrad-lr graph                          # graph.svg, forward view with grads
    tinygrad-lr graph --view lecture -o board.png
    tinygrad-lr graph --view backward -o backward.pdf
    tinygrad-lr graph --view steps -o steps.html   # step-through page
"""

from __future__ import annotations

import sys
from pathlib import Path

VIEWS = ("forward", "backward", "lecture", "steps")


def register(subparsers) -> None:
    """Add the ``graph`` subcommand."""
    parser = subparsers.add_parser(
        "graph",
        help="draw the lecture's computation graph (forward, backward, lecture view, steps)",
        description=(
            "Build the single-example logistic-regression graph z = w1*x1 + w2*x2 + b, "
            "a = sigmoid(z), L = L(a, y), run backward, and draw it. The file's suffix "
            "picks the format: .svg .png .pdf .dot (and .html for --view steps)."
        ),
    )
    parser.add_argument("--view", choices=VIEWS, default="forward",
                        help="what to draw (default: forward)")
    parser.add_argument("-o", "--output", type=Path, default=None,
                        help="file to write (default: graph.svg, or graph_steps.html)")
    for name, default in (("x1", 1.0), ("x2", 2.0), ("y", 1.0), ("w1", 0.5), ("w2", -0.2),
                          ("b", 0.1)):
        parser.add_argument(f"--{name}", type=float, default=default,
                            help=f"value of {name} (default: {default})")
    parser.add_argument("--no-backward", action="store_true",
                        help="draw the forward pass only (no gradients)")
    parser.add_argument("--precision", type=int, default=4,
                        help="significant digits of numbers (default: 4)")
    parser.add_argument("--formulas", action="store_true",
                        help="show each op's local derivative (always on in the backward view)")
    parser.set_defaults(func=run)


def run(args) -> int:
    """Build the graph, draw it, print where it went; exit code 2 when it cannot draw."""
    from .. import viz

    if not 0.0 <= args.y <= 1.0:
        print(f"tinygrad-lr graph: --y must be a label in [0, 1], got {args.y}", file=sys.stderr)
        return 2
    steps = args.view == "steps"
    output = args.output or Path("graph_steps.html" if steps else "graph.svg")
    tensors = viz.lecture_example(x1=args.x1, x2=args.x2, y=args.y, w1=args.w1, w2=args.w2,
                                  b=args.b, backward=not (args.no_backward or steps))
    loss = tensors["L"]
    options = {"precision": args.precision}
    if args.formulas:
        options["formulas"] = True
    try:
        if steps:
            if args.no_backward:
                print("tinygrad-lr graph: --view steps shows the backward pass; drop "
                      "--no-backward", file=sys.stderr)
                return 2
            written = viz.step_through_html(loss, output, **options)
        else:
            written = viz.render(loss, output, view=args.view, **options)
    except viz.RendererNotFoundError as error:
        print(f"tinygrad-lr graph: {error}\n(Or write DOT text: -o graph.dot)", file=sys.stderr)
        return 2
    except (ValueError, OSError) as error:
        print(f"tinygrad-lr graph: {error}", file=sys.stderr)
        return 2
    print(f"wrote {written}")
    return 0
