"""The tinygrad-lr command line: demo, check, train, predict (run in-process through main(),
plus one real subprocess each for the console script and ``python -m``)."""

import builtins
import csv
import math
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest

from tinygrad_lr.cli import main
from tinygrad_lr.datasets import breast_cancer_path, load_breast_cancer
from tinygrad_lr.models import LogisticRegression, StandardScaler, load_model


def run_cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# ----------------------------------------------------------------------------------- help
@pytest.mark.parametrize("command", ["demo", "check", "train", "predict"])
def test_every_subcommand_has_help(capsys, command):
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    assert f"usage: tinygrad-lr {command}" in capsys.readouterr().out


def test_top_level_help_lists_the_subcommands(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for command in ("demo", "check", "train", "predict"):
        assert command in out


def test_module_and_console_script_run_check():
    module = subprocess.run([sys.executable, "-m", "tinygrad_lr", "check"], capture_output=True,
                            text=True, check=True)
    assert "dz = a − y" in module.stdout
    script = shutil.which("tinygrad-lr", path=str(__import__("pathlib").Path(sys.executable)
                                                   .parent))
    if script is None:
        pytest.skip("the tinygrad-lr console script is not installed next to this Python")
    result = subprocess.run([script, "check", "--loss", "logits"], capture_output=True,
                            text=True, check=True)
    assert "agree" in result.stdout


# ---------------------------------------------------------------------------------- check
def _value(out, quantity):
    """The hand-derived and engine numbers of a row of the check table."""
    for line in out.splitlines():
        if line.startswith(quantity + " "):
            numbers = re.findall(r"-?\d+\.\d{12}", line)
            return float(numbers[0]), float(numbers[1])
    raise AssertionError(f"no row {quantity!r} in:\n{out}")


def test_check_prints_the_lecture_example_step_by_step(capsys):
    code, out, _ = run_cli(capsys, "check")
    assert code == 0
    a = 1 / (1 + math.exp(-0.2))
    expected = {"z": 0.2, "a": a, "L": -math.log(a), "da": -1 / a, "dz": a - 1,
                "dw1": a - 1, "dw2": 2 * (a - 1), "db": a - 1}
    for quantity, value in expected.items():
        hand, engine = _value(out, quantity)
        assert hand == pytest.approx(value, abs=1e-11)
        assert engine == pytest.approx(value, abs=1e-11)
    assert out.index("forward") < out.index("z = w·x + b") < out.index("backward")
    assert out.index("L = ") < out.index("da = ")


def test_check_options_change_the_example(capsys):
    code, out, _ = run_cli(capsys, "check", "--x1", "3", "--x2", "-1", "--w1", "0.2", "--w2",
                           "0.4", "--b", "-0.5", "--y", "0")
    assert code == 0
    z = 0.2 * 3 + 0.4 * -1 - 0.5
    a = 1 / (1 + math.exp(-z))
    assert _value(out, "z")[1] == pytest.approx(z, abs=1e-12)
    assert _value(out, "dw1")[1] == pytest.approx(3 * a, abs=1e-12)
    assert _value(out, "da")[1] == pytest.approx(1 / (1 - a), abs=1e-11)


def test_check_errors_and_mismatch_status(capsys):
    code, _, err = run_cli(capsys, "check", "--y", "2")
    assert code == 2 and "y must lie in [0, 1]" in err
    code, out, err = run_cli(capsys, "check", "--w1", "40", "--y", "0")
    assert code == 1 and "MISMATCH" in err and "'logits' form" in out
    with pytest.raises(SystemExit):
        main(["check", "--tol", "-1"])
    assert "expected a number >= 0" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["check", "--x1", "abc"])
    assert "invalid float value: 'abc'" in capsys.readouterr().err


