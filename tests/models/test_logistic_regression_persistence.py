"""Model files: safetensors tensors and schema-checked text only, round trips exactly (two
classes or K), written atomically, readable by safetensors alone, and every kind of bad file
gives a ModelFileError naming the problem (never unpickling anything). Fuzzing, killed saves
and size bombs: tests/models/test_model_files_hostile.py."""

import builtins
import json
import os
import pickle
import stat
import subprocess
import sys
import zipfile

import numpy as np
import pytest
import safetensors.numpy
from model_files import (
    contents,
    fake_fitted,
    fitted,
    metadata_of,
    raw_file,
    rewritten,
    split_file,
)

from tinygrad_lr.models import (
    LogisticRegression,
    ModelFileError,
    StandardScaler,
    model_metadata,
    persistence,
)
from tinygrad_lr.models.persistence import (
    load_model,
    model_file_path,
    save_model,
    writable_model_path,
)


@pytest.mark.parametrize("labels", [(0, 1), ("benign", "malignant"), (False, True), (-1.0, 2.0)])
def test_round_trip_predicts_identically(tmp_path, labels):
    X, model, scaler = fitted(labels)
    path = save_model(tmp_path / "model.safetensors", model, scaler=scaler,
                      feature_names=["a", "b", "c"], target="label")
    saved = load_model(path)
    assert saved.feature_names == ["a", "b", "c"] and saved.target == "label"
    assert saved.model.classes_.tolist() == model.classes_.tolist()
    assert saved.model.classes_.dtype.kind == np.asarray(labels).dtype.kind
    np.testing.assert_array_equal(saved.model.coef_, model.coef_)
    np.testing.assert_array_equal(saved.model.intercept_, model.intercept_)
    np.testing.assert_array_equal(saved.model.predict(saved.predict_input(X)),
                                  model.predict(scaler.transform(X)))
    np.testing.assert_array_equal(saved.model.predict_proba(saved.predict_input(X)),
                                  model.predict_proba(scaler.transform(X)))
    # the history comes back as a float array, never as a list of Python objects
    assert isinstance(saved.model.history_, np.ndarray) and saved.model.history_.dtype == float
    np.testing.assert_array_equal(saved.model.history_, model.history_)
    np.testing.assert_array_equal(saved.model.n_iter_, model.n_iter_)
    assert saved.model.n_iter_.shape == (1,) and saved.model.n_iter_.dtype == np.int32
    assert saved.model.get_params() == model.get_params()


def test_multiclass_files_hold_k_weight_vectors(tmp_path):
    model = fake_fitted(["iris-a", "iris-b", "iris-c"], d=4)
    path = save_model(tmp_path / "k.safetensors", model, feature_names="wxyz")
    saved = load_model(path)
    assert saved.model.coef_.shape == (3, 4) and saved.model.intercept_.shape == (3,)
    np.testing.assert_array_equal(saved.model.coef_, model.coef_)
    assert saved.model.classes_.tolist() == ["iris-a", "iris-b", "iris-c"]
    assert metadata_of(path)["classes"] == ["iris-a", "iris-b", "iris-c"]
    assert persistence.coef_rows(2) == 1 and persistence.coef_rows(10) == 10
    # a (K, d) coef with two classes, or (1, d) with three, is refused when saving
    wrong = fake_fitted([0, 1, 2], d=4)
    wrong.coef_ = wrong.coef_[:1]
    with pytest.raises(ValueError, match=r"3 classes and 4 features needs coef_ of shape "
                                         r"\(3, 4\) and intercept_ of shape \(3,\)"):
        save_model(tmp_path / "wrong.safetensors", wrong)


@pytest.mark.parametrize("classes, rows", [([0, 1, 2], 1), ([0, 1], 2), ([0, 1, 2, 3], 3)])
def test_coef_rows_must_match_the_number_of_classes(tmp_path, classes, rows):
    good = save_model(tmp_path / "g", fake_fitted([0, 1], 3))
    bad = rewritten(good, tmp_path / "bad.safetensors", metadata={"classes": classes},
                    tensors={"coef": np.ones((rows, 3)), "intercept": np.ones(rows)})
    with pytest.raises(ModelFileError, match=r"'coef' should be a float64 tensor of shape"):
        load_model(bad)


