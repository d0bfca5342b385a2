"""A small neural network on two-moons data: the same engine, now with a hidden layer.

    python examples/mlp_moons.py [--epochs 300] [--hidden 16]
    python examples/mlp_moons.py --plot boundary.png    # also draw the decision boundary

No straight line separates the two moons, so logistic regression stalls around 85-90%
accuracy; a two-layer MLP built from ``nn.Linear`` and ``nn.Tanh``, trained with
``optim.Adam`` on the binary cross-entropy of its logits, separates them.
``--plot FILE`` draws the MLP's decision boundary over the data (needs matplotlib:
``pip install "tinygrad-lr[plot]"``).
"""

import argparse

import numpy as np

import tinygrad_lr as tg
import tinygrad_lr.functional as F
from tinygrad_lr import nn, optim
from tinygrad_lr.datasets import make_moons, train_test_split
from tinygrad_lr.models import LogisticRegression


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=str(__doc__).splitlines()[0])
    parser.add_argument("--epochs", type=int, default=300)
    parser.add_argument("--hidden", type=int, default=16)
    parser.add_argument("--samples", type=int, default=400)
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--plot", metavar="FILE", default=None,
                        help="draw the decision boundary into FILE (PNG, SVG or PDF)")
    args = parser.parse_args(argv)

    X, y = make_moons(args.samples, noise=0.15, random_state=args.seed)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25,
                                                        random_state=args.seed)
    model = nn.Sequential(
        nn.Linear(2, args.hidden, seed=args.seed), nn.Tanh(),
        nn.Linear(args.hidden, args.hidden, seed=args.seed + 1), nn.Tanh(),
        nn.Linear(args.hidden, 1, seed=args.seed + 2),
    )
    optimizer = optim.Adam(model.parameters(), lr=args.lr)
    print(f"{sum(p.size for p in model.parameters())} parameters: "
          f"{', '.join(name for name, _ in model.named_parameters())}")

    losses = []
    for epoch in range(1, args.epochs + 1):
        optimizer.zero_grad()
        loss = F.binary_cross_entropy_with_logits(model(X_train).reshape(-1), y_train)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        if epoch == 1 or epoch % max(1, args.epochs // 5) == 0:
            print(f"epoch {epoch:4d}  loss {losses[-1]:.4f}")

    def accuracy(inputs, labels):
        return float(((model(inputs).reshape(-1).data > 0) == labels).mean())

    linear = LogisticRegression(solver="newton").fit(X_train, y_train)
    result = {"losses": losses, "mlp_test_accuracy": accuracy(X_test, y_test),
              "linear_test_accuracy": linear.score(X_test, y_test)}
    print(f"test accuracy: MLP {result['mlp_test_accuracy']:.3f}, "
          f"logistic regression {result['linear_test_accuracy']:.3f}")
    if args.plot:
        plot_decision_boundary(model, X_train, y_train, X_test, y_test, args.plot)
        print("wrote", args.plot)
    return result


def plot_decision_boundary(model, X_train, y_train, X_test, y_test, path, steps=200):
    """Shade where the model predicts each class, draw the 1/2 contour and the points.

    Returns the grid's probabilities σ(model(x)) as an array of shape (steps, steps).
    """
    import matplotlib

    matplotlib.use("Agg")  # files only: no window needed
    import matplotlib.pyplot as plt

    X = np.vstack([X_train, X_test])
    (x_lo, y_lo), (x_hi, y_hi) = X.min(axis=0) - 0.5, X.max(axis=0) + 0.5
    xs, ys = np.meshgrid(np.linspace(x_lo, x_hi, steps), np.linspace(y_lo, y_hi, steps))
    with tg.no_grad():  # prediction only: record no graph
        logits = model(np.column_stack([xs.ravel(), ys.ravel()])).numpy()
    probability = (1 / (1 + np.exp(-logits))).reshape(xs.shape)

    fig, ax = plt.subplots(figsize=(6, 4.5))
    ax.contourf(xs, ys, probability, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.6)
    ax.contour(xs, ys, probability, levels=[0.5], colors="black", linewidths=1.5)
    for label, color in ((0, "tab:blue"), (1, "tab:red")):
        ax.scatter(*X_train[y_train == label].T, s=12, c=color, label=f"class {label} (train)")
        ax.scatter(*X_test[y_test == label].T, s=24, c=color, marker="^", edgecolors="black",
                   linewidths=0.5, label=f"class {label} (test)")
    ax.set(title="MLP decision boundary on two moons (black line: p = 1/2)", xlabel="x1",
           ylabel="x2")
    ax.legend(loc="lower left", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return probability


if __name__ == "__main__":
    main()