# ----------------------------------------------------------------------------------- demo
def test_demo_trains_reports_and_writes_its_files(capsys, tmp_path):
    code, out, err = run_cli(capsys, "demo", "--output-dir", str(tmp_path))
    assert code == 0
    assert "training (gd)" in err  # the progress bar
    assert "569 rows x 30 features" in out and "CC BY 4.0" in out
    test_accuracy = float(re.search(r"test accuracy\s+(\d\.\d+)", out).group(1))
    final_loss = float(re.search(r"objective\s+(\d\.\d+)", out).group(1))
    saved = load_model(tmp_path / "model.safetensors")
    X, y, _ = load_breast_cancer()
    assert saved.feature_names[0] == "mean radius" and saved.target == "malignant"
    assert saved.model.history_[-1] == pytest.approx(final_loss, abs=1e-6)
    assert test_accuracy > 0.95
    assert out.count("max abs diff") == 2
    diffs = [float(d) for d in re.findall(r"max abs diff: (\S+)", out)]
    assert max(diffs) <= 1e-12
    assert (tmp_path / "loss_curve.png").read_bytes()[:4] == b"\x89PNG"
    graphs = [p for p in tmp_path.iterdir() if p.stem == "graph"]
    assert len(graphs) == 1 and graphs[0].stat().st_size > 0
    assert "done in" in out


def _block_import(monkeypatch, *names):
    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name.split(".")[0] in names or name in names:
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)


def test_demo_without_tqdm_and_matplotlib(capsys, tmp_path, monkeypatch):
    _block_import(monkeypatch, "tqdm", "matplotlib")
    code, out, err = run_cli(capsys, "demo", "--output-dir", str(tmp_path), "--solver", "newton")
    assert code == 0
    assert re.search(r"training \(newton\) \[[#-]+\] \d+/\d+ loss", err)  # the text bar
    assert "loss curve skipped: matplotlib is not installed" in out
    assert not (tmp_path / "loss_curve.png").exists()


def test_demo_falls_back_to_dot_without_a_renderer(capsys, tmp_path, monkeypatch):
    viz = pytest.importorskip("tinygrad_lr.viz")
    real_render = viz.render

    def render(tensor, path, **options):
        if str(path).endswith(".svg"):
            raise viz.RendererNotFoundError("no renderer in this test")
        return real_render(tensor, path, **options)

    monkeypatch.setattr(viz, "render", render)
    code, out, _ = run_cli(capsys, "demo", "--output-dir", str(tmp_path), "--no-progress",
                           "--solver", "newton")
    assert code == 0 and "DOT text: no Graphviz renderer found" in out
    assert (tmp_path / "graph.dot").read_text().startswith("digraph")


def test_demo_bad_options(capsys, tmp_path):
    with pytest.raises(SystemExit) as exit_info:
        main(["demo", "--output-dir", str(tmp_path), "--lr", "-1"])
    assert exit_info.value.code == 2
    assert "argument --lr: expected a number > 0, got -1" in capsys.readouterr().err
    blocker = tmp_path / "file"
    blocker.write_text("")
    code, _, err = run_cli(capsys, "demo", "--output-dir", str(blocker / "sub"), "--no-progress",
                           "--solver", "newton")
    assert code == 2 and "cannot create" in err


# -------------------------------------------------------------------------- train/predict
def write_csv(path, header, rows):
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture
def cancer_csv(tmp_path):
    """The first 300 rows of the embedded data with text labels."""
    X, y, names = load_breast_cancer()
    rows = [[repr(float(v)) for v in x] + ["M" if label else "B"]
            for x, label in zip(X[:300], y[:300])]
    return write_csv(tmp_path / "train.csv", [*names, "diagnosis"], rows)


