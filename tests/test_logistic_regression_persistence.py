"""Model files: arrays and JSON only, round trips exactly, and every kind of bad file gives
a ModelFileError naming the problem (never unpickling anything)."""

import json
import pickle

import numpy as np
import pytest

from tinygrad_lr.models import LogisticRegression, ModelFileError, StandardScaler, persistence
from tinygrad_lr.models.persistence import load_model, save_model


def fitted(labels=(0, 1)):
    rng = np.random.default_rng(0)
    X = rng.normal(loc=5.0, scale=3.0, size=(40, 3))
    y = np.array(labels)[(X[:, 0] + rng.normal(size=40) > 5).astype(int)]
    scaler = StandardScaler().fit(X)
    model = LogisticRegression(solver="newton", l2=0.05).fit(scaler.transform(X), y)
    return X, model, scaler


@pytest.mark.parametrize("labels", [(0, 1), ("benign", "malignant"), (False, True), (-1.0, 2.0)])
def test_round_trip_predicts_identically(tmp_path, labels):
    X, model, scaler = fitted(labels)
    path = save_model(tmp_path / "model.npz", model, scaler=scaler,
                      feature_names=["a", "b", "c"], target="label")
    saved = load_model(path)
    assert saved.feature_names == ["a", "b", "c"] and saved.target == "label"
    assert saved.model.classes_.tolist() == model.classes_.tolist()
    np.testing.assert_array_equal(saved.model.coef_, model.coef_)
    np.testing.assert_array_equal(saved.model.intercept_, model.intercept_)
    np.testing.assert_array_equal(saved.model.predict(saved.predict_input(X)),
                                  model.predict(scaler.transform(X)))
    assert saved.model.history_ == model.history_ and saved.model.n_iter_ == model.n_iter_
    assert saved.model.get_params() == model.get_params()


def test_without_scaler_and_suffix_added(tmp_path):
    X, model, _ = fitted()
    path = save_model(tmp_path / "plain", model)
    assert path.name == "plain.npz"
    saved = load_model(path)
    assert saved.scaler is None and saved.feature_names is None
    assert saved.predict_input(X) is X


def test_file_holds_only_plain_arrays(tmp_path):
    _, model, scaler = fitted(("x", "y"))
    path = save_model(tmp_path / "m.npz", model, scaler=scaler)
    with np.load(path, allow_pickle=False) as archive:
        assert sorted(archive.files) == ["coef", "history", "intercept", "mean", "metadata",
                                         "scale"]
        assert all(archive[name].dtype.kind in "fU" for name in archive.files)
        metadata = json.loads(str(archive["metadata"]))
    assert metadata["format"] == persistence.FORMAT_NAME and metadata["classes"] == ["x", "y"]


class _Exploit:
    def __reduce__(self):
        return (open, ("SHOULD_NOT_EXIST", "w"))


def test_pickled_payload_is_refused_without_running_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "evil.npz"
    np.savez(path, metadata=np.array([_Exploit()], dtype=object), coef=np.zeros((1, 1)))
    with pytest.raises(ModelFileError, match="not a tinygrad-lr model file"):
        load_model(path)
    assert not (tmp_path / "SHOULD_NOT_EXIST").exists()
    raw = tmp_path / "raw.pkl"
    raw.write_bytes(pickle.dumps(_Exploit()))
    with pytest.raises(ModelFileError, match="not a tinygrad-lr model file"):
        load_model(raw)
    assert not (tmp_path / "SHOULD_NOT_EXIST").exists()


def _rewrite(path, target, **changes):
    with np.load(path, allow_pickle=False) as archive:
        arrays = {name: archive[name] for name in archive.files}
    metadata = json.loads(str(arrays["metadata"]))
    for key, value in changes.pop("metadata", {}).items():
        metadata[key] = value
    arrays["metadata"] = np.array(json.dumps(metadata))
    for key, value in changes.items():
        if value is None:
            del arrays[key]
        else:
            arrays[key] = value
    np.savez(target, **arrays)
    return target


@pytest.mark.parametrize("changes, message", [
    ({"metadata": {"format": "other"}}, "a numpy archive, but not a tinygrad-lr model"),
    ({"metadata": {"version": 99}}, "model file version 99; this tinygrad-lr reads version 1"),
    ({"metadata": {"classes": [0, 1, 2]}}, "exactly two classes"),
    ({"metadata": {"n_features": "3"}}, "n_features must be a positive int"),
    ({"metadata": {"feature_names": ["a"]}}, "feature_names must be a list of 3 names"),
    ({"coef": np.zeros((1, 2))}, r"'coef' should be a float array of shape \(1, 3\)"),
    ({"coef": None}, "the array 'coef' is missing"),
    ({"intercept": np.array([np.nan])}, "'intercept' contains NaN or infinity"),
    ({"scale": np.array([1.0, 0.0, 1.0])}, "the saved scale must be positive"),
    ({"metadata": None}, r"not a tinygrad-lr model \(no metadata\)"),
])
def test_inconsistent_files_are_named(tmp_path, changes, message):
    _, model, scaler = fitted()
    good = save_model(tmp_path / "good.npz", model, scaler=scaler, feature_names="abc")
    if "metadata" in changes and changes["metadata"] is None:
        with np.load(good) as archive:
            np.savez(tmp_path / "bad.npz", coef=archive["coef"])
        bad = tmp_path / "bad.npz"
    else:
        bad = _rewrite(good, tmp_path / "bad.npz", **changes)
    with pytest.raises(ModelFileError, match=message):
        load_model(bad)


def test_corrupt_and_foreign_files(tmp_path):
    _, model, _ = fitted()
    good = save_model(tmp_path / "good.npz", model)
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(good.read_bytes()[:100])
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"\x00not a model at all" * 10)
    json_file = tmp_path / "metadata.npz"
    json_file.write_text("{}")
    for path in (truncated, garbage, json_file):
        with pytest.raises(ModelFileError, match=rf"{path.name}: not a tinygrad-lr model file"):
            load_model(path)
    single = tmp_path / "array.npy"
    np.save(single, np.zeros(3))
    with pytest.raises(ModelFileError, match="a single numpy array"):
        load_model(single)
    with pytest.raises(ModelFileError, match="no such model file"):
        load_model(tmp_path / "missing.npz")
    broken_json = _rewrite(good, tmp_path / "json.npz")
    with np.load(broken_json) as archive:
        arrays = dict(archive)
    arrays["metadata"] = np.array("{not json")
    np.savez(broken_json, **arrays)
    with pytest.raises(ModelFileError, match="metadata is not valid JSON"):
        load_model(broken_json)
    assert issubclass(ModelFileError, ValueError)


def test_save_refuses_what_it_cannot_store(tmp_path):
    with pytest.raises(ValueError, match="needs a fitted model"):
        save_model(tmp_path / "m.npz", LogisticRegression())
    X, model, scaler = fitted()
    with pytest.raises(ValueError, match="got 2 feature names for a model of 3 features"):
        save_model(tmp_path / "m.npz", model, feature_names=["a", "b"])
    with pytest.raises(ValueError, match="scaler must be fitted on the model's 3 features"):
        save_model(tmp_path / "m.npz", model, scaler=StandardScaler().fit(X[:, :2]))
