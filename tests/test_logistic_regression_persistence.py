"""Model files: arrays and JSON only, round trips exactly (two classes or K), written
atomically, and every kind of bad file gives a ModelFileError naming the problem (never
unpickling anything). Fuzzing, killed saves and zip bombs: tests/test_model_files_hostile.py."""

import builtins
import json
import os
import pickle
import stat
import zipfile

import numpy as np
import pytest
from model_files import (
    Member,
    build_zip,
    fake_fitted,
    fitted,
    members_of,
    metadata_of,
    npy_bytes,
    npy_header,
    with_metadata,
)

from tinygrad_lr.models import LogisticRegression, ModelFileError, StandardScaler, persistence
from tinygrad_lr.models.persistence import (
    load_model,
    model_file_path,
    save_model,
    writable_model_path,
)


@pytest.mark.parametrize("labels", [(0, 1), ("benign", "malignant"), (False, True), (-1.0, 2.0)])
def test_round_trip_predicts_identically(tmp_path, labels):
    X, model, scaler = fitted(labels)
    path = save_model(tmp_path / "model.npz", model, scaler=scaler,
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
    assert saved.model.n_iter_ == model.n_iter_
    assert saved.model.get_params() == model.get_params()


def test_multiclass_files_hold_k_weight_vectors(tmp_path):
    model = fake_fitted(["iris-a", "iris-b", "iris-c"], d=4)
    path = save_model(tmp_path / "k.npz", model, feature_names="wxyz")
    saved = load_model(path)
    assert saved.model.coef_.shape == (3, 4) and saved.model.intercept_.shape == (3,)
    np.testing.assert_array_equal(saved.model.coef_, model.coef_)
    assert saved.model.classes_.tolist() == ["iris-a", "iris-b", "iris-c"]
    assert metadata_of(members_of(path))["classes"] == ["iris-a", "iris-b", "iris-c"]
    assert persistence.coef_rows(2) == 1 and persistence.coef_rows(10) == 10
    # a (K, d) coef with two classes, or (1, d) with three, is refused when saving
    wrong = fake_fitted([0, 1, 2], d=4)
    wrong.coef_ = wrong.coef_[:1]
    with pytest.raises(ValueError, match=r"3 classes and 4 features needs coef_ of shape "
                                         r"\(3, 4\) and intercept_ of shape \(3,\)"):
        save_model(tmp_path / "wrong.npz", wrong)


@pytest.mark.parametrize("classes, rows", [([0, 1, 2], 1), ([0, 1], 2), ([0, 1, 2, 3], 3)])
def test_coef_rows_must_match_the_number_of_classes(tmp_path, classes, rows):
    good = save_model(tmp_path / "g.npz", fake_fitted([0, 1], 3))
    members = with_metadata(members_of(good), classes=classes)
    members["coef.npy"] = npy_bytes(np.ones((rows, 3)))
    members["intercept.npy"] = npy_bytes(np.ones(rows))
    bad = tmp_path / "bad.npz"
    bad.write_bytes(build_zip(members))
    with pytest.raises(ModelFileError, match=r"'coef' should be a float array of shape"):
        load_model(bad)


def test_without_scaler_and_suffix_added(tmp_path):
    X, model, _ = fitted()
    path = save_model(tmp_path / "plain", model)
    assert path.name == "plain.npz"
    saved = load_model(path)
    assert saved.scaler is None and saved.feature_names is None
    assert saved.predict_input(X) is X


def test_suffix_check_ignores_case(tmp_path):
    _, model, _ = fitted()
    path = save_model(tmp_path / "m.NPZ", model)
    assert path == tmp_path / "m.NPZ" and sorted(os.listdir(tmp_path)) == ["m.NPZ"]
    assert model_file_path("a.Npz").name == "a.Npz" and model_file_path("a.np").name == "a.np.npz"


def test_file_holds_only_plain_arrays_stored_uncompressed(tmp_path):
    _, model, scaler = fitted(("x", "y"))
    path = save_model(tmp_path / "m.npz", model, scaler=scaler)
    with np.load(path, allow_pickle=False) as archive:  # numpy itself reads the format
        assert sorted(archive.files) == ["coef", "history", "intercept", "mean", "metadata",
                                         "scale"]
        assert all(archive[name].dtype.kind in "fU" for name in archive.files)
        metadata = json.loads(str(archive["metadata"]))
    assert metadata["format"] == persistence.FORMAT_NAME and metadata["classes"] == ["x", "y"]
    assert metadata["n_iter"] == model.n_iter_
    with zipfile.ZipFile(path) as archive:
        assert {info.compress_type for info in archive.infolist()} == {zipfile.ZIP_STORED}


class _Exploit:
    def __reduce__(self):
        return (open, ("SHOULD_NOT_EXIST", "w"))


def test_pickled_payload_is_refused_without_running_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "evil.npz"
    np.savez(path, metadata=np.array([_Exploit()], dtype=object), coef=np.zeros((1, 1)))
    with pytest.raises(ModelFileError, match="holds an object array"):
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
    ({"coef": np.zeros((1, 2))}, r"'coef' should be a float array of shape \(1, 3\)"),
    ({"coef": np.zeros((1, 3), dtype=np.int64)}, r"'coef' should be a float array .* <i8"),
    ({"coef": np.zeros((1, 3), dtype=np.complex128)}, r"'coef' should be a float array"),
    ({"coef": np.zeros((1, 3), dtype=np.longdouble)}, r"'coef' should be a float array"),
    ({"coef": None}, "the array 'coef' is missing"),
    ({"intercept": np.array([np.nan])}, "'intercept' contains NaN or infinity"),
    ({"history": np.zeros((2, 2))}, "'history' should be a float array of a 1-D array"),
    ({"history": np.array([1.0, np.inf])}, "'history' contains NaN or infinity"),
    ({"scale": np.array([1.0, 0.0, 1.0])}, "the saved scale must be positive"),
    ({"scale": None}, "the array 'scale' is missing"),
    ({"metadata": {"standardized": False}}, r"unknown member 'mean.npy' .*has no scaler"),
    ({"extra": np.zeros(3)}, r"unknown member 'extra.npy' in the archive"),
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
])
def test_crafted_classes_are_refused(tmp_path, classes, message):
    """Each of these loaded before and made the model predict one class (or NaN) for all."""
    good = save_model(tmp_path / "good.npz", fake_fitted([0, 1], 2))
    members = members_of(good)
    text = json.dumps(metadata_of(members)).replace('"classes": [0, 1]',
                                                    f'"classes": {classes}')
    members["metadata.npy"] = npy_bytes(np.array(text))
    bad = tmp_path / "bad.npz"
    bad.write_bytes(build_zip(members))
    with pytest.raises(ModelFileError, match=message):
        load_model(bad)