def test_without_scaler_and_suffix_added(tmp_path):
    X, model, _ = fitted()
    path = save_model(tmp_path / "plain", model)
    assert path.name == "plain.safetensors"
    saved = load_model(path)
    assert saved.scaler is None and saved.feature_names is None
    assert saved.predict_input(X) is X


def test_a_name_with_an_extension_is_used_as_given(tmp_path):
    _, model, _ = fitted()
    path = save_model(tmp_path / "m.SafeTensors", model)
    assert path == tmp_path / "m.SafeTensors" and sorted(os.listdir(tmp_path)) == [path.name]
    assert model_file_path("a.model").name == "a.model"
    assert model_file_path("a").name == "a.safetensors"


def test_file_is_plain_safetensors_that_safetensors_alone_loads(tmp_path):
    _, model, scaler = fitted(("x", "y"))
    path = save_model(tmp_path / "m", model, scaler=scaler)
    tensors = safetensors.numpy.load_file(path)
    # ... and in a process that never imports tinygrad_lr
    reader = ("import sys, safetensors.numpy; t = safetensors.numpy.load_file(sys.argv[1]); "
              "assert 'tinygrad_lr' not in sys.modules; print(t['coef'].tolist())")
    alone = subprocess.run([sys.executable, "-c", reader, str(path)], capture_output=True,
                           text=True, check=True)
    assert json.loads(alone.stdout) == model.coef_.tolist()
    assert sorted(tensors) == ["coef", "history", "intercept", "scaler.mean", "scaler.scale"]
    assert all(array.dtype == np.float64 for array in tensors.values())
    np.testing.assert_array_equal(tensors["coef"], model.coef_)
    np.testing.assert_array_equal(tensors["intercept"], model.intercept_)
    np.testing.assert_array_equal(tensors["scaler.mean"], scaler.mean_)
    metadata = metadata_of(path)
    assert metadata["format"] == persistence.FORMAT_NAME and metadata["classes"] == ["x", "y"]
    assert metadata["n_iter"] == model.n_iter_ and metadata["version"] == 2
    assert set(metadata) <= set(persistence.METADATA_SCHEMA)
    assert metadata["checksum"].startswith("sha256:")


def test_no_penalty_round_trips(tmp_path):
    """C=np.inf is not a JSON number; it must come back as infinity, not the default C."""
    model = fake_fitted([0, 1], 2)
    model.C = np.inf
    assert metadata_of(save_model(tmp_path / "m", model))["params"]["C"] == {"float": "inf"}
    assert load_model(tmp_path / "m.safetensors").model.C == np.inf


def test_a_file_of_the_old_npz_format_says_how_to_re_save_it(tmp_path):
    old = tmp_path / "model.npz"
    with zipfile.ZipFile(old, "w") as archive:
        archive.writestr("metadata.npy", b"")
    with pytest.raises(ModelFileError, match=r"model.npz: a model file of tinygrad-lr 0.1 "
                                             r"\(a numpy .npz archive\).*re-save it as a "
                                             r".safetensors file: train it again"):
        load_model(old)


class _Exploit:
    def __reduce__(self):
        return (open, ("SHOULD_NOT_EXIST", "w"))


def test_pickled_payload_is_refused_without_running_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "evil.npz"
    np.savez(path, metadata=np.array([_Exploit()], dtype=object), coef=np.zeros((1, 1)))
    with pytest.raises(ModelFileError, match="a model file of tinygrad-lr 0.1"):
        load_model(path)
    assert not (tmp_path / "SHOULD_NOT_EXIST").exists()
    raw = tmp_path / "raw.pkl"
    raw.write_bytes(pickle.dumps(_Exploit()))
    with pytest.raises(ModelFileError, match="not a tinygrad-lr model file"):
        load_model(raw)
    assert not (tmp_path / "SHOULD_NOT_EXIST").exists()


