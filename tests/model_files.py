"""Helpers for the model-file tests: fitted models and hand-built zip archives (so a test can
plant exactly the flaw it means to: a lying size, a flag, a duplicate member)."""

from __future__ import annotations

import io
import json
import struct
import zipfile
import zlib

import numpy as np

from tinygrad_lr.models import LogisticRegression, StandardScaler


def fitted(labels=(0, 1), d=3):
    """A Newton-fitted model on 40 rows of ``d`` features, its data and its scaler."""
    rng = np.random.default_rng(0)
    X = rng.normal(loc=5.0, scale=3.0, size=(40, d))
    y = np.array(labels)[(X[:, 0] + rng.normal(size=40) > 5).astype(int)]
    scaler = StandardScaler().fit(X)
    model = LogisticRegression(solver="newton", l2=0.05).fit(scaler.transform(X), y)
    return X, model, scaler


def fake_fitted(classes, d, value=1.0, history=(0.5, 0.25)):
    """A LogisticRegression with fitted attributes set by hand (K classes: coef (K, d))."""
    model = LogisticRegression()
    rows = 1 if len(classes) == 2 else len(classes)
    model.coef_ = np.full((rows, d), value) + np.arange(rows)[:, None]
    model.intercept_ = np.full(rows, -value)
    model.classes_ = np.array(classes)
    model.n_features_in_ = d
    model.history_ = list(history)
    model.n_iter_ = len(history)
    return model


def npy_bytes(array) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, np.asarray(array), allow_pickle=False)
    return buffer.getvalue()


def npy_header(dtype, shape, fortran_order=False) -> bytes:
    """A .npy header alone (no data), declaring whatever the test wants."""
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buffer, {"descr": np.lib.format.dtype_to_descr(np.dtype(dtype)),
                 "fortran_order": fortran_order, "shape": tuple(shape)})
    return buffer.getvalue()


def members_of(path) -> dict:
    """name -> bytes of every member of a (stored) model archive."""
    with zipfile.ZipFile(path) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def metadata_of(members) -> dict:
    return json.loads(str(np.load(io.BytesIO(members["metadata.npy"]))))


def with_metadata(members, **changes) -> dict:
    metadata = metadata_of(members)
    metadata.update(changes)
    return {**members, "metadata.npy": npy_bytes(np.array(json.dumps(metadata)))}


class Member:
    """One zip entry as it will be written: raw (possibly compressed) bytes and the fields
    of its headers, each overridable."""

    def __init__(self, name, data, *, method=0, raw=None, size=None, crc=None, flags=0,
                 version=20):
        self.name = name.encode()
        self.method, self.flags, self.version = method, flags, version
        if raw is None:
            raw = data if method == 0 else _deflate(data)
        self.raw = raw
        self.size = len(data) if size is None else size
        self.crc = zlib.crc32(data) if crc is None else crc


def _deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush()


def build_zip(members) -> bytes:
    """A zip archive (no zip64) of ``Member`` objects or ``{name: bytes}`` (stored)."""
    if isinstance(members, dict):
        members = [Member(name, data) for name, data in members.items()]
    out, directory = io.BytesIO(), io.BytesIO()
    for member in members:
        offset = out.tell()
        out.write(struct.pack("<4s5H3I2H", b"PK\x03\x04", member.version, member.flags,
                              member.method, 0, 0x21, member.crc, len(member.raw),
                              member.size, len(member.name), 0))
        out.write(member.name)
        out.write(member.raw)
        directory.write(struct.pack("<4s6H3I5H2I", b"PK\x01\x02", 20, member.version,
                                    member.flags, member.method, 0, 0x21, member.crc,
                                    len(member.raw), member.size, len(member.name), 0, 0, 0, 0,
                                    0o644 << 16, offset))
        directory.write(member.name)
    start = out.tell()
    out.write(directory.getvalue())
    out.write(struct.pack("<4s4H2IH", b"PK\x05\x06", 0, 0, len(members), len(members),
                          len(directory.getvalue()), start, 0))
    return out.getvalue()


def zero_bomb(n_bytes: int, prefix: bytes = b"", chunk: int = 2**20) -> bytes:
    """A raw deflate stream of ``prefix`` and ``n_bytes`` zero bytes, built in milliseconds:
    after a full flush a block does not refer back, so one compressed chunk repeats."""
    assert n_bytes % chunk == 0
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    start = compressor.compress(prefix) + compressor.flush(zlib.Z_FULL_FLUSH)
    block = compressor.compress(bytes(chunk)) + compressor.flush(zlib.Z_FULL_FLUSH)
    return start + block * (n_bytes // chunk) + compressor.flush()