def test_three_or_more_classes_of_every_label_type_load(tmp_path):
    for classes in ([False, True], [-1, 0, 7], [0.5, 1.5, 2.5], ["a", "b", "c", "d"]):
        path = save_model(tmp_path / "m.npz", fake_fitted(classes, 2))
        assert load_model(path).model.classes_.tolist() == classes


def _planted(tmp_path, **member_changes):
    """A good two-feature model rebuilt with ``Member`` overrides per member name."""
    good = save_model(tmp_path / "good.npz", fake_fitted([0, 1], 2))
    members = [Member(name, data, **member_changes.get(name, {}))
               for name, data in members_of(good).items()]
    bad = tmp_path / "bad.npz"
    bad.write_bytes(build_zip(members))
    return bad


@pytest.mark.parametrize("changes, message", [
    ({"flags": 0x1}, r"member 'coef.npy' is encrypted"),
    ({"flags": 0x40}, r"member 'coef.npy' is encrypted"),
    ({"flags": 0x20}, r"'patched data'"),
    ({"version": 210}, r"cannot read it as a numpy .npz archive: zip file version 21.0"),
    ({"method": 12, "raw": b"BZh9"}, r"uses compression method 12"),
    ({"method": 99, "raw": b"x"}, r"uses compression method 99"),
    ({"crc": 12345}, r"Bad CRC-32 for file 'coef.npy'"),
    ({"size": 10**9}, r"'coef.npy' declares 1000000000 bytes, more than"),
    ({"size": 100}, r"stored, but its sizes differ"),
])
def test_zip_level_damage_is_named(tmp_path, changes, message):
    """Single-byte flips used to raise NotImplementedError or RuntimeError from zipfile."""
    with pytest.raises(ModelFileError, match=message):
        load_model(_planted(tmp_path, **{"coef.npy": changes}))


