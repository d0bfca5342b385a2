"""Helpers for the model-file tests: fitted models, and safetensors files rebuilt by hand (so
a test can plant exactly the flaw it means to: a lying header, a wrong dtype, an edited
metadata entry with or without a matching checksum)."""

from __future__ import annotations

import json

import numpy as np
import safetensors
import safetensors.numpy

from tinygrad_lr.models import LogisticRegression, StandardScaler, persistence


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


def contents(path) -> tuple[dict, dict]:
    """(tensors, string metadata) of a safetensors file, read with safetensors alone."""
    with safetensors.safe_open(path, framework="numpy") as file:
        return {name: file.get_tensor(name) for name in file.keys()}, dict(file.metadata())


def metadata_of(path) -> dict:
    """The metadata entries of a model file, each JSON value decoded."""
    _, raw = contents(path)
    return {key: value if key in ("format", "checksum") else json.loads(value)
            for key, value in raw.items()}


def rewritten(path, target, *, tensors=None, metadata=None, raw_metadata=None, sign=True):
    """``path`` written again to ``target`` with tensors replaced (None deletes one) and
    metadata entries replaced (``metadata``: values JSON-encoded; ``raw_metadata``: text as
    given; None deletes). ``sign``: recompute the checksum, so the planted flaw is what the
    loader meets (not a checksum mismatch)."""
    arrays, entries = contents(path)
    for name, array in (tensors or {}).items():
        if array is None:
            arrays.pop(name, None)
        else:
            arrays[name] = array
    changes = {key: None if value is None else json.dumps(value)
               for key, value in (metadata or {}).items()}
    changes.update(raw_metadata or {})
    for key, value in changes.items():
        if value is None:
            entries.pop(key, None)
        else:
            entries[key] = value
    if sign and "checksum" in entries and "checksum" not in changes:
        entries["checksum"] = persistence._checksum(entries, arrays)
    target.write_bytes(safetensors.numpy.save(arrays, metadata=entries))
    return target


def split_file(path) -> tuple[dict, bytes]:
    """(header as a dict, data bytes) of a safetensors file."""
    data = path.read_bytes()
    length = int.from_bytes(data[:8], "little")
    return json.loads(data[8:8 + length]), data[8 + length:]


def raw_file(header: dict, data: bytes, length: int | None = None) -> bytes:
    """A safetensors file from a header dict and data bytes; ``length`` overrides the
    8-byte header length."""
    text = json.dumps(header).encode()
    return (len(text) if length is None else length).to_bytes(8, "little") + text + data
