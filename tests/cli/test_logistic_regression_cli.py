"""A multiclass model end to end: trained from a CSV with text labels by ``tinygrad-lr
train``, saved, loaded and used by ``tinygrad-lr predict``; a multiclass Pipeline saved
with save_model. The reference is the estimator fitted in-process."""

import csv

import numpy as np
import pytest

from tinygrad_lr.cli import main
from tinygrad_lr.models import LogisticRegression, StandardScaler, load_model, save_model

SPECIES = np.array(["ant", "bee", "cat"])


def three_classes(n=90, seed=0):
    rng = np.random.default_rng(seed)
    codes = np.arange(n) % 3
    centers = np.array([[0.0, 4.0, 1.0], [4.0, -2.0, 0.0], [-4.0, -2.0, -1.0]])
    return centers[codes] * [1.0, 10.0, 0.1] + rng.normal(size=(n, 3)), SPECIES[codes]


def write_csv(path, X, labels, target="species"):
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["length", "width", "depth", target])
        writer.writerows([[repr(float(v)) for v in row] + [label]
                          for row, label in zip(X, labels)])
    return path


@pytest.mark.parametrize("solver", ["auto", "gd"])
def test_multiclass_csv_trains_saves_loads_and_predicts(capsys, tmp_path, solver):
    X, labels = three_classes()
    data = write_csv(tmp_path / "train.csv", X, labels)
    model_path = tmp_path / "model.npz"
    assert main(["train", str(data), "--target", "species", "--standardize", "--solver",
                 solver, "--quiet", "-o", str(model_path)]) == 0
    out = capsys.readouterr().out
    assert "classes ['ant', 'bee', 'cat']" in out
    scaler = StandardScaler().fit(X)
    reference = LogisticRegression(solver=solver, l2=1e-2, max_iter=1000, random_state=0)
    reference.fit(scaler.transform(X), labels)  # train's defaults: λ = 0.01, seed 0
    saved = load_model(model_path)
    assert saved.model.classes_.tolist() == SPECIES.tolist()
    assert saved.model.coef_.shape == (3, 3) and saved.model.intercept_.shape == (3,)
    np.testing.assert_allclose(saved.model.coef_, reference.coef_, rtol=1e-12, atol=1e-14)
    assert saved.feature_names == ["length", "width", "depth"] and saved.target == "species"

    # predict: columns picked by name (reordered here), one probability per class.
    X_new, labels_new = three_classes(n=30, seed=1)
    with open(tmp_path / "new.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["species", "depth", "length", "width"])
        writer.writerows([[label, repr(float(row[2])), repr(float(row[0])), repr(float(row[1]))]
                          for row, label in zip(X_new, labels_new)])
    predictions = tmp_path / "predictions.csv"
    assert main(["predict", str(model_path), str(tmp_path / "new.csv"), "-o",
                 str(predictions)]) == 0
    err = capsys.readouterr().err
    with open(predictions) as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["prediction", "probability_ant", "probability_bee", "probability_cat"]
    expected = reference.predict_proba(scaler.transform(X_new))
    assert [r[0] for r in rows[1:]] == reference.predict(scaler.transform(X_new)).tolist()
    np.testing.assert_allclose([[float(v) for v in r[1:]] for r in rows[1:]], expected,
                               atol=5.1e-7)  # written with 6 decimals
    accuracy = reference.score(scaler.transform(X_new), labels_new)
    assert f"accuracy on the 'species' column: {accuracy:.4f} (30 rows" in err


def test_multiclass_pipeline_and_default_model_round_trip(tmp_path):
    pipeline_module = pytest.importorskip("sklearn.pipeline")
    X, labels = three_classes()
    pipeline = pipeline_module.make_pipeline(StandardScaler(), LogisticRegression(C=0.5))
    pipeline.fit(X, labels)
    saved = load_model(save_model(tmp_path / "pipe.npz", pipeline, target="species"))
    np.testing.assert_allclose(saved.model.predict_proba(saved.predict_input(X)),
                               pipeline.predict_proba(X), rtol=1e-13, atol=1e-15)
    np.testing.assert_array_equal(saved.model.predict(saved.predict_input(X)),
                                  pipeline.predict(X))
    assert saved.model.get_params()["C"] == 0.5
    # The loaded estimator refits like the saved one (its hyper-parameters came along).
    refit = saved.model.fit(saved.predict_input(X), labels)
    np.testing.assert_allclose(refit.coef_, pipeline[-1].coef_, rtol=1e-10, atol=1e-12)