def test_train_then_predict_round_trip(capsys, tmp_path, cancer_csv):
    model_path = tmp_path / "model.npz"
    code, out, err = run_cli(capsys, "train", str(cancer_csv), "--target", "diagnosis",
                             "--solver", "newton", "--standardize", "-o", str(model_path))
    assert code == 0, err
    assert "trained on 300 rows x 30 features, classes ['B', 'M']" in out
    assert f"wrote {model_path}" in out
    X, y, _ = load_breast_cancer()
    labels = np.where(y[:300] == 1, "M", "B")
    scaler = StandardScaler().fit(X[:300])
    # train's --l2 defaults to the lecture's λ = 0.01
    reference = LogisticRegression(solver="newton", l2=1e-2).fit(scaler.transform(X[:300]),
                                                                 labels)
    saved = load_model(model_path)
    np.testing.assert_allclose(saved.model.coef_, reference.coef_, rtol=1e-12)

    predictions = tmp_path / "predictions.csv"
    code, _, err = run_cli(capsys, "predict", str(model_path), str(cancer_csv), "-o",
                           str(predictions))
    assert code == 0, err
    with open(predictions) as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["prediction", "probability_M"]
    assert [r[0] for r in rows[1:]] == reference.predict(scaler.transform(X[:300])).tolist()
    np.testing.assert_allclose([float(r[1]) for r in rows[1:]],
                               reference.predict_proba(scaler.transform(X[:300]))[:, 1],
                               atol=1e-6)
    accuracy = reference.score(scaler.transform(X[:300]), labels)
    assert f"accuracy on the 'diagnosis' column: {accuracy:.4f} (300 rows)" in err


def test_predict_to_stdout_ignores_extra_columns(capsys, tmp_path, cancer_csv):
    model_path = tmp_path / "model.npz"
    assert run_cli(capsys, "train", str(cancer_csv), "--target", "diagnosis", "--quiet",
                   "-o", str(model_path))[0] == 0
    with open(cancer_csv) as handle:
        rows = list(csv.reader(handle))
    shuffled = write_csv(tmp_path / "new.csv", ["id", *rows[0][::-1]],
                         [[str(i), *r[::-1]] for i, r in enumerate(rows[1:6])])
    code, out, err = run_cli(capsys, "predict", str(model_path), str(shuffled))
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "prediction,probability_M" and len(lines) == 6


def test_train_on_the_embedded_file(capsys, tmp_path):
    code, out, _ = run_cli(capsys, "train", str(breast_cancer_path()), "--target", "malignant",
                           "--standardize", "--quiet", "-o", str(tmp_path / "m"))
    assert code == 0 and "classes [0, 1]" in out and (tmp_path / "m.safetensors").exists()
    accuracy = float(re.search(r"training accuracy (\d\.\d+)", out).group(1))
    assert accuracy > 0.97


@pytest.mark.parametrize("content, message", [
    ("a,b,y\n1,2,0\n3,x,1\n", r"line 3, column 'b': 'x' is not a number"),
    ("a,b,y\n1,2,0\n3,4\n", r"line 3: 2 cells, but the header has 3 columns"),
    ("a,b,y\n1,,0\n3,4,1\n", r"line 2, column 'b': empty cell \(missing value\)"),
    ("a,b,y\n1,nan,0\n3,4,1\n", r"line 2, column 'b': 'nan' is not a finite number"),
    ("a,b,y\n1,2,\n3,4,1\n", r"line 2, column 'y': empty label"),
    ("a,a,y\n1,2,0\n", r"names column\(s\) \['a'\] more than once"),
    ("a,,y\n1,2,0\n", r"header column 2 has no name"),
    ("a,b,y\n", r"no data rows"),
    ("", r"the file is empty"),
    ("a,b,label\n1,2,0\n3,4,1\n", r"no target column 'y'; the columns are 'a', 'b', 'label'"),
    ("y\n0\n1\n", r"no feature columns besides the target 'y'"),
    ("a,y\n1,0\n2,0\n", r"only 1 class \(0\)"),
    ("a,y\n1,0\n2,0.5\n", r"Unknown label type: continuous"),
])
def test_train_csv_errors_name_the_line_and_column(capsys, tmp_path, content, message):
    data = tmp_path / "data.csv"
    data.write_text(content)
    code, _, err = run_cli(capsys, "train", str(data), "--target", "y", "-o",
                           str(tmp_path / "m.npz"), "--quiet")
    assert code == 2
    assert re.search(message, err), err
    assert err.startswith("tinygrad-lr train: ")
    assert not (tmp_path / "m.npz").exists()