def test_compressed_members_are_accepted(tmp_path):
    good = save_model(tmp_path / "good.npz", fake_fitted([0, 1], 2))
    members = [Member(name, data, method=8) for name, data in members_of(good).items()]
    repacked = tmp_path / "deflated.npz"
    repacked.write_bytes(build_zip(members))
    np.testing.assert_array_equal(load_model(repacked).model.coef_, load_model(good).model.coef_)


def test_duplicate_member_is_refused(tmp_path):
    """A second coef.npy used to win silently."""
    good = save_model(tmp_path / "good.npz", fake_fitted([0, 1], 2))
    members = [Member(name, data) for name, data in members_of(good).items()]
    members.append(Member("coef.npy", npy_bytes(np.full((1, 2), 9.0))))
    bad = tmp_path / "bad.npz"
    bad.write_bytes(build_zip(members))
    with pytest.raises(ModelFileError, match="holds the member 'coef.npy' more than once"):
        load_model(bad)


@pytest.mark.parametrize("coef, message", [
    (npy_header("<f8", (10**12,)), r"'coef' should be a float array of shape \(1, 2\), got "
                                   r"dtype <f8 \(1000000000000,\)"),
    (npy_header("<f8", (1, 2), fortran_order=True) + bytes(16), r"Fortran order"),
    (npy_header([("a", "<f8")], (1, 2)) + bytes(16), r"holds dtype"),
    (npy_header("O", (1, 2)) + bytes(16), r"holds an object array"),
    (npy_header("<f8", (1, 3)) + bytes(16), r"should be a float array of shape \(1, 2\)"),
    (npy_header("<f8", (1, 2)) + bytes(8), r"its header announces 16 bytes of data, the archive 8"),
    (npy_header("<f8", (1, 2)) + bytes(24), r"announces 16 bytes of data, the archive 24"),
    (npy_header("<f8", (1, 2))[:20], r"is truncated|unreadable .npy header"),
    (b"\x93NUMPY\x03\x00" + bytes(20), r"version 3.0; this reader supports 1.0 and 2.0"),
    (b"\x93NUMPY\x01\x00\xff\xff" + bytes(20), r"a .npy header of 65535 bytes"),
    (b"\x93NUMPY\x01\x00\x10\x00{'descr': 1}    ", r"unreadable .npy header"),
    (b"not an array at all", r"member 'coef.npy' is not a .npy array"),
])
def test_npy_headers_are_checked_before_the_data(tmp_path, coef, message):
    """A declared shape of (10**12,) used to raise MemoryError."""
    good = save_model(tmp_path / "good.npz", fake_fitted([0, 1], 2))
    members = {**members_of(good), "coef.npy": coef}
    bad = tmp_path / "bad.npz"
    bad.write_bytes(build_zip(members))
    with pytest.raises(ModelFileError, match=message):
        load_model(bad)


def test_big_endian_and_float32_members_load(tmp_path):
    good = save_model(tmp_path / "good.npz", fake_fitted([0, 1], 2))
    members = {**members_of(good), "coef.npy": npy_bytes(np.array([[1.5, -2.0]], dtype=">f8")),
               "intercept.npy": npy_bytes(np.array([0.25], dtype=np.float32))}
    other = tmp_path / "other.npz"
    other.write_bytes(build_zip(members))
    model = load_model(other).model
    assert model.coef_.tolist() == [[1.5, -2.0]] and model.coef_.dtype == np.float64
    assert model.intercept_.tolist() == [0.25]