@pytest.mark.parametrize("changes, message", [
    ({"raw_metadata": {"format": "other"}}, "a safetensors file, but not a tinygrad-lr model"),
    ({"metadata": {"version": 99}}, "model file version 99; this tinygrad-lr reads version 2"),
    ({"metadata": {"version": True}}, "model file version True"),
    ({"metadata": {"classes": [0]}}, "between 2 and 65536 classes, got 1"),
    ({"metadata": {"classes": "01"}}, "between 2 and 65536 classes"),
    ({"metadata": {"n_features": "3"}}, "n_features must be a positive int"),
    ({"metadata": {"n_features": 10**12}}, "n_features must be a positive int"),
    ({"metadata": {"feature_names": ["a"]}}, "feature_names must be a list of 3 names"),
    ({"metadata": {"feature_names": [1, 2, 3]}}, "feature_names must be a list of 3 names"),
    ({"metadata": {"target": ["y"]}}, "target must be a column name or null"),
    ({"metadata": {"standardized": "yes"}}, "standardized must be true or false"),
    ({"metadata": {"n_iter": -1}}, "n_iter must be a count"),
    ({"metadata": {"params": [1]}}, "params must be an object"),
    ({"metadata": {"params": {"lr": [1, 2]}}}, "the saved parameter 'lr' is not a parameter"),
    ({"metadata": {"params": {"C": {"float": "nan"}}}}, "the saved parameter 'C' is not a"),
    ({"metadata": {"target": None, "shape": 1}}, "unknown metadata entry 'shape'"),
    ({"metadata": {"classes": None}}, r"the metadata lacks 'classes' \(a list of 2 to"),
    ({"raw_metadata": {"params": "{not json"}}, "the metadata entry 'params' is not valid JSON"),
    ({"raw_metadata": {"checksum": "md5:00"}}, "checksum must be 'sha256:'"),
    ({"tensors": {"coef": np.zeros((1, 2))}}, r"'coef' should be a float64 tensor of shape "
                                               r"\(1, 3\), got F64 \(1, 2\)"),
    ({"tensors": {"coef": np.zeros((1, 3), dtype=np.int64)}}, r"'coef' should be .* got I64"),
    ({"tensors": {"coef": np.zeros((1, 3), dtype=np.float32)}}, r"'coef' should be .* got F32"),
    ({"tensors": {"coef": None}}, "the metadata says|'coef' is missing|cannot read"),
    ({"tensors": {"intercept": np.array([np.nan])}}, "'intercept' contains NaN or infinity"),
    ({"tensors": {"history": np.zeros((2, 2))}}, "'history' should be a float64 tensor of a "
                                                  "1-D array"),
    ({"tensors": {"history": np.array([1.0, np.inf])}}, "'history' contains NaN or infinity"),
    ({"tensors": {"scaler.scale": np.array([1.0, 0.0, 1.0])}}, "the saved scale must be "
                                                                "positive"),
    ({"tensors": {"scaler.scale": None}}, "'scaler.scale' is missing"),
    ({"metadata": {"standardized": False}}, r"unknown tensor 'scaler.mean' .*has no scaler"),
    ({"tensors": {"extra": np.zeros(3)}}, r"unknown tensor 'extra' in the file"),
    ({"raw_metadata": {"checksum": None}}, r"the metadata lacks 'checksum'"),
])
def test_inconsistent_files_are_named(tmp_path, changes, message):
    _, model, scaler = fitted()
    good = save_model(tmp_path / "good", model, scaler=scaler, feature_names="abc")
    bad = rewritten(good, tmp_path / "bad.safetensors", **changes)
    with pytest.raises(ModelFileError, match=message):
        load_model(bad)


def test_an_edit_without_a_matching_checksum_is_refused(tmp_path):
    """safetensors keeps no checksum: without one, an edited weight loads as another model."""
    good = save_model(tmp_path / "good", fake_fitted([0, 1], 2))
    for changes in ({"tensors": {"coef": np.array([[1.0, 1.5]])}},
                    {"metadata": {"target": "other"}}, {"metadata": {"classes": [1, 0]}}):
        bad = rewritten(good, tmp_path / "bad.safetensors", sign=False, **changes)
        with pytest.raises(ModelFileError, match="the checksum does not match the contents"):
            load_model(bad)