def test_train_reports_missing_file_and_bad_options(capsys, tmp_path):
    code, _, err = run_cli(capsys, "train", str(tmp_path / "none.csv"), "--target", "y")
    assert code == 2 and "none.csv: no such file" in err
    data = write_csv(tmp_path / "d.csv", ["a", "y"], [[0, 0], [1, 1]])
    for option, value, message in (("--l2", "-1", "expected a number >= 0, got -1"),
                                   ("--max-iter", "0", "expected a positive integer, got 0"),
                                   ("--batch-size", "x", "expected a positive integer, got 'x'"),
                                   ("--tol", "nan", "expected a finite number, got 'nan'"),
                                   ("--lr", "abc", "expected a number, got 'abc'")):
        with pytest.raises(SystemExit):
            main(["train", str(data), "--target", "y", option, value])
        assert f"argument {option}: {message}" in capsys.readouterr().err
    code, _, err = run_cli(capsys, "train", str(data), "--target", "y", "--solver", "newton",
                           "--batch-size", "1", "--quiet")
    assert code == 2 and "solver='newton' always uses the full batch" in err
    with pytest.raises(SystemExit):
        main(["train", str(data), "--target", "y", "--solver", "liblinear"])
    assert "invalid choice: 'liblinear'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["train", str(data)])
    assert "--target" in capsys.readouterr().err


def test_train_shows_convergence_warnings(capsys, tmp_path):
    data = write_csv(tmp_path / "d.csv", ["a", "y"], [[0, 0], [1, 1], [2, 0], [3, 1]])
    code, _, err = run_cli(capsys, "train", str(data), "--target", "y", "--max-iter", "2",
                           "--quiet", "-o", str(tmp_path / "m.npz"))
    assert code == 0 and "warning: LogisticRegression did not converge" in err


def test_predict_errors(capsys, tmp_path, cancer_csv):
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"\x00\x01 not a model")
    code, _, err = run_cli(capsys, "predict", str(garbage), str(cancer_csv))
    assert code == 2 and "not a tinygrad-lr model file" in err
    model_path = tmp_path / "model.npz"
    run_cli(capsys, "train", str(cancer_csv), "--target", "diagnosis", "--quiet", "-o",
            str(model_path))
    partial = write_csv(tmp_path / "partial.csv", ["mean radius", "diagnosis"], [[1.0, "M"]])
    code, _, err = run_cli(capsys, "predict", str(model_path), str(partial))
    assert code == 2 and "no column 'mean texture'" in err
    code, _, err = run_cli(capsys, "predict", str(tmp_path / "missing.npz"), str(cancer_csv))
    assert code == 2 and "no such model file" in err


# --------------------------------------------------------------------- robustness (issue 13)
def _train(capsys, tmp_path, header, rows, *extra):
    data = write_csv(tmp_path / "train.csv", header, rows)
    model_path = tmp_path / "model.npz"
    code, out, err = run_cli(capsys, "train", str(data), "--target", "y", "--solver",
                             "newton", "--quiet", "-o", str(model_path), *extra)
    assert code == 0, err
    return model_path


def _separable_rows(labels, n=20):
    """Rows (x, label): x < 0 has the first label, x > 0 the second."""
    return [[f"{x:.3f}", labels[int(x > 0)]] for x in np.linspace(-2, 2, n)]


@pytest.mark.parametrize("trained, scored", [(("0.0", "1.0"), ("0", "1")),
                                             (("2", "5"), ("2.0", "5.0")),
                                             (("5.0", "2.0"), ("5", "2"))])
