"""``tinygrad-lr train``: fit logistic regression on a CSV file and save the model.

    tinygrad-lr train data.csv --target label -o model.safetensors
    tinygrad-lr train data.csv --target label --solver newton --l2 0.01 --standardize
    tinygrad-lr train big.csv --target label --solver newton --chunk-rows 100000
"""

from __future__ import annotations

import sys
import tempfile
import time
import warnings
from pathlib import Path

from ..models import LogisticRegression, StandardScaler, save_model
from ..models.logistic_regression import SOLVERS
from ..models.persistence import writable_model_path
from .csv_chunks import csv_to_memmap, standardize_in_place
from .csv_table import CsvError, label_column, numeric_columns, read_table
from .options import non_negative_float, non_negative_int, positive_float, positive_int
from .progress import ProgressBar


def register(subparsers) -> None:
    """Add the ``train`` subcommand."""
    parser = subparsers.add_parser(
        "train",
        help="fit logistic regression on a CSV file and save the model",
        description=(
            "Read DATA (CSV with a header row), learn to predict the --target column (numbers "
            "or text labels) from every other column (all must be numbers), and save the "
            "model as a .safetensors file holding only tensors and text. The output path is "
            "checked before training starts."
        ),
    )
    parser.add_argument("data", type=Path, metavar="DATA.csv", help="training data")
    parser.add_argument("--target", required=True, metavar="COLUMN",
                        help="name of the label column")
    parser.add_argument("-o", "--output", type=Path, default=Path("model.safetensors"),
                        help="model file to write; .safetensors is added to a name without "
                             "an extension (default: model.safetensors)")
    parser.add_argument("--solver", choices=SOLVERS, default="gd",
                        help="the lecture's gd, sgd (momentum) or adam, or an exact solver: "
                             "newton, lbfgs (needs scipy), auto (newton, or lbfgs for over "
                             "1000 parameters) (default: gd)")
    parser.add_argument("--lr", type=positive_float, default=None,
                        help="learning rate (default: per solver, see docs)")
    parser.add_argument("--l2", type=non_negative_float, default=1e-2,
                        help="L2 penalty l2/2*||w||^2 on the mean loss (default: 0.01)")
    parser.add_argument("--max-iter", type=positive_int, default=1000,
                        help="maximum epochs (default: 1000)")
    parser.add_argument("--batch-size", type=positive_int, default=None,
                        help="mini-batch size (default: the full batch)")
    parser.add_argument("--tol", type=non_negative_float, default=1e-4,
                        help="convergence tolerance (default: 1e-4)")
    parser.add_argument("--seed", type=non_negative_int, default=0,
                        help="seed for mini-batch order (default: 0)")
    parser.add_argument("--standardize", action="store_true",
                        help="scale every feature to mean 0, std 1 (stored in the model file)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument("--chunk-rows", type=positive_int, default=None, metavar="N",
                        help="read the CSV N rows at a time into a float64 file in TMPDIR "
                             "and fit on a memory map of it (for files beyond memory)")
    parser.set_defaults(func=run)


def run(args) -> int:
    """Train, save, report; exit status 2 on bad input."""
    try:
        if args.chunk_rows is None:
            table = read_table(args.data)
            labels = label_column(table, args.target)
            features = [name for name in table.header if name != args.target]
            if not features:
                raise CsvError(
                    f"{args.data}: no feature columns besides the target '{args.target}'")
            X = numeric_columns(table, features)
            scaler = StandardScaler().fit(X) if args.standardize else None
            inputs = scaler.transform(X) if scaler is not None else X
        else:  # removed with the object, when run returns
            scratch = tempfile.TemporaryDirectory(prefix="tinygrad-lr-train-")
            X, labels, features = csv_to_memmap(args.data, args.target, args.chunk_rows,
                                                scratch.name)
            scaler = standardize_in_place(X) if args.standardize else None
            inputs = X
        output = writable_model_path(args.output)  # fail now, not after a long training
        model = LogisticRegression(lr=args.lr, max_iter=args.max_iter, batch_size=args.batch_size,
                                   solver=args.solver, l2=args.l2, tol=args.tol,
                                   random_state=args.seed)
        start = time.perf_counter()
        with warnings.catch_warnings(record=True) as caught, \
                ProgressBar(args.max_iter, "training", enabled=not args.quiet) as bar:
            warnings.simplefilter("always")
            model.fit(inputs, labels, callback=bar.update)
        seconds = time.perf_counter() - start
        path = save_model(output, model, scaler=scaler, feature_names=features,
                          target=args.target)
    except (ValueError, FloatingPointError, OSError) as error:
        print(f"tinygrad-lr train: {error}", file=sys.stderr)
        return 2
    for warning in caught:
        hint = "" if args.standardize else " (--standardize scales the features for you)"
        print(f"warning: {warning.message}{hint}", file=sys.stderr)
    print(f"trained on {len(X)} rows x {len(features)} features, classes "
          f"{model.classes_.tolist()} ({args.solver}, {model.n_iter_[0]} "
          f"{'steps' if model.solver_ in ('newton', 'lbfgs') else 'epochs'}, {seconds:.2f} s)")
    print(f"final loss {model.history_[-1]:.6f}   training accuracy "
          f"{model.score(inputs, labels):.4f}")
    print(f"wrote {path}")
    return 0