@pytest.mark.parametrize("classes, message", [
    ('[0, "0"]', r"the classes mix types: 0 \(int\) and '0' \(str\)"),
    ("[1, true]", r"the classes mix types: 1 \(int\) and True \(bool\)"),
    ("[0, 1.5]", r"the classes mix types"),
    ("[[1], [2]]", r"class labels must be numbers, text or booleans; got \[1\]"),
    ('[{"a": 1}, 2]', r"class labels must be numbers, text or booleans"),
    ("[null, 1]", r"class labels must be numbers, text or booleans; got None"),
    ("[NaN, 1]", r"not valid JSON \(NaN is not a JSON value\)"),
    ("[1e999, 1.0]", r"the classes must be finite numbers"),
    ("[1, 1]", r"the classes must be distinct, got \[1, 1\]"),
    ("[0.0, -0.0]", r"the classes must be distinct"),
    ('["a", "b", "a"]', r"the classes must be distinct"),
    ("[1, 99999999999999999999]", r"integer classes must fit in 64 bits"),
    ("[" * 100_000, "nested too deeply"),
    ('{"a": 1, "a": 2}', r"not valid JSON \(the key 'a' appears twice\)"),
    ("9" * 5000, "not valid JSON"),
])
def test_crafted_classes_are_refused(tmp_path, classes, message):
    """Each of these would make the model predict one class (or NaN) for all."""
    good = save_model(tmp_path / "good", fake_fitted([0, 1], 2))
    bad = rewritten(good, tmp_path / "bad.safetensors", raw_metadata={"classes": classes})
    with pytest.raises(ModelFileError, match=message):
        load_model(bad)


def test_three_or_more_classes_of_every_label_type_load(tmp_path):
    for classes in ([False, True], [-1, 0, 7], [0.5, 1.5, 2.5], ["a", "b", "c", "d"]):
        path = save_model(tmp_path / "m", fake_fitted(classes, 2))
        assert load_model(path).model.classes_.tolist() == classes


def _header_planted(tmp_path, change, length=None):
    """A good two-feature model whose safetensors header ``change(header)`` edited."""
    good = save_model(tmp_path / "good", fake_fitted([0, 1], 2))
    header, data = split_file(good)
    change(header)
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(raw_file(header, data, length))
    return bad


def _set(entry, **fields):
    return lambda header: header[entry].update(fields)


@pytest.mark.parametrize("change, message", [
    (_set("coef", shape=[10**6, 2]), r"cannot read it as a safetensors file"),
    (_set("coef", shape=[10**12]), r"cannot read it as a safetensors file"),
    (_set("coef", data_offsets=[0, 10**12]), r"cannot read it as a safetensors file"),
    (_set("coef", data_offsets=[8, 24]), r"cannot read it as a safetensors file"),
    (_set("coef", dtype="F32", shape=[1, 4]), r"'coef' should be a float64 tensor of shape "
                                              r"\(1, 2\), got F32 \(1, 4\)"),
    (_set("coef", dtype="X99"), r"cannot read it as a safetensors file"),
    (lambda header: header.pop("coef"), r"cannot read it as a safetensors file"),
    (lambda header: header.pop("__metadata__"), r"a safetensors file, but not a tinygrad-lr"),
    (lambda header: header["__metadata__"].update(n_features=3), "not valid|version|n_features"
                                                                 "|cannot read"),
])
def test_header_lies_are_named_before_any_data_is_read(tmp_path, change, message):
    with pytest.raises(ModelFileError, match=message):
        load_model(_header_planted(tmp_path, change))


@pytest.mark.parametrize("length, message", [
    (2**40, r"its header would be 1099511627776 bytes, more than the 67108864 allowed"),
    (2**20, r"the header needs 1048576 bytes, the file has only .* \(truncated\?\)"),
    (3, r"not a safetensors file|cannot read it as a safetensors file"),
])
def test_the_header_length_is_checked_before_safetensors_parses_it(tmp_path, length, message):
    with pytest.raises(ModelFileError, match=message):
        load_model(_header_planted(tmp_path, lambda header: None, length))