@pytest.mark.parametrize("text, message", [
    ("[" * 100_000, "nested too deeply"),
    ('{"a": ' * 100_000, "nested too deeply"),
    ("{not json", "metadata is not valid JSON"),
    ('{"format": 1, "format": 2}', r"not valid JSON \(the key 'format' appears twice\)"),
    ('{"n": ' + "9" * 5000 + "}", "not valid JSON"),
    ('"just text"', "not a tinygrad-lr model"),
])
def test_hostile_metadata_is_named(tmp_path, text, message):
    """Metadata of '[' * 100000 used to raise RecursionError."""
    good = save_model(tmp_path / "good.npz", fake_fitted([0, 1], 2))
    members = {**members_of(good), "metadata.npy": npy_bytes(np.array(text))}
    bad = tmp_path / "bad.npz"
    bad.write_bytes(build_zip(members))
    with pytest.raises(ModelFileError, match=message):
        load_model(bad)


@pytest.mark.parametrize("metadata, message", [
    (npy_bytes(np.array([1.0])), r"metadata should be a JSON text, got dtype <f8"),
    (npy_bytes(np.array(["{}", "{}"])), r"metadata should be a JSON text, got dtype <U2 of "
                                        r"shape \(2,\)"),
    (npy_header("<U100000000", ()), r"the metadata is 100000000 characters long"),
])
def test_metadata_member_must_be_one_bounded_text(tmp_path, metadata, message):
    good = save_model(tmp_path / "good.npz", fake_fitted([0, 1], 2))
    members = {**members_of(good), "metadata.npy": metadata}
    bad = tmp_path / "bad.npz"
    bad.write_bytes(build_zip(members))
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
    with pytest.raises(ModelFileError, match="no such model file"):
        load_model(tmp_path)  # a folder
    broken_json = _rewrite(good, tmp_path / "json.npz")
    with np.load(broken_json) as archive:
        arrays = dict(archive)
    arrays["metadata"] = np.array("{not json")
    np.savez(broken_json, **arrays)
    with pytest.raises(ModelFileError, match="metadata is not valid JSON"):
        load_model(broken_json)
    assert issubclass(ModelFileError, ValueError)


def test_every_message_is_one_line(tmp_path):
    good = save_model(tmp_path / "good.npz", fake_fitted([0, 1], 2))
    members = {**members_of(good), "metadata.npy": npy_bytes(np.array("{\n\n\nbad"))}
    bad = tmp_path / "bad.npz"
    bad.write_bytes(build_zip(members))
    with pytest.raises(ModelFileError) as caught:
        load_model(bad)
    assert "\n" not in str(caught.value)


def test_save_refuses_what_it_cannot_store(tmp_path):
    with pytest.raises(ValueError, match="needs a fitted model"):
        save_model(tmp_path / "m.npz", LogisticRegression())
    X, model, scaler = fitted()
    with pytest.raises(ValueError, match="got 2 feature names for a model of 3 features"):
        save_model(tmp_path / "m.npz", model, feature_names=["a", "b"])
    with pytest.raises(ValueError, match="scaler must be fitted on the model's 3 features"):
        save_model(tmp_path / "m.npz", model, scaler=StandardScaler().fit(X[:, :2]))
    broken = fake_fitted([0, 1], 2)
    broken.coef_[0, 0] = np.nan
    with pytest.raises(ValueError, match="holds NaN or infinity"):
        save_model(tmp_path / "m.npz", broken)
    assert os.listdir(tmp_path) == []  # nothing written, no temporary left


def test_unsavable_parameters_are_listed_and_dicts_keep_key_types(tmp_path):
    model = fake_fitted([0, 1], 2)
    model.random_state = np.random.default_rng(0)
    path = save_model(tmp_path / "m.npz", model)
    metadata = metadata_of(members_of(path))
    assert metadata["unsaved_params"] == ["random_state"]
    assert load_model(path).model.random_state is None
    params, unsaved = persistence._json_params({"class_weight": {0: 1.0, "a": 2}, "tol": 0.1})
    assert params == {"class_weight": {"dict": [[0, 1.0], ["a", 2]]}, "tol": 0.1} and not unsaved


def test_very_long_history_is_left_out(tmp_path, monkeypatch):
    monkeypatch.setattr(persistence, "MAX_HISTORY", 3)
    model = fake_fitted([0, 1], 2, history=[0.6, 0.5, 0.4, 0.3])
    path = save_model(tmp_path / "m.npz", model)
    assert "history.npy" not in members_of(path)
    loaded = load_model(path).model
    assert loaded.history_.size == 0 and loaded.n_iter_ == 4
    monkeypatch.setattr(persistence, "MAX_HISTORY", 100)
    members = {**members_of(path), "history.npy": npy_bytes(np.zeros(101))}
    bad = tmp_path / "bad.npz"
    bad.write_bytes(build_zip(members))
    with pytest.raises(ModelFileError, match="'history.npy' declares 936 bytes|101 entries"):
        load_model(bad)


