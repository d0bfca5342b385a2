"""``tinygrad-lr train --chunk-rows N``: the CSV streamed into a memory map gives the model
(and scaler) of reading it whole, for the exact solvers to 1e-8."""

import csv
import tempfile
from pathlib import Path

import numpy as np
import pytest

from tinygrad_lr.cli import main
from tinygrad_lr.datasets import load_breast_cancer
from tinygrad_lr.models import load_model


@pytest.fixture
def three_class_csv(tmp_path):
    """300 rows of the embedded data, three text labels, a blank line inside."""
    X, y, names = load_breast_cancer()
    labels = np.where(y[:300] == 1, "M", np.where(X[:300, 0] > 14.0, "B-large", "B"))
    path = tmp_path / "train.csv"
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["diagnosis", *names])
        for i, (x, label) in enumerate(zip(X[:300], labels)):
            writer.writerow([label, *(repr(float(v)) for v in x)])
            if i == 100:
                writer.writerow([])
    return path


def _train(capsys, tmp_path, data, name, *options):
    out = tmp_path / name
    code = main(["train", str(data), "--target", "diagnosis", "--quiet", "-o", str(out),
                 *options])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return load_model(out), captured.out


@pytest.mark.parametrize("solver", ["newton", "lbfgs"])
def test_chunked_training_equals_reading_the_whole_file(capsys, tmp_path, three_class_csv,
                                                        solver):
    if solver == "lbfgs":
        pytest.importorskip("scipy")
    options = ["--solver", solver, "--standardize", "--tol", "1e-8"]
    whole, whole_out = _train(capsys, tmp_path, three_class_csv, "whole.npz", *options)
    chunked, chunked_out = _train(capsys, tmp_path, three_class_csv, "chunked.npz", *options,
                                  "--chunk-rows", "37")
    assert chunked.model.classes_.tolist() == whole.model.classes_.tolist() == [
        "B", "B-large", "M"]
    np.testing.assert_allclose(chunked.scaler.mean_, whole.scaler.mean_, rtol=1e-14)
    np.testing.assert_allclose(chunked.scaler.scale_, whole.scaler.scale_, rtol=1e-13)
    np.testing.assert_allclose(chunked.model.coef_, whole.model.coef_, rtol=0, atol=1e-8)
    np.testing.assert_allclose(chunked.model.intercept_, whole.model.intercept_, rtol=0,
                               atol=1e-8)
    assert chunked.feature_names == whole.feature_names
    assert "trained on 300 rows x 30 features" in chunked_out
    assert chunked_out.splitlines()[1] == whole_out.splitlines()[1]  # loss and accuracy


def test_chunked_training_leaves_no_scratch_file(capsys, tmp_path, three_class_csv,
                                                 monkeypatch):
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    _train(capsys, tmp_path, three_class_csv, "m.npz", "--solver", "newton", "--chunk-rows",
           "50")
    assert list(scratch.iterdir()) == []


def test_chunked_training_errors_name_the_line(capsys, tmp_path):
    data = Path(tmp_path / "bad.csv")
    data.write_text("a,diagnosis\n1,x\n2,y\nzz,x\n", encoding="utf-8")
    code = main(["train", str(data), "--target", "diagnosis", "--chunk-rows", "2", "-o",
                 str(tmp_path / "m.npz")])
    assert code == 2
    assert "line 4, column 'a': 'zz' is not a number" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["train", str(data), "--target", "diagnosis", "--chunk-rows", "0"])
    assert "expected a positive integer" in capsys.readouterr().err