def test_corrupt_and_foreign_files(tmp_path):
    _, model, _ = fitted()
    good = save_model(tmp_path / "good", model)
    truncated = tmp_path / "truncated.safetensors"
    truncated.write_bytes(good.read_bytes()[:100])
    garbage = tmp_path / "garbage.safetensors"
    garbage.write_bytes(b"\x00not a model at all" * 10)
    json_file = tmp_path / "metadata.safetensors"
    json_file.write_text("{}")
    for path in (truncated, garbage, json_file):
        with pytest.raises(ModelFileError, match=rf"{path.name}: (not a tinygrad-lr model "
                                                 r"file|the header needs)"):
            load_model(path)
    single = tmp_path / "array.npy"
    np.save(single, np.zeros(3))
    with pytest.raises(ModelFileError, match="a single numpy array"):
        load_model(single)
    with pytest.raises(ModelFileError, match="no such model file"):
        load_model(tmp_path / "missing.safetensors")
    with pytest.raises(ModelFileError, match="no such model file"):
        load_model(tmp_path)  # a folder
    foreign = tmp_path / "foreign.safetensors"
    safetensors.numpy.save_file({"coef": np.zeros((1, 2))}, foreign)
    with pytest.raises(ModelFileError, match="a safetensors file, but not a tinygrad-lr model"):
        load_model(foreign)
    assert issubclass(ModelFileError, ValueError)


def test_every_message_is_one_line(tmp_path):
    good = save_model(tmp_path / "good", fake_fitted([0, 1], 2))
    bad = rewritten(good, tmp_path / "bad.safetensors", raw_metadata={"params": "{\n\n\nbad"})
    with pytest.raises(ModelFileError) as caught:
        load_model(bad)
    assert "\n" not in str(caught.value)


def test_save_refuses_what_it_cannot_store(tmp_path):
    with pytest.raises(ValueError, match="needs a fitted model"):
        save_model(tmp_path / "m.safetensors", LogisticRegression())
    X, model, scaler = fitted()
    with pytest.raises(ValueError, match="got 2 feature names for a model of 3 features"):
        save_model(tmp_path / "m.safetensors", model, feature_names=["a", "b"])
    with pytest.raises(ValueError, match="scaler must be fitted on the model's 3 features"):
        save_model(tmp_path / "m.safetensors", model, scaler=StandardScaler().fit(X[:, :2]))
    broken = fake_fitted([0, 1], 2)
    broken.coef_[0, 0] = np.nan
    with pytest.raises(ValueError, match="holds NaN or infinity"):
        save_model(tmp_path / "m.safetensors", broken)
    assert os.listdir(tmp_path) == []  # nothing written, no temporary left


def test_unsavable_parameters_are_listed_and_dicts_keep_key_types(tmp_path):
    model = fake_fitted([0, 1], 2)
    model.random_state = np.random.default_rng(0)
    path = save_model(tmp_path / "m", model)
    metadata = metadata_of(path)
    assert metadata["unsaved_params"] == ["random_state"]
    assert load_model(path).model.random_state is None
    params, unsaved = model_metadata.json_params({"class_weight": {0: 1.0, "a": 2}, "tol": 0.1})
    assert params == {"class_weight": {"dict": [[0, 1.0], ["a", 2]]}, "tol": 0.1} and not unsaved


def test_very_long_history_is_left_out(tmp_path, monkeypatch):
    monkeypatch.setattr(persistence, "MAX_HISTORY", 3)
    model = fake_fitted([0, 1], 2, history=[0.6, 0.5, 0.4, 0.3])
    path = save_model(tmp_path / "m", model)
    assert "history" not in contents(path)[0]
    loaded = load_model(path).model
    assert loaded.history_.size == 0 and loaded.n_iter_ == 4
    monkeypatch.setattr(persistence, "MAX_HISTORY", 100)
    bad = rewritten(path, tmp_path / "bad.safetensors", tensors={"history": np.zeros(101)})
    with pytest.raises(ModelFileError, match="'history' holds 101 entries, more than the 100"):
        load_model(bad)