def test_predict_compares_labels_by_value_not_text(capsys, tmp_path, trained, scored):
    """A model trained on 0.0/1.0 scored against 0/1 reported accuracy 0.0000."""
    model_path = _train(capsys, tmp_path, ["x", "y"], _separable_rows(trained))
    test = write_csv(tmp_path / "test.csv", ["x", "y"], _separable_rows(scored, n=10))
    code, out, err = run_cli(capsys, "predict", str(model_path), str(test))
    assert code == 0, err
    predicted = [line.split(",")[0] for line in out.splitlines()[1:]]
    truth = [row[1] for row in _separable_rows(scored, n=10)]
    expected = np.mean([float(p) == float(t) for p, t in zip(predicted, truth)])
    assert expected == 1.0  # separable: every prediction is right
    assert "accuracy on the 'y' column: 1.0000 (10 rows)" in err


def test_predict_skips_rows_with_an_empty_target_cell(capsys, tmp_path):
    """An empty cell in the optional target column used to refuse the whole file."""
    model_path = _train(capsys, tmp_path, ["x", "y"], _separable_rows(("no", "yes")))
    rows = _separable_rows(("no", "yes"), n=10)
    rows[0][1] = rows[7][1] = " "
    rows[3][1] = "yes" if rows[3][1] == "no" else "no"  # one wrong label among the 8 kept
    test = write_csv(tmp_path / "test.csv", ["x", "y"], rows)
    code, out, err = run_cli(capsys, "predict", str(model_path), str(test))
    assert code == 0, err
    assert len(out.splitlines()) == 11  # every row is still predicted
    assert ("accuracy on the 'y' column: 0.8750 (8 rows; 2 rows with an empty 'y' cell "
            "skipped)") in err
    for row in rows:
        row[1] = ""
    empty = write_csv(tmp_path / "empty.csv", ["x", "y"], rows)
    code, _, err = run_cli(capsys, "predict", str(model_path), str(empty))
    assert code == 0 and "no accuracy: every 'y' cell is empty" in err


def test_train_checks_the_output_path_before_training(capsys, tmp_path, monkeypatch):
    data = write_csv(tmp_path / "d.csv", ["x", "y"], _separable_rows((0, 1)))

    def must_not_train(*args, **kwargs):
        raise AssertionError("trained although the output path cannot be written")

    monkeypatch.setattr(LogisticRegression, "fit", must_not_train)
    code, _, err = run_cli(capsys, "train", str(data), "--target", "y", "--quiet", "-o",
                           str(tmp_path / "missing" / "m.npz"))
    assert code == 2
    assert err.startswith("tinygrad-lr train: cannot write the model file ")
    assert "missing does not exist" in err and len(err.splitlines()) == 1
    (tmp_path / "folder.npz").mkdir()
    code, _, err = run_cli(capsys, "train", str(data), "--target", "y", "--quiet", "-o",
                           str(tmp_path / "folder.npz"))
    assert code == 2 and "it is a folder" in err


def test_train_output_suffix_is_case_insensitive(capsys, tmp_path):
    """-o m.NPZ used to write m.NPZ.npz."""
    data = write_csv(tmp_path / "d.csv", ["x", "y"], _separable_rows((0, 1)))
    code, out, _ = run_cli(capsys, "train", str(data), "--target", "y", "--solver", "newton",
                           "--quiet", "-o", str(tmp_path / "m.NPZ"))
    assert code == 0 and f"wrote {tmp_path / 'm.NPZ'}" in out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.csv", "m.NPZ"]


@pytest.mark.parametrize("command", ["train", "demo"])
def test_negative_seed_names_the_option(capsys, tmp_path, command):
    """--seed -5 used to fail inside numpy with 'expected non-negative integer'."""
    data = write_csv(tmp_path / "d.csv", ["x", "y"], _separable_rows((0, 1)))
    argv = [command, "--seed", "-5"] + (["--target", "y", str(data)] if command == "train"
                                        else ["--output-dir", str(tmp_path)])
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert "argument --seed: expected a non-negative integer, got -5" in capsys.readouterr().err


