"""The lecture's single example: logistic regression as a computation graph.

Forward:  z = w1*x1 + w2*x2 + b,  a = sigmoid(z),  L = -(y log a + (1-y) log(1-a))
Backward: da = -y/a + (1-y)/(1-a),  dz = a - y,  dw1 = x1*dz,  dw2 = x2*dz,  db = dz

Builds the graph with the engine, runs backward, and prints the engine's gradients beside
the hand-derived ones. Run it with:  python examples/lecture_example.py
"""

import argparse

import tinygrad_lr as tg
import tinygrad_lr.functional as F


def script_arguments(description: str) -> argparse.Namespace:
    """The command line: none but ``--help``, which prints what the script shows."""
    return argparse.ArgumentParser(description=description).parse_args()


def main() -> None:
    x1, x2, y = 1.0, 2.0, 1.0
    w1 = tg.Tensor(0.5, requires_grad=True, name="w1")
    w2 = tg.Tensor(-0.2, requires_grad=True, name="w2")
    b = tg.Tensor(0.1, requires_grad=True, name="b")

    z = w1 * x1 + w2 * x2 + b
    a = z.sigmoid()
    loss = F.binary_cross_entropy(a, y)
    loss.backward(retain_grads=True)  # keep da and dz on the intermediate nodes

    av = a.item()
    dz = av - y
    hand = {
        "da": -y / av + (1 - y) / (1 - av),
        "dz": dz,
        "dw1": x1 * dz,
        "dw2": x2 * dz,
        "db": dz,
    }
    assert (a.grad is not None and z.grad is not None and w1.grad is not None
            and w2.grad is not None and b.grad is not None)  # backward reached them all
    engine = {
        "da": a.grad.item(),
        "dz": z.grad.item(),
        "dw1": w1.grad.item(),
        "dw2": w2.grad.item(),
        "db": b.grad.item(),
    }
    print(f"forward:  z = {z.item():.6f}   a = {av:.6f}   L = {loss.item():.6f}")
    print(f"{'':6}{'hand-derived':>16}{'engine':>16}{'abs diff':>12}")
    for key, value in hand.items():
        print(f"{key:6}{value:16.10f}{engine[key]:16.10f}{abs(value - engine[key]):12.1e}")


if __name__ == "__main__":
    script_arguments(str(__doc__).splitlines()[0])
    main()
