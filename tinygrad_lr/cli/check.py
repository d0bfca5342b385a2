"""``tinygrad-lr check``: the lecture's single example, hand-derived beside the engine.

    tinygrad-lr check
    tinygrad-lr check --x1 3 --x2 -1 --w1 0.2 --w2 0.4 --b -0.5 --y 0
    tinygrad-lr check --loss logits
    tinygrad-lr check --softmax            # three classes: dZ = A − Y with one-hot Y
"""

from __future__ import annotations

import sys

from ..models.derivation import LECTURE_EXAMPLE, SOFTMAX_EXAMPLE, check_example, check_softmax
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
        if name == "y":
            continue
        parser.add_argument(f"--{name}", type=float, default=default,
                            help=f"value of {name} (default: {default})")
    parser.add_argument("--y", type=float, default=None,
                        help=f"the label: 0 or 1 (default: {_DEFAULTS['y']:g}); with --softmax "
                             f"the class index 0, 1 or 2 (default: {SOFTMAX_EXAMPLE['y']})")
    parser.add_argument("--softmax", action="store_true",
                        help="three classes instead: z = x·W + b (W 2x3, b of 3), a = "
                             "softmax(z), L = -log a_y; then dz = a - y (y one-hot), "
                             "dW = x^T dz, db = dz. --x1, --x2 and --y apply; W and b are "
                             f"fixed (W = {SOFTMAX_EXAMPLE['W']}, b = {SOFTMAX_EXAMPLE['b']})")
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
        if args.softmax:
            changed = [f"--{name}" for name in ("w1", "w2", "b")
                       if getattr(args, name) != _DEFAULTS[name]]
            if changed:
                raise ValueError(f"{', '.join(changed)} set the binary example; --softmax "
                                 "uses the fixed W and b shown by --help")
            y = SOFTMAX_EXAMPLE["y"] if args.y is None else args.y
            table = check_softmax([[args.x1, args.x2]], SOFTMAX_EXAMPLE["W"],
                                  SOFTMAX_EXAMPLE["b"], [y])
            header = (f"x1={args.x1:g}  x2={args.x2:g}  W={SOFTMAX_EXAMPLE['W']}  "
                      f"b={SOFTMAX_EXAMPLE['b']}  y={y:g} (class index)")
        else:
            y = _DEFAULTS["y"] if args.y is None else args.y
            table = check_example([args.x1, args.x2], [args.w1, args.w2], args.b, y,
                                  loss=args.loss)
            header = (f"x1={args.x1:g}  x2={args.x2:g}  w1={args.w1:g}  w2={args.w2:g}  "
                      f"b={args.b:g}  y={y:g}")
    except ValueError as error:
        print(f"tinygrad-lr check: {error}", file=sys.stderr)
        return 2
    print(header)
    print(table)
    if table.max_abs_diff > args.tol:
        print(f"MISMATCH: max abs diff {table.max_abs_diff:.1e} > tol {args.tol:g}",
              file=sys.stderr)
        return 1
    print(f"engine and hand-derived agree (tol {args.tol:g})")
    return 0