# ------------------------------------------------------------------------- atomic writes
def test_failed_save_keeps_the_old_file_and_removes_the_temporary(tmp_path, monkeypatch):
    old = save_model(tmp_path / "m.safetensors", fake_fitted([0, 1], 2, value=1.0))
    before = old.read_bytes()

    def explode(*args, **kwargs):
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(safetensors.numpy, "save", explode)
    with pytest.raises(OSError, match="disk full"):
        save_model(old, fake_fitted([0, 1], 2, value=2.0))
    assert old.read_bytes() == before and os.listdir(tmp_path) == ["m.safetensors"]
    monkeypatch.undo()
    monkeypatch.setattr(os, "fsync", explode)
    with pytest.raises(OSError, match="disk full"):
        save_model(old, fake_fitted([0, 1], 2, value=2.0))
    assert old.read_bytes() == before and os.listdir(tmp_path) == ["m.safetensors"]
    monkeypatch.undo()
    calls = []
    real_replace = os.replace
    monkeypatch.setattr(os, "replace", lambda a, b: calls.append((a, b)) or real_replace(a, b))
    save_model(old, fake_fitted([0, 1], 2, value=2.0))
    assert load_model(old).model.coef_[0, 0] == 2.0 and os.listdir(tmp_path) == ["m.safetensors"]
    (source, target), = calls
    assert os.path.dirname(source) == str(tmp_path) and target == old


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_save_keeps_an_existing_files_mode_and_follows_links(tmp_path):
    path = save_model(tmp_path / "m.safetensors", fake_fitted([0, 1], 2))
    os.chmod(path, 0o640)
    save_model(path, fake_fitted([0, 1], 2, value=3.0))
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640
    link = tmp_path / "link.safetensors"
    link.symlink_to(path)
    save_model(link, fake_fitted([0, 1], 2, value=4.0))
    assert link.is_symlink() and load_model(path).model.coef_[0, 0] == 4.0
    fresh = save_model(tmp_path / "fresh.safetensors", fake_fitted([0, 1], 2))
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(os.stat(fresh).st_mode) == 0o666 & ~umask


def test_writable_model_path_fails_before_any_work(tmp_path):
    assert writable_model_path(tmp_path / "m") == tmp_path / "m.safetensors"
    assert writable_model_path(tmp_path / "m.SAFETENSORS") == tmp_path / "m.SAFETENSORS"
    assert os.listdir(tmp_path) == []  # the probe leaves nothing
    with pytest.raises(FileNotFoundError, match="the folder .*missing does not exist"):
        writable_model_path(tmp_path / "missing" / "m.safetensors")
    (tmp_path / "file").write_text("")
    with pytest.raises(NotADirectoryError, match="is not a folder"):
        writable_model_path(tmp_path / "file" / "m.safetensors")
    (tmp_path / "d.safetensors").mkdir()
    with pytest.raises(IsADirectoryError, match="it is a folder"):
        writable_model_path(tmp_path / "d.safetensors")
    with pytest.raises(IsADirectoryError, match="it is a folder"):
        save_model(tmp_path / "d.safetensors", fake_fitted([0, 1], 2))


# ------------------------------------------------------------------------------ pipelines
def test_save_model_accepts_a_fitted_pipeline(tmp_path):
    pipeline_module = pytest.importorskip("sklearn.pipeline")
    sk_preprocessing = pytest.importorskip("sklearn.preprocessing")
    X, model, _ = fitted(("no", "yes"))
    y = model.predict(StandardScaler().fit(X).transform(X))
    for scaler in (sk_preprocessing.StandardScaler(), StandardScaler(),
                   sk_preprocessing.StandardScaler(with_mean=False)):
        pipeline = pipeline_module.make_pipeline(scaler, LogisticRegression(solver="newton"))
        pipeline.fit(X, y)
        saved = load_model(save_model(tmp_path / "pipe.safetensors", pipeline, target="label"))
        np.testing.assert_array_equal(saved.model.predict(saved.predict_input(X)),
                                      pipeline.predict(X))
        np.testing.assert_allclose(saved.model.predict_proba(saved.predict_input(X)),
                                   pipeline.predict_proba(X), rtol=1e-13, atol=1e-15)
        assert saved.scaler is not None and saved.target == "label"
    alone = pipeline_module.make_pipeline(LogisticRegression(solver="newton")).fit(X, y)
    assert load_model(save_model(tmp_path / "alone.safetensors", alone)).scaler is None


