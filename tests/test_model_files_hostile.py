"""Model files under attack: byte flips and truncations of every member, saves killed
half-way, and zip bombs. Loading either raises ModelFileError or gives back a model that
behaves exactly like the saved one; a killed save leaves the old or the new model."""

import os
import signal
import subprocess
import sys
import textwrap
import time
import tracemalloc
import zipfile

import numpy as np
import pytest
from model_files import (
    Member,
    build_zip,
    fake_fitted,
    fitted,
    members_of,
    npy_header,
    with_metadata,
    zero_bomb,
)

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
    """Byte ranges of the file: each member (local header + data) and the zip directory."""
    with zipfile.ZipFile(path) as archive:
        entries = sorted(archive.infolist(), key=lambda entry: entry.header_offset)
    size = os.path.getsize(path)
    starts = [entry.header_offset for entry in entries]
    directory = max(entry.header_offset + 30 + len(entry.filename) + 20 + entry.compress_size
                    for entry in entries)
    ends = starts[1:] + [directory]
    regions = {entry.filename: range(start, end)
               for entry, start, end in zip(entries, starts, ends)}
    regions["central directory"] = range(directory, size)
    return regions


def test_byte_flips_and_truncations_of_every_member(tmp_path):
    X, model, scaler = fitted(("benign", "malignant"))
    good = save_model(tmp_path / "good.npz", model, scaler=scaler, feature_names="abc",
                      target="diagnosis")
    reference = load_model(good)
    data = good.read_bytes()
    regions = _regions(good)
    assert set(regions) == {"metadata.npy", "coef.npy", "intercept.npy", "history.npy",
                            "mean.npy", "scale.npy", "central directory"}
    rng = np.random.default_rng(FUZZ_SEED)
    cases = [("flip", int(rng.choice(region)), int(rng.integers(1, 256)))
             for region in regions.values() for _ in range(40)]
    cases += [("truncate", int(length), 0) for length in rng.integers(0, len(data), 60)]
    bad = tmp_path / "bad.npz"
    refused = same = 0
    for kind, position, mask in cases:
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
        same += 1
    assert refused + same == len(cases) == 340
    # CRC checks catch every flip inside the data; only header fields zip readers ignore
    # (timestamps, the local copies of sizes and CRCs) may survive a flip.
    assert refused > 0.8 * len(cases)


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
    print("ready", flush=True)
    while True:
        save_model(sys.argv[1], model, scaler=scaler)
""")


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_a_save_killed_at_any_moment_leaves_the_old_or_the_new_model(tmp_path):
    d = 100_000  # 2.4 MB per file, so a kill often lands in the middle of a save
    old_model = fake_fitted([0, 1], d, value=1.0)
    path = save_model(tmp_path / "model.npz", old_model)
    outcomes = []
    for delay in (0.0, 0.01, 0.03, 0.06, 0.1, 0.2):
        child = subprocess.Popen([sys.executable, "-c", _SAVER, str(path), str(d)],
                                 stdout=subprocess.PIPE, text=True)
        assert child.stdout.readline().strip() == "ready"
        time.sleep(delay)
        child.send_signal(signal.SIGKILL)
        child.wait()
        child.stdout.close()
        saved = load_model(path)  # never a ModelFileError
        weight = saved.model.coef_[0, 0]
        assert weight in (1.0, 2.0)
        assert (weight == 2.0) == (saved.scaler is not None)
        assert saved.model.coef_.shape == (1, d) and np.all(saved.model.coef_ == weight)
        leftovers = [name for name in os.listdir(tmp_path) if name != "model.npz"]
        assert all(name.startswith(".model.npz.") and name.endswith(".tmp")
                   for name in leftovers)
        outcomes.append(("new" if weight == 2.0 else "old", bool(leftovers)))
        for name in leftovers:
            os.unlink(tmp_path / name)
    print("kills (model found, interrupted mid-save):", outcomes)
    # at least one kill interrupted a save in progress (its temporary was left behind)
    assert any(interrupted for _, interrupted in outcomes), outcomes


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


BOMB_BYTES = 2**31  # each bomb would expand to 2 GiB


def _bombs(tmp_path):
    """(name, members, expected message) of small archives that would expand to GBs."""
    good = save_model(tmp_path / "good.npz", fake_fitted([0, 1], 2))
    members = [Member(name, data) for name, data in members_of(good).items()]

    def replacing(name, member):
        return [m for m in members if m.name != name.encode()] + [member]

    zeros = zero_bomb(BOMB_BYTES)  # 2 MB of deflate data
    yield "extra 2 GiB member", [*members, Member("bomb.npy", b"", method=8, raw=zeros,
                                                  size=BOMB_BYTES)], "unknown member 'bomb.npy'"
    header = npy_header("<f8", (BOMB_BYTES // 8,))
    yield "2 GiB history", replacing("history.npy", Member(
        "history.npy", b"", method=8, raw=zero_bomb(BOMB_BYTES, prefix=header),
        size=len(header) + BOMB_BYTES)), f"'history.npy' declares {len(header) + BOMB_BYTES} bytes"
    yield "2 GiB coef", replacing("coef.npy", Member(
        "coef.npy", b"", method=8, raw=zeros, size=BOMB_BYTES)), (
        "'coef.npy' declares 2147483648 bytes")
    yield "2 GiB metadata", replacing("metadata.npy", Member(
        "metadata.npy", b"", method=8, raw=zeros, size=BOMB_BYTES)), (
        "'metadata.npy' declares 2147483648 bytes")
    huge = with_metadata(members_of(good), n_features=BOMB_BYTES // 8)
    yield "2**28 declared features", [Member(name, data) for name, data in huge.items()], (
        "n_features must be a positive int")
    header = npy_header("<f8", (2**20,))  # 8 MiB of history: allowed, but not 1000-fold
    yield "8 MiB history at 1000:1", replacing("history.npy", Member(
        "history.npy", b"", method=8, raw=zero_bomb(2**23, prefix=header),
        size=len(header) + 2**23)), "would expand from"


def test_zip_bombs_are_refused_before_they_expand(tmp_path):
    observed = []
    for name, members, message in _bombs(tmp_path):
        bomb = tmp_path / "bomb.npz"
        bomb.write_bytes(build_zip(members))
        assert bomb.stat().st_size < 5 * 2**20
        error, peak, seconds = _bounded_load(bomb)
        assert message in str(error), (name, str(error))
        # refused from the zip directory and the .npy header alone: a few MB at most
        # against the 2 GiB a reader that expanded the member would need
        assert peak < 64 * 2**20, (name, peak)
        assert seconds < 10, (name, seconds)  # generous: expanding 2 GiB takes ~10 s
        observed.append((name, peak, seconds))
    print("bombs (name, peak bytes, seconds):", observed)
