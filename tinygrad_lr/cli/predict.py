"""``tinygrad-lr predict``: apply a saved model to the rows of a CSV file.

    tinygrad-lr predict model.npz data.csv                 # CSV to stdout
    tinygrad-lr predict model.npz data.csv -o predictions.csv
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

from ..models import load_model
from .csv_table import CsvError, label_column, numeric_columns, read_table


def register(subparsers) -> None:
    """Add the ``predict`` subcommand."""
    parser = subparsers.add_parser(
        "predict",
        help="predict the class of every row of a CSV file with a saved model",
        description=(
            "Load MODEL (written by 'tinygrad-lr train'; loading never runs code from the "
            "file), read the feature columns it was trained on from DATA (other columns are "
            "ignored) and write one line per row: the predicted class and the probability "
            "of the second class. If DATA also has the target column, the accuracy is "
            "reported on stderr."
        ),
    )
    parser.add_argument("model", type=Path, metavar="MODEL.npz", help="saved model")
    parser.add_argument("data", type=Path, metavar="DATA.csv", help="rows to predict")
    parser.add_argument("-o", "--output", type=Path, default=None,
                        help="CSV file to write (default: standard output)")
    parser.set_defaults(func=run)


def run(args) -> int:
    """Predict and write the CSV; exit status 2 on a bad model or data file."""
    try:
        saved = load_model(args.model)
        model = saved.model
        table = read_table(args.data)
        names = saved.feature_names
        if names is None:
            names = [h for h in table.header if h != saved.target]
            if len(names) != model.n_features_in_:
                raise CsvError(
                    f"{args.data}: the model expects {model.n_features_in_} feature columns, "
                    f"found {len(names)}"
                )
        X = numeric_columns(table, names)
        probabilities = model.predict_proba(saved.predict_input(X))[:, 1]
        predictions = model.classes_[(probabilities > 0.5).astype(int)]
        truth = (label_column(table, saved.target)
                 if saved.target is not None and saved.target in table.header else None)
        if args.output is not None:
            handle = open(args.output, "w", newline="")
        else:
            handle = sys.stdout
        try:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(["prediction", f"probability_{model.classes_[1]}"])
            for label, probability in zip(predictions.tolist(), probabilities):
                writer.writerow([label, f"{probability:.6f}"])
        finally:
            if handle is not sys.stdout:
                handle.close()
    except (ValueError, OSError) as error:
        print(f"tinygrad-lr predict: {error}", file=sys.stderr)
        return 2
    if truth is not None:
        accuracy = (predictions.astype(str) == truth.astype(str)).mean()
        print(f"accuracy on the '{saved.target}' column: {accuracy:.4f} ({len(X)} rows)",
              file=sys.stderr)
    if args.output is not None:
        print(f"wrote {args.output}", file=sys.stderr)
    return 0
