"""``tinygrad-lr predict``: apply a saved model to the rows of a CSV file.

    tinygrad-lr predict model.safetensors data.csv                 # CSV to stdout
    tinygrad-lr predict model.safetensors data.csv -o predictions.csv
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

from ..models import load_model
from .csv_table import CsvError, numeric_columns, optional_label_column, read_table, same_labels


def register(subparsers) -> None:
    """Add the ``predict`` subcommand."""
    parser = subparsers.add_parser(
        "predict",
        help="predict the class of every row of a CSV file with a saved model",
        description=(
            "Load MODEL (written by 'tinygrad-lr train'; loading never runs code from the "
            "file), read the feature columns it was trained on from DATA (other columns are "
            "ignored) and write one line per row: the predicted class and the probability "
            "of the second class (of every class when there are three or more). If DATA "
            "also has the target column, the accuracy on its non-empty cells is reported on "
            "stderr (labels compare by value: 1 and 1.0 are the same class)."
        ),
    )
    parser.add_argument("model", type=Path, metavar="MODEL.safetensors", help="saved model")
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
        X = saved.predict_input(numeric_columns(table, names))
        probabilities = model.predict_proba(X)
        predictions = model.predict(X)
        truth = (optional_label_column(table, saved.target)
                 if saved.target is not None and saved.target in table.header else None)
        classes = model.classes_.tolist()
        shown = classes[1:] if len(classes) == 2 else classes
        columns = range(1, 2) if len(classes) == 2 else range(len(classes))
        if args.output is not None:
            handle = open(args.output, "w", newline="")
        else:
            handle = sys.stdout
        try:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(["prediction", *(f"probability_{label}" for label in shown)])
            for label, row in zip(predictions.tolist(), probabilities[:, columns]):
                writer.writerow([label, *(f"{p:.6f}" for p in row)])
        finally:
            if handle is not sys.stdout:
                handle.close()
    except BrokenPipeError:
        raise  # the reader of our output went away: cli.main exits quietly
    except (ValueError, OSError) as error:
        print(f"tinygrad-lr predict: {error}", file=sys.stderr)
        return 2
    if truth is not None:
        print(_accuracy_report(saved.target, predictions, *truth), file=sys.stderr)
    if args.output is not None:
        print(f"wrote {args.output}", file=sys.stderr)
    return 0


def _accuracy_report(target: str, predictions, labels, present) -> str:
    """One line: the accuracy on the rows with a label, and how many rows had none."""
    skipped = int((~present).sum())
    note = (f"; {skipped} row{'s' if skipped != 1 else ''} with an empty '{target}' cell "
            "skipped" if skipped else "")
    if not present.any():
        return f"no accuracy: every '{target}' cell is empty"
    accuracy = same_labels(predictions[present], labels).mean()
    return (f"accuracy on the '{target}' column: {accuracy:.4f} ({int(present.sum())} rows"
            f"{note})")