# ------------------------------------------------------------------------- atomic writes
def test_failed_save_keeps_the_old_file_and_removes_the_temporary(tmp_path, monkeypatch):
    old = save_model(tmp_path / "m.npz", fake_fitted([0, 1], 2, value=1.0))
    before = old.read_bytes()

    def explode(*args, **kwargs):
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(np.lib.format, "write_array", explode)
    with pytest.raises(OSError, match="disk full"):
        save_model(old, fake_fitted([0, 1], 2, value=2.0))
    assert old.read_bytes() == before and os.listdir(tmp_path) == ["m.npz"]
    monkeypatch.undo()
    monkeypatch.setattr(os, "fsync", explode)
    with pytest.raises(OSError, match="disk full"):
        save_model(old, fake_fitted([0, 1], 2, value=2.0))
    assert old.read_bytes() == before and os.listdir(tmp_path) == ["m.npz"]
    monkeypatch.undo()
    calls = []
    real_replace = os.replace
    monkeypatch.setattr(os, "replace", lambda a, b: calls.append((a, b)) or real_replace(a, b))
    save_model(old, fake_fitted([0, 1], 2, value=2.0))
    assert load_model(old).model.coef_[0, 0] == 2.0 and os.listdir(tmp_path) == ["m.npz"]
    (source, target), = calls
    assert os.path.dirname(source) == str(tmp_path) and target == old


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_save_keeps_an_existing_files_mode_and_follows_links(tmp_path):
    path = save_model(tmp_path / "m.npz", fake_fitted([0, 1], 2))
    os.chmod(path, 0o640)
    save_model(path, fake_fitted([0, 1], 2, value=3.0))
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640
    link = tmp_path / "link.npz"
    link.symlink_to(path)
    save_model(link, fake_fitted([0, 1], 2, value=4.0))
    assert link.is_symlink() and load_model(path).model.coef_[0, 0] == 4.0
    fresh = save_model(tmp_path / "fresh.npz", fake_fitted([0, 1], 2))
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(os.stat(fresh).st_mode) == 0o666 & ~umask


def test_writable_model_path_fails_before_any_work(tmp_path):
    assert writable_model_path(tmp_path / "m") == tmp_path / "m.npz"
    assert writable_model_path(tmp_path / "m.NPZ") == tmp_path / "m.NPZ"
    assert os.listdir(tmp_path) == []  # the probe leaves nothing
    with pytest.raises(FileNotFoundError, match="the folder .*missing does not exist"):
        writable_model_path(tmp_path / "missing" / "m.npz")
    (tmp_path / "file").write_text("")
    with pytest.raises(NotADirectoryError, match="is not a folder"):
        writable_model_path(tmp_path / "file" / "m.npz")
    (tmp_path / "d.npz").mkdir()
    with pytest.raises(IsADirectoryError, match="it is a folder"):
        writable_model_path(tmp_path / "d.npz")
    with pytest.raises(IsADirectoryError, match="it is a folder"):
        save_model(tmp_path / "d.npz", fake_fitted([0, 1], 2))


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
        saved = load_model(save_model(tmp_path / "pipe.npz", pipeline, target="label"))
        np.testing.assert_array_equal(saved.model.predict(saved.predict_input(X)),
                                      pipeline.predict(X))
        np.testing.assert_allclose(saved.model.predict_proba(saved.predict_input(X)),
                                   pipeline.predict_proba(X), rtol=1e-13, atol=1e-15)
        assert saved.scaler is not None and saved.target == "label"
    alone = pipeline_module.make_pipeline(LogisticRegression(solver="newton")).fit(X, y)
    assert load_model(save_model(tmp_path / "alone.npz", alone)).scaler is None


