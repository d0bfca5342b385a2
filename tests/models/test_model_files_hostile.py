"""Model files under attack: byte flips and truncations of every part, saves killed
half-way, and size bombs. Loading either raises ModelFileError or gives back a model that
behaves exactly like the saved one; a killed save leaves the old or the new model."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import tracemalloc

import numpy as np
import pytest
from model_files import fake_fitted, fitted, metadata_of, raw_file, split_file

from tinygrad_lr.models import ModelFileError, load_model, save_model

FUZZ_SEED = 20261201


def _same_behaviour(saved, reference, X) -> bool:
    return (saved.model.classes_.tolist() == reference.model.classes_.tolist()
            and saved.feature_names == reference.feature_names
            and saved.target == reference.target
            and saved.model.get_params() == reference.model.get_params()
            and np.array_equal(saved.model.history_, reference.model.history_)
            and np.array_equal(saved.predict_input(X), reference.predict_input(X))
            and np.array_equal(saved.model.predict_proba(saved.predict_input(X)),
                               reference.model.predict_proba(reference.predict_input(X))))


def _regions(path) -> dict:
    """Byte ranges of the file: the header's length, its metadata, its table of tensors,
    and each tensor's data."""
    header, _ = split_file(path)
    length = int.from_bytes(path.read_bytes()[:8], "little")
    text = path.read_bytes()[8:8 + length]
    metadata_end = 8 + text.index(b"}") + 1  # the metadata object holds no nested braces
    regions = {"header length": range(0, 8), "metadata": range(8, metadata_end),
               "tensor table": range(metadata_end, 8 + length)}
    for name, entry in header.items():
        if name != "__metadata__":
            start, end = entry["data_offsets"]
            regions[name] = range(8 + length + start, 8 + length + end)
    return regions


def test_byte_flips_and_truncations_of_every_part(tmp_path):
    X, model, scaler = fitted(("benign", "malignant"))
    good = save_model(tmp_path / "good", model, scaler=scaler, feature_names="abc",
                      target="diagnosis")
    reference = load_model(good)
    data = good.read_bytes()
    regions = _regions(good)
    assert set(regions) == {"header length", "metadata", "tensor table", "coef", "intercept",
                            "history", "scaler.mean", "scaler.scale"}
    rng = np.random.default_rng(FUZZ_SEED)
    cases = [("flip", int(rng.choice(region)), int(rng.integers(1, 256)), name)
             for name, region in regions.items() for _ in range(40)]
    cases += [("truncate", int(length), 0, "") for length in rng.integers(0, len(data), 60)]
    bad = tmp_path / "bad.safetensors"
    refused = same = 0
    survived = set()
    for kind, position, mask, name in cases:
        damaged = bytearray(data)
        if kind == "flip":
            damaged[position] ^= mask
        else:
            del damaged[position:]
        bad.write_bytes(bytes(damaged))
        try:
            saved = load_model(bad)
        except ModelFileError as error:
            assert "\n" not in str(error)
            refused += 1
            continue
        assert _same_behaviour(saved, reference, X), (kind, position, mask)
        survived.add(name)
        same += 1
    assert refused + same == len(cases) == 380
    # The checksum catches every flip in the tensors and the metadata; only the header's
    # padding and JSON whitespace (or a flip JSON reads the same) may survive.
    assert survived <= {"tensor table", "metadata"}, survived
    assert refused > 0.9 * len(cases)


_SAVER = textwrap.dedent("""
    import sys
    import numpy as np
    from tinygrad_lr.models import LogisticRegression, StandardScaler, save_model

    d = int(sys.argv[2])
    model = LogisticRegression()
    model.coef_ = np.full((1, d), 2.0)
    model.intercept_ = np.array([-2.0])
    model.classes_ = np.array([0, 1])
    model.n_features_in_ = d
    model.history_ = [0.5]
    model.n_iter_ = 1
    scaler = StandardScaler()
    scaler.mean_, scaler.scale_, scaler.n_features_in_ = np.zeros(d), np.full(d, 2.0), d
    if sys.argv[3] == "pause-before-rename":
        # the data is written and flushed, the rename not yet made: the moment an
        # in-place writer would have left half a file
        import os, time
        def pause(fd):
            print("mid-save", flush=True)
            time.sleep(60)
        os.fsync = pause
    print("ready", flush=True)
    while True:
        save_model(sys.argv[1], model, scaler=scaler)
""")


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_a_save_killed_at_any_moment_leaves_the_old_or_the_new_model(tmp_path):
    d = 100_000  # 2.4 MB per file, so a kill often lands in the middle of a save
    old_model = fake_fitted([0, 1], d, value=1.0)
    path = save_model(tmp_path / "model.safetensors", old_model)
    outcomes = []
    # A kill at a fixed moment inside a save (deterministic), then at several delays, which
    # land wherever the machine's load puts them.
    for delay in ("pause-before-rename", 0.0, 0.01, 0.03, 0.06, 0.1, 0.2):
        mode = delay if isinstance(delay, str) else "run"
        child = subprocess.Popen([sys.executable, "-c", _SAVER, str(path), str(d), mode],
                                 stdout=subprocess.PIPE, text=True)
        assert child.stdout.readline().strip() == "ready"
        if isinstance(delay, str):
            assert child.stdout.readline().strip() == "mid-save"
        else:
            time.sleep(delay)
        child.send_signal(signal.SIGKILL)
        child.wait()
        child.stdout.close()
        saved = load_model(path)  # never a ModelFileError
        weight = saved.model.coef_[0, 0]
        assert weight in (1.0, 2.0)
        assert (weight == 2.0) == (saved.scaler is not None)
        assert saved.model.coef_.shape == (1, d) and np.all(saved.model.coef_ == weight)
        leftovers = [name for name in os.listdir(tmp_path) if name != "model.safetensors"]
        assert all(name.startswith(".model.safetensors.") and name.endswith(".tmp")
                   for name in leftovers)
        outcomes.append(("new" if weight == 2.0 else "old", bool(leftovers)))
        for name in leftovers:
            os.unlink(tmp_path / name)
    print("kills (model found, interrupted mid-save):", outcomes)
    # the kill inside a save left its temporary behind and the old model in place
    assert outcomes[0] == ("old", True), outcomes


