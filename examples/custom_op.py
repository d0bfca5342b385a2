"""A user-defined op in a few lines: softsign(x) = x / (1 + |x|).

Shows that one registration makes the op a function, a Tensor method, part of backward
(including second derivatives) and checkable with gradcheck, with no edit anywhere else.
Run it with:  python examples/custom_op.py
"""

import argparse

import numpy as np

import tinygrad_lr as tg


@tg.op("softsign", label="softsign", formula="∂y/∂x = 1/(1+|x|)²", method=True, replace=True)
class softsign:
    """x / (1 + |x|), elementwise."""

    @staticmethod  # optional; with it, type checkers read these as plain functions
    def forward(x):
        return x / (1 + np.abs(x))

    @staticmethod
    def backward(grad, out, x):
        return grad / (1 + abs(x)) ** 2


def script_arguments(description: str) -> argparse.Namespace:
    """The command line: none but ``--help``, which prints what the script shows."""
    return argparse.ArgumentParser(description=description).parse_args()


def main() -> None:
    x = tg.Tensor([-2.0, -0.5, 0.0, 1.5], requires_grad=True, name="x")
    y = x.softsign()  # also tg.softsign(x) and tinygrad_lr.functional.softsign(x)
    y.sum().backward()
    assert x.grad is not None
    print("softsign(x)   =", np.round(y.data, 6))
    print("d/dx (engine) =", np.round(x.grad.data, 6))
    print("1/(1+|x|)^2   =", np.round(1 / (1 + np.abs(x.data)) ** 2, 6))
    print("gradcheck:", tg.gradcheck(softsign, [x]))
    print("gradgradcheck:", tg.gradgradcheck(softsign, [x]))


if __name__ == "__main__":
    script_arguments(str(__doc__).splitlines()[0])
    main()