def test_check_still_refuses_infinite_inputs(capsys):
    code, _, err = run_cli(capsys, "check", "--x1", "inf")
    assert code == 2 and "NaN or infinity" in err


def _hostile_model_files(tmp_path):
    from model_files import fake_fitted, raw_file, rewritten, split_file

    from tinygrad_lr.models import save_model

    good = save_model(tmp_path / "good.npz", fake_fitted([0, 1], 30))
    yield "old format", b"PK\x03\x04" + bytes(100)
    deep = rewritten(good, tmp_path / "deep", raw_metadata={"classes": "[" * 100_000})
    yield "deep metadata", deep.read_bytes()
    header, data = split_file(good)
    yield "huge header", raw_file(header, data, length=2**40)
    header["coef"]["shape"] = [2**28]
    yield "lying shape", raw_file(header, data)
    damaged = bytearray(good.read_bytes())
    damaged[-20] ^= 0xFF
    yield "flipped byte", bytes(damaged)


def test_predict_reports_a_bad_model_file_in_one_line(capsys, tmp_path, cancer_csv):
    """Each of these used to print a 25-line traceback."""
    for name, content in _hostile_model_files(tmp_path):
        bad = tmp_path / f"{name}.npz"
        bad.write_bytes(content)
        code, out, err = run_cli(capsys, "predict", str(bad), str(cancer_csv))
        assert code == 2 and out == "", name
        assert len(err.splitlines()) == 1 and err.startswith("tinygrad-lr predict: "), err


def test_predict_into_a_closed_pipe_exits_quietly(tmp_path):
    """`predict ... | head -1` used to report '[Errno 32] Broken pipe' with exit status 2."""
    rows = [[f"{x:.4f}", int(x > 0)] for x in np.linspace(-3, 3, 20_000)]
    data = write_csv(tmp_path / "big.csv", ["x", "y"], rows)
    from model_files import fake_fitted

    from tinygrad_lr.models import save_model

    model_path = save_model(tmp_path / "model.npz", fake_fitted([0, 1], 1),
                            feature_names=["x"], target="y")
    child = subprocess.Popen([sys.executable, "-m", "tinygrad_lr", "predict", str(model_path),
                              str(data)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert child.stdout.readline() == b"prediction,probability_1\n"
    child.stdout.close()  # what `head -1` does after its line
    code = child.wait(timeout=120)
    err = child.stderr.read().decode()
    child.stderr.close()
    assert code in (0, 141) and err == "", (code, err)


def test_train_and_predict_k_classes_with_text_labels(capsys, tmp_path):
    """Three text classes: columns and predictions come from the model's classes_."""
    rows = [[f"{x:.3f}", ["low", "mid", "high"][min(int((x + 3) // 2), 2)]]
            for x in np.linspace(-2.9, 2.9, 60)]
    data = write_csv(tmp_path / "k.csv", ["x", "y"], rows)
    model_path = tmp_path / "k.npz"
    code, out, err = run_cli(capsys, "train", str(data), "--target", "y", "--quiet", "-o",
                             str(model_path))
    if code == 2 and "binary" in err.lower():
        pytest.skip("the estimator handles two classes only (multinomial: issue 11)")
    assert code == 0, err
    assert "classes ['high', 'low', 'mid']" in out
    code, out, err = run_cli(capsys, "predict", str(model_path), str(data))
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "prediction,probability_high,probability_low,probability_mid"
    saved = load_model(model_path)
    X = np.array([[float(r[0])] for r in rows])
    assert [line.split(",")[0] for line in lines[1:]] == saved.model.predict(X).tolist()
    probabilities = np.array([[float(v) for v in line.split(",")[1:]] for line in lines[1:]])
    np.testing.assert_allclose(probabilities, saved.model.predict_proba(X), atol=1e-6)