def _bounded_load(path):
    """Load ``path``; return the error, the peak traced memory (bytes) and the seconds."""
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(ModelFileError) as caught:
            load_model(path)
        return caught.value, tracemalloc.get_traced_memory()[1], time.perf_counter() - started
    finally:
        tracemalloc.stop()


BOMB_BYTES = 2**31  # each bomb declares (or is, sparsely) 2 GiB


def _sparse(path, header: dict, data_bytes: int, length: int | None = None, prefix=b""):
    """A file of the header, ``prefix`` and zero bytes up to ``data_bytes`` of data, made
    sparse (no disk used)."""
    text = raw_file(header, prefix, length)
    with open(path, "wb") as handle:
        handle.write(text)
        handle.truncate(len(text) - len(prefix) + data_bytes)
    return path


def _bombs(tmp_path):
    """(name, path, expected message) of files that declare or hold gigabytes."""
    good = save_model(tmp_path / "good", fake_fitted([0, 1], 2))
    header, data = split_file(good)
    bomb = tmp_path / "bomb.safetensors"

    def with_entry(name, dtype, shape, size):
        edited = json.loads(json.dumps(header))
        edited[name] = {"dtype": dtype, "shape": shape,
                        "data_offsets": [len(data), len(data) + size]}
        return edited

    yield "2**40-byte header length", _sparse(bomb, header, 0, length=2**40), (
        "its header would be 1099511627776 bytes")
    (tmp_path / "declared.safetensors").write_bytes(
        raw_file(with_entry("history", "F64", [BOMB_BYTES // 8], BOMB_BYTES), data))
    yield "2 GiB history declared, not there", tmp_path / "declared.safetensors", (
        "cannot read it as a safetensors file")
    big = _sparse(tmp_path / "big.safetensors",
                  with_entry("bomb", "F64", [BOMB_BYTES // 8], BOMB_BYTES), BOMB_BYTES)
    yield "2 GiB extra tensor (sparse file)", big, "the file is 21474"
    yield "128 MiB history (sparse file)", _history_bomb(tmp_path, header, data, 2**27), (
        "'history' holds 16777216 entries, more than the 8388608 allowed")
    huge = json.loads(json.dumps(header))
    huge["__metadata__"]["n_features"] = str(2**28)
    (tmp_path / "features.safetensors").write_bytes(raw_file(huge, data))
    yield "2**28 declared features", tmp_path / "features.safetensors", (
        "n_features must be a positive int")


def _history_bomb(tmp_path, header, data, history_bytes):
    """The good file's coef and intercept, then a ``history`` of ``history_bytes`` zeros
    (twice the limit, yet within the file-size limit; the file is sparse)."""
    coef, intercept = header["coef"], header["intercept"]
    kept = b"".join(data[slice(*entry["data_offsets"])] for entry in (coef, intercept))
    edited = {"__metadata__": header["__metadata__"],
              "coef": {**coef, "data_offsets": [0, 16]},
              "intercept": {**intercept, "data_offsets": [16, 24]},
              "history": {"dtype": "F64", "shape": [history_bytes // 8],
                          "data_offsets": [24, 24 + history_bytes]}}
    return _sparse(tmp_path / "history.safetensors", edited, 24 + history_bytes, prefix=kept)


def test_size_bombs_are_refused_before_they_are_read(tmp_path):
    observed = []
    for name, bomb, message in _bombs(tmp_path):
        error, peak, seconds = _bounded_load(bomb)
        assert message in str(error), (name, str(error))
        # refused from the header alone: a few MB at most against the gigabytes a reader
        # that read the tensors would need
        assert peak < 64 * 2**20, (name, peak)
        assert seconds < 10, (name, seconds)
        observed.append((name, peak, round(seconds, 4)))
    print("bombs (name, peak bytes, seconds):", observed)
    assert metadata_of(tmp_path / "good.safetensors")["n_features"] == 2