def test_save_model_says_what_it_got(tmp_path):
    pipeline_module = pytest.importorskip("sklearn.pipeline")
    decomposition = pytest.importorskip("sklearn.decomposition")
    linear_model = pytest.importorskip("sklearn.linear_model")
    sk_preprocessing = pytest.importorskip("sklearn.preprocessing")
    X, model, _ = fitted()
    y = model.predict(StandardScaler().fit(X).transform(X))
    with pytest.raises(TypeError, match=r"got LogisticRegression \(from sklearn\)"):
        save_model(tmp_path / "m.safetensors", linear_model.LogisticRegression().fit(X, y))
    with pytest.raises(TypeError, match=r"got dict"):
        save_model(tmp_path / "m.safetensors", {"coef_": 1})
    odd = pipeline_module.make_pipeline(decomposition.PCA(2), LogisticRegression(solver="newton"))
    odd.fit(X, y)
    with pytest.raises(TypeError, match=r"a Pipeline of \[\('pca', 'PCA \(from sklearn\)'\), "
                                        r"\('logisticregression', 'LogisticRegression \(from "
                                        r"tinygrad_lr\)'\)\]"):
        save_model(tmp_path / "m.safetensors", odd)
    unfitted = pipeline_module.make_pipeline(sk_preprocessing.StandardScaler(),
                                             LogisticRegression())
    with pytest.raises(ValueError, match=r"needs a fitted model \(the Pipeline's last step\)"):
        save_model(tmp_path / "m.safetensors", unfitted)
    fitted_pipeline = pipeline_module.make_pipeline(sk_preprocessing.StandardScaler(),
                                                    LogisticRegression(solver="newton"))
    with pytest.raises(ValueError, match="either a Pipeline or scaler=, not both"):
        save_model(tmp_path / "m.safetensors", fitted_pipeline.fit(X, y), scaler=StandardScaler())
    assert os.listdir(tmp_path) == []


def test_a_name_of_255_bytes_still_saves(tmp_path):
    path = tmp_path / ("a" * 243 + ".safetensors")
    save_model(path, fake_fitted([0, 1], 2))
    assert load_model(path).model.coef_.shape == (1, 2) and os.listdir(tmp_path) == [path.name]


def test_feature_names_recorded_by_fit_are_the_default(tmp_path):
    model = fake_fitted([0, 1], 2)
    model.feature_names_in_ = np.array(["height", "weight"], dtype=object)
    assert load_model(save_model(tmp_path / "m.safetensors", model)).feature_names == ["height",
                                                                                "weight"]
    given = save_model(tmp_path / "g.safetensors", model, feature_names=["p", "q"])
    assert load_model(given).feature_names == ["p", "q"]


def test_an_unreadable_file_says_so(tmp_path, monkeypatch):
    path = save_model(tmp_path / "m.safetensors", fake_fitted([0, 1], 2))
    real_open = builtins.open

    def refusing_open(file, *args, **kwargs):
        if os.fspath(file) == os.fspath(path):
            raise PermissionError(13, "Permission denied", os.fspath(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", refusing_open)
    with pytest.raises(ModelFileError, match=r"cannot read the model file \(Permission denied\)"):
        load_model(path)


def test_save_refuses_classes_the_loader_would_refuse(tmp_path):
    for classes, message in (([0, "a"], "the classes mix types"),
                             ([1.0, float("nan")], "the classes must be finite numbers"),
                             ([0], "there must be between 2 and 65536 classes, got 1")):
        model = fake_fitted([0, 1], 2)
        model.classes_ = np.array(classes, dtype=object)
        with pytest.raises(ValueError, match=f"cannot save this model: {message}"):
            save_model(tmp_path / "m.safetensors", model)
    assert os.listdir(tmp_path) == []