def test_save_model_says_what_it_got(tmp_path):
    pipeline_module = pytest.importorskip("sklearn.pipeline")
    decomposition = pytest.importorskip("sklearn.decomposition")
    linear_model = pytest.importorskip("sklearn.linear_model")
    sk_preprocessing = pytest.importorskip("sklearn.preprocessing")
    X, model, _ = fitted()
    y = model.predict(StandardScaler().fit(X).transform(X))
    with pytest.raises(TypeError, match=r"got LogisticRegression \(from sklearn\)"):
        save_model(tmp_path / "m.npz", linear_model.LogisticRegression().fit(X, y))
    with pytest.raises(TypeError, match=r"got dict"):
        save_model(tmp_path / "m.npz", {"coef_": 1})
    odd = pipeline_module.make_pipeline(decomposition.PCA(2), LogisticRegression(solver="newton"))
    odd.fit(X, y)
    with pytest.raises(TypeError, match=r"a Pipeline of \[\('pca', 'PCA \(from sklearn\)'\), "
                                        r"\('logisticregression', 'LogisticRegression \(from "
                                        r"tinygrad_lr\)'\)\]"):
        save_model(tmp_path / "m.npz", odd)
    unfitted = pipeline_module.make_pipeline(sk_preprocessing.StandardScaler(),
                                             LogisticRegression())
    with pytest.raises(ValueError, match=r"needs a fitted model \(the Pipeline's last step\)"):
        save_model(tmp_path / "m.npz", unfitted)
    fitted_pipeline = pipeline_module.make_pipeline(sk_preprocessing.StandardScaler(),
                                                    LogisticRegression(solver="newton"))
    with pytest.raises(ValueError, match="either a Pipeline or scaler=, not both"):
        save_model(tmp_path / "m.npz", fitted_pipeline.fit(X, y), scaler=StandardScaler())
    assert os.listdir(tmp_path) == []


def test_a_name_of_255_bytes_still_saves(tmp_path):
    path = tmp_path / ("a" * 251 + ".npz")
    save_model(path, fake_fitted([0, 1], 2))
    assert load_model(path).model.coef_.shape == (1, 2) and os.listdir(tmp_path) == [path.name]


def test_feature_names_recorded_by_fit_are_the_default(tmp_path):
    model = fake_fitted([0, 1], 2)
    model.feature_names_in_ = np.array(["height", "weight"], dtype=object)
    assert load_model(save_model(tmp_path / "m.npz", model)).feature_names == ["height",
                                                                                "weight"]
    given = save_model(tmp_path / "g.npz", model, feature_names=["p", "q"])
    assert load_model(given).feature_names == ["p", "q"]


def test_an_archive_of_many_members_is_refused_quickly(tmp_path):
    good = save_model(tmp_path / "good.npz", fake_fitted([0, 1], 2))
    members = [Member(name, data) for name, data in members_of(good).items()]
    many = members + [Member(f"m{i}.npy", b"") for i in range(20_000)]
    bad = tmp_path / "many.npz"
    bad.write_bytes(build_zip(many))
    with pytest.raises(ModelFileError, match="unknown member 'm0.npy'"):
        load_model(bad)
    repeated = members + [Member("coef.npy", b"") for _ in range(20_000)]
    bad.write_bytes(build_zip(repeated))
    with pytest.raises(ModelFileError, match="holds the member 'coef.npy' more than once"):
        load_model(bad)


def test_a_deeply_nested_npy_header_is_named(tmp_path):
    good = save_model(tmp_path / "good.npz", fake_fitted([0, 1], 2))
    header = b"{'descr': '<f8', 'fortran_order': False, 'shape': " + b"(" * 4000 + b"}"
    header += b" " * (-(len(header) + 11) % 64) + b"\n"
    coef = b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header
    bad = tmp_path / "bad.npz"
    bad.write_bytes(build_zip({**members_of(good), "coef.npy": coef}))
    with pytest.raises(ModelFileError, match="'coef.npy' has an unreadable .npy header"):
        load_model(bad)


def test_an_unreadable_file_says_so(tmp_path, monkeypatch):
    path = save_model(tmp_path / "m.npz", fake_fitted([0, 1], 2))
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
            save_model(tmp_path / "m.npz", model)
    assert os.listdir(tmp_path) == []
