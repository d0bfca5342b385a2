"""``tinygrad-lr check``: the lecture's single example, hand-derived beside the engine.

    tinygrad-lr check
    tinygrad-lr check --x1 3 --x2 -1 --w1 0.2 --w2 0.4 --b -0.5 --y 0
    tinygrad-lr check --loss logits
"""

from __future__ import annotations

import sys

from ..models.derivation import LECTURE_EXAMPLE, check_example
from .options import non_negative_float

_DEFAULTS = {"x1": LECTURE_EXAMPLE["x"][0], "x2": LECTURE_EXAMPLE["x"][1],
             "w1": LECTURE_EXAMPLE["w"][0], "w2": LECTURE_EXAMPLE["w"][1],
             "b": LECTURE_EXAMPLE["b"], "y": LECTURE_EXAMPLE["y"]}


def register(subparsers) -> None:
    """Add the ``check`` subcommand."""
    parser = subparsers.add_parser(
        "check",
        help="the lecture's single example: hand-derived derivatives beside the engine's",
        description=(
            "Forward z = w1*x1 + w2*x2 + b, a = sigmoid(z), L = -(y log a + (1-y) log(1-a)); "
            "then backward. Prints z, a, L and da, dz, dw1, dw2, db as derived by hand "
            "(da = -y/a + (1-y)/(1-a), dz = a - y, dw_i = x_i*dz, db = dz) beside the values "
            "the engine's backward computes, with their difference."
        ),
    )
    for name, default in _DEFAULTS.items():
        parser.add_argument(f"--{name}", type=float, default=default,
                            help=f"value of {name} (default: {default})")
    parser.add_argument("--loss", choices=("sigmoid", "logits"), default="sigmoid",
                        help="'sigmoid': a = sigmoid(z) then L(a, y), the lecture's graph; "
                             "'logits': the fused L(z, y) used in training (default: sigmoid)")
    parser.add_argument("--tol", type=non_negative_float, default=1e-12,
                        help="exit with status 1 if any difference exceeds this "
                             "(default: 1e-12)")
    parser.set_defaults(func=run)


def run(args) -> int:
    """Print the table; exit status 1 if hand-derived and engine values disagree."""
    try:
        table = check_example([args.x1, args.x2], [args.w1, args.w2], args.b, args.y,
                              loss=args.loss)
    except ValueError as error:
        print(f"tinygrad-lr check: {error}", file=sys.stderr)
        return 2
    print(f"x1={args.x1:g}  x2={args.x2:g}  w1={args.w1:g}  w2={args.w2:g}  b={args.b:g}  "
          f"y={args.y:g}")
    print(table)
    if table.max_abs_diff > args.tol:
        print(f"MISMATCH: max abs diff {table.max_abs_diff:.1e} > tol {args.tol:g}",
              file=sys.stderr)
        return 1
    print(f"engine and hand-derived agree (tol {args.tol:g})")
    return 0
