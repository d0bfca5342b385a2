"""``tinygrad-lr graph``: draw the lecture's logistic-regression graph to a file.

    tinygrad-lr graph                          # graph.svg, forward view with grads
    tinygrad-lr graph --view lecture -o board.png --dpi 200
    tinygrad-lr graph --view backward -o backward.pdf
    tinygrad-lr graph --view steps -o steps.html   # the board, step by step, and the update
    tinygrad-lr graph --view steps --iterations 5 --lr 0.5 -o descent.html
    tinygrad-lr graph --view batch --examples 4 -o batch.html   # the m-example board
    tinygrad-lr graph --view batch --data examples.csv --rows -o batch.png
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

from .options import finite_float

VIEWS = ("forward", "backward", "lecture", "steps", "batch")


def _positive(kind):
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if not (math.isfinite(value) and value > 0):
            raise argparse.ArgumentTypeError(f"expected a finite number > 0, got {text}")
        return value
    return parse


def register(subparsers) -> None:
    """Add the ``graph`` subcommand."""
    parser = subparsers.add_parser(
        "graph",
        help="draw the lecture's computation graph (forward, backward, lecture view, steps)",
        description=(
            "Build the single-example logistic-regression graph z = w1*x1 + w2*x2 + b, "
            "a = sigmoid(z), L = L(a, y), run backward, and draw it. The file's suffix "
            "picks the format: .svg .png .pdf .dot (and .html for --view steps, a page "
            "stepping through the lecture's board: forward, backward and the update "
            "w := w - lr*dw)."
        ),
    )
    parser.add_argument("--view", choices=VIEWS, default="forward",
                        help="what to draw (default: forward)")
    parser.add_argument("-o", "--output", type=Path, default=None,
                        help="file to write (default: graph.svg, or graph_steps.html)")
    for name, default in (("x1", 1.0), ("x2", 2.0), ("y", 1.0), ("w1", 0.5), ("w2", -0.2),
                          ("b", 0.1)):
        parser.add_argument(f"--{name}", type=finite_float, default=default,
                            help=f"value of {name} (default: {default})")
    parser.add_argument("--no-backward", action="store_true",
                        help="draw the forward pass only (no gradients)")
    parser.add_argument("--precision", type=int, default=4,
                        help="significant digits of numbers (default: 4)")
    parser.add_argument("--formulas", action="store_true",
                        help="show each op's local derivative (always on in the backward view)")
    parser.add_argument("--lr", type=_positive(float), default=0.1,
                        help="learning rate α of the update step in --view steps (default: 0.1)")
    parser.add_argument("--iterations", type=_positive(int), default=1,
                        help="gradient-descent iterations on the --view steps page (default: 1)")
    batch = parser.add_argument_group(
        "the m-example board (--view batch)",
        "The lecture's vectorised board J = (1/m)·Σ L(A, Y). As .html: the for-loop over the "
        "examples, then the board step by step with the update; any other suffix draws the "
        "board after backward.")
    batch.add_argument("--examples", type=_positive(int), default=4, metavar="M",
                       help="how many examples to make up (2 to 12; the first is the "
                            "lecture's x = (1, 2), y = 1; default: 4)")
    batch.add_argument("--data", type=Path, default=None, metavar="CSV",
                       help="read the examples from a CSV file with a header: the feature "
                            "columns, then the label column last (labels in [0, 1])")
    batch.add_argument("--rows", action="store_true",
                       help="examples as rows, Z = X@w + b (default: as columns, "
                            "Z = wᵀX + b, as the lecture writes it)")
    batch.add_argument("--no-loop", action="store_true",
                       help="leave out the for-loop frames before the vectorised board")
    parser.add_argument("--dpi", type=_positive(float), default=None,
                        help="resolution of a .png (default: Graphviz's 96; 200 for slides)")
    parser.set_defaults(func=run)


def run(args) -> int:
    """Build the graph, draw it, print where it went; exit code 2 when it cannot draw."""
    from .. import viz

    if not 0.0 <= args.y <= 1.0:
        print(f"tinygrad-lr graph: --y must be a label in [0, 1], got {args.y}", file=sys.stderr)
        return 2
    if args.view == "batch":
        return _run_batch(args, viz)
    steps = args.view == "steps"
    output = args.output or Path("graph_steps.html" if steps else "graph.svg")
    values = {k: getattr(args, k) for k in ("x1", "x2", "y", "w1", "w2", "b")}
    tensors = viz.lecture_example(**values, backward=not (args.no_backward or steps))
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
            if args.dpi is not None:
                print("tinygrad-lr graph: --dpi is for .png pictures, not the steps page",
                      file=sys.stderr)
                return 2
            if args.iterations > 1:
                page = viz.gradient_descent(_lecture_builder(tensors), lr=args.lr,
                                            iterations=args.iterations, **options)
                written = page.save(output)
            else:
                written = viz.step_through_html(loss, output, view="lecture", lr=args.lr,
                                                **options)
        else:
            written = viz.render(loss, output, view=args.view, dpi=args.dpi, **options)
    except (viz.RendererNotFoundError, ValueError, OSError) as error:
        return _refused(error, viz, "graph.dot")
    print(f"wrote {written}")
    return 0


def _refused(error: Exception, viz, dot_name: str) -> int:
    """Say why nothing was drawn (with the DOT-text way out when no renderer is found)."""
    hint = f"\n(Or write DOT text: -o {dot_name})" if isinstance(
        error, viz.RendererNotFoundError) else ""
    print(f"tinygrad-lr graph: {error}{hint}", file=sys.stderr)
    return 2


def _run_batch(args, viz) -> int:
    """The m-example board: a page (.html) or a picture of the board after backward."""
    from .csv_table import CsvError, numeric_columns, read_table

    output = args.output or Path("batch_steps.html")
    try:
        if args.data is not None:
            table = read_table(args.data)
            if len(table.header) < 2:
                raise CsvError(f"{args.data}: needs feature columns and a label column (last)")
            values = numeric_columns(table, table.header)
            X, Y = values[:, :-1], values[:, -1]
        else:
            X, Y = viz.batch.lecture_examples(args.examples)
        w = [args.w1, args.w2][: X.shape[1]] + [0.0] * max(0, X.shape[1] - 2)
        options = {"precision": args.precision}
        if output.suffix.lower() in (".html", ".htm"):
            page = viz.batch_steps(X, Y, w, args.b, columns=not args.rows, lr=args.lr,
                                   loop=not args.no_loop, precision=args.precision)
            written = page.save(output)
        else:
            tensors = viz.batch_example(X, Y, w, args.b, columns=not args.rows)
            written = viz.render(tensors["J"], output, view="lecture", dpi=args.dpi, **options)
    except (viz.RendererNotFoundError, ValueError, OSError) as error:
        return _refused(error, viz, "batch.dot")
    print(f"wrote {written}")
    return 0


def _lecture_builder(tensors):
    """A function rebuilding the lecture's graph from the current w1, w2, b."""
    import tinygrad_lr as tg

    def build():
        t = tensors
        z = t["w1"] * t["x1"] + t["w2"] * t["x2"] + t["b"]
        z.name = "z"
        a = z.sigmoid()
        a.name = "a"
        loss = tg.binary_cross_entropy(a, t["y"])
        loss.name = "L"
        return loss

    return build
