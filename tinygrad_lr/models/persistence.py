"""Model files in the safetensors format: plain tensors and text, safe to load from anyone.

A model file is a `safetensors <https://huggingface.co/docs/safetensors>`_ file, so numpy,
PyTorch and JAX users read its coefficients with ``safetensors`` alone
(``safetensors.numpy.load_file(path)["coef"]``). It holds these float64 tensors:

- ``coef`` (1, d) for two classes or (K, d) for K ≥ 3, ``intercept`` (1,) or (K,);
- ``history``: the training loss per epoch (1-D; left out when very long);
- ``scaler.mean`` and ``scaler.scale`` (d,): the scaler, when the model was saved with one;

and, as the file's string metadata, each value a JSON text checked against
:data:`METADATA_SCHEMA`: the format name and version, the classes, the number of features,
feature names, target name, hyper-parameters, the number of training iterations, and a
SHA-256 checksum of all of it and of every tensor's bytes (safetensors itself keeps no
checksum, and a flipped bit in a weight must not load as a different model).

Writing is atomic: the file goes to a temporary file in the target's folder, is flushed to
disk, then renamed over the target, so a crash during a save leaves the old file or the
new one, never a mix. Reading never unpickles anything and never trusts the file: it
checks the header's length against a fixed limit and the file's size before safetensors
parses the header, checks every tensor's name, dtype and shape against what the metadata
implies *before* reading its data, verifies the checksum, and raises
:class:`ModelFileError` naming the problem for any file it cannot use.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import safetensors
import safetensors.numpy

from ..atomic_write import create_temporary, write_atomically
from .logistic_regression import LogisticRegression
from .model_metadata import (
    FORMAT_NAME,
    FORMAT_VERSION,
    MAX_CLASSES,
    MAX_FEATURES,
    METADATA_SCHEMA,
    SaveChecks,
    checked_classes,
    checked_metadata,
    json_label,
    json_n_iter,
    json_params,
    known_params,
)
from .preprocessing import StandardScaler

__all__ = ["FORMAT_NAME", "FORMAT_VERSION", "MAX_CLASSES", "MAX_FEATURES", "MAX_FILE_BYTES",
           "MAX_HEADER_BYTES", "MAX_HISTORY", "MAX_PARAMETERS", "METADATA_SCHEMA",
           "ModelFileError", "SavedModel", "coef_rows", "load_model", "model_file_path",
           "save_model", "writable_model_path"]

SUFFIX = ".safetensors"
MAX_PARAMETERS = 2**25
"""Most entries ``coef`` may have (K·d): 256 MiB of float64."""
MAX_HISTORY = 2**23
"""Longest loss history kept in a file (8.4 million epochs, 64 MiB); longer ones are left out."""
MAX_HEADER_BYTES = 2**26
"""Longest safetensors header (the metadata and the tensors' table; 64 MiB), checked
before anything parses it."""
MAX_FILE_BYTES = 8 + MAX_HEADER_BYTES + 8 * (MAX_PARAMETERS + MAX_CLASSES + MAX_HISTORY
                                             + 2 * MAX_FEATURES)
"""Largest model file: the largest header and the largest tensors the limits allow."""

_OLD_FORMAT = (
    "a model file of tinygrad-lr 0.1 (a numpy .npz archive), which this version no longer "
    "reads; re-save it as a .safetensors file: train it again with this version "
    "('tinygrad-lr train DATA.csv --target COLUMN -o MODEL.safetensors' or save_model()), "
    "or keep using it with tinygrad-lr<0.2"
)


class ModelFileError(ValueError):
    """The file is not a readable tinygrad-lr model (corrupt, foreign or inconsistent).

    >>> from tinygrad_lr.models import ModelFileError, load_model
    >>> try:
    ...     load_model("no-such-model.safetensors")
    ... except ModelFileError as error:
    ...     print(error)
    no-such-model.safetensors: no such model file
    """


class SavedModel(NamedTuple):
    """What :func:`load_model` returns: the model, its scaler (or None), the feature names
    and the target name; ``predict_input(X)`` applies the saved scaler.

    >>> import os, tempfile
    >>> from tinygrad_lr.models import LogisticRegression, StandardScaler, load_model, save_model
    >>> scaler = StandardScaler().fit([[0.0], [10.0]])
    >>> model = LogisticRegression(solver="newton").fit(scaler.transform([[0.0], [10.0]]), [0, 1])
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     saved = load_model(save_model(os.path.join(folder, "m"), model, scaler=scaler))
    >>> saved.target, saved.predict_input([[5.0], [10.0]]).tolist()
    (None, [[0.0], [1.0]])
    """

    model: LogisticRegression
    scaler: StandardScaler | None
    feature_names: list[str] | None
    target: str | None

    def predict_input(self, X: Any) -> Any:
        """``X`` after the saved scaler (unchanged when there is none)."""
        return self.scaler.transform(X) if self.scaler is not None else X


def coef_rows(n_classes: int) -> int:
    """Rows of ``coef_`` (and entries of ``intercept_``) for ``n_classes`` classes: one
    weight vector for two classes, one per class for three or more (scikit-learn's shapes).

    >>> coef_rows(2), coef_rows(3)
    (1, 3)
    """
    return 1 if n_classes == 2 else n_classes


# ---------------------------------------------------------------------------------- saving
def model_file_path(path: str | os.PathLike[str]) -> Path:
    """The path :func:`save_model` writes for ``path``: ``.safetensors`` is appended to a
    name without an extension; a name with one is used as given.

    >>> model_file_path("model").name, model_file_path("m.safetensors").name
    ('model.safetensors', 'm.safetensors')
    """
    path = Path(path)
    return path if path.suffix else path.with_name(path.name + SUFFIX)


def writable_model_path(path: str | os.PathLike[str]) -> Path:
    """:func:`model_file_path` of ``path`` after checking that a model can be written there
    now (the folder exists and accepts a new file; the name is not a folder), so a long
    training run can fail before it starts rather than after. Raises ``OSError``.

    >>> import tempfile
    >>> writable_model_path(tempfile.mkdtemp() + "/m").name
    'm.safetensors'
    """
    requested = model_file_path(path)
    path = _real_target(requested)
    if path.is_dir():
        raise IsADirectoryError(f"cannot write the model file {path}: it is a folder")
    folder = path.parent
    if not folder.exists():
        raise FileNotFoundError(
            f"cannot write the model file {path}: the folder {folder} does not exist"
        )
    if not folder.is_dir():
        raise NotADirectoryError(f"cannot write the model file {path}: {folder} is not a folder")
    handle, temporary = create_temporary(path)
    os.close(handle)
    os.unlink(temporary)
    return requested


def save_model(path: str | os.PathLike[str], model: Any, *,
               scaler: StandardScaler | None = None, feature_names: Any = None,
               target: str | None = None) -> Path:
    """Write a fitted model (and optionally its scaler) to ``path`` (``.safetensors``),
    atomically.

    Args:
        path: where to write; ``.safetensors`` is appended to a name without an extension,
            and the real path is returned. An existing file is replaced only once the new
            one is completely on disk.
        model: a fitted :class:`LogisticRegression`, or a fitted scikit-learn ``Pipeline``
            of a ``StandardScaler`` (this package's or scikit-learn's) and a
            :class:`LogisticRegression`.
        scaler: a fitted :class:`StandardScaler` applied before the model.
        feature_names: the column names the model expects, in order (default: the
            ``feature_names_in_`` scikit-learn recorded from a DataFrame, if any).
        target: the name of the label column it was trained on.

    >>> import os, tempfile
    >>> model = LogisticRegression(solver="newton").fit([[0.0], [1.0]], ["a", "b"])
    >>> path = save_model(os.path.join(tempfile.mkdtemp(), "m"), model)
    >>> path.name, load_model(path).model.classes_.tolist()
    ('m.safetensors', ['a', 'b'])
    """
    model, scaler, recorded_names = _model_and_scaler(model, scaler)
    if feature_names is None:
        feature_names = recorded_names
    d = int(model.n_features_in_)
    if feature_names is not None:
        feature_names = [str(name) for name in feature_names]
        if len(feature_names) != d:
            raise ValueError(f"got {len(feature_names)} feature names for a model of {d} features")
    classes = [json_label(c) for c in model.classes_]
    checked_classes(SaveChecks(), classes)  # never write a file load_model refuses
    rows = coef_rows(len(classes))
    if d > MAX_FEATURES or rows * d > MAX_PARAMETERS:
        raise ValueError(f"a model of {len(classes)} classes x {d} features is larger than a "
                         f"model file may hold ({MAX_FEATURES} features, {MAX_PARAMETERS} "
                         "weights)")
    coef = np.ascontiguousarray(model.coef_, dtype=np.float64)
    intercept = np.ascontiguousarray(model.intercept_, dtype=np.float64).reshape(-1)
    if coef.shape != (rows, d) or intercept.shape != (rows,):
        raise ValueError(
            f"a model of {len(classes)} classes and {d} features needs coef_ of shape "
            f"{(rows, d)} and intercept_ of shape {(rows,)}, got {coef.shape} and "
            f"{intercept.shape}"
        )
    if not (np.isfinite(coef).all() and np.isfinite(intercept).all()):
        raise ValueError("cannot save a model whose coef_ or intercept_ holds NaN or infinity")
    params, unsaved = json_params(model.get_params())
    values: dict[str, Any] = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "classes": classes,
        "n_features": d,
        "feature_names": feature_names,
        "target": None if target is None else str(target),
        "params": params,
        "standardized": scaler is not None,
        "n_iter": json_n_iter(getattr(model, "n_iter_", None)),
    }
    if unsaved:
        values["unsaved_params"] = unsaved
    metadata = {key: json.dumps(value, allow_nan=False) for key, value in values.items()}
    metadata["format"] = FORMAT_NAME  # as plain text, so any safetensors tool shows it
    tensors = {"coef": coef, "intercept": intercept}
    history = np.asarray(getattr(model, "history_", []), dtype=np.float64).reshape(-1)
    if history.size <= MAX_HISTORY and np.isfinite(history).all():
        tensors["history"] = np.ascontiguousarray(history)
    if scaler is not None:
        if not hasattr(scaler, "mean_") or scaler.n_features_in_ != d:
            raise ValueError(f"the scaler must be fitted on the model's {d} features")
        tensors["scaler.mean"] = np.ascontiguousarray(scaler.mean_, dtype=np.float64)
        tensors["scaler.scale"] = np.ascontiguousarray(scaler.scale_, dtype=np.float64)
    metadata["checksum"] = _checksum(metadata, tensors)
    header = len(json.dumps(metadata).encode()) + 100 * len(tensors)
    if header > MAX_HEADER_BYTES:
        raise ValueError(
            f"the model's metadata (feature names, classes) takes about {header} bytes; a "
            f"model file holds at most {MAX_HEADER_BYTES}"
        )
    data = safetensors.numpy.save(tensors, metadata=metadata)
    path = _real_target(model_file_path(path))
    if path.is_dir():
        raise IsADirectoryError(f"cannot write the model file {path}: it is a folder")
    write_atomically(path, data)
    return path


def _checksum(metadata: dict[str, str], tensors: dict[str, np.ndarray]) -> str:
    """SHA-256 of every metadata entry but the checksum and of every tensor (name, dtype,
    shape, bytes), each length-prefixed so no two different files share the input."""
    digest = hashlib.sha256()

    def feed(chunk: bytes) -> None:
        digest.update(len(chunk).to_bytes(8, "little"))
        digest.update(chunk)

    for key in sorted(metadata):
        if key != "checksum":
            feed(key.encode())
            feed(metadata[key].encode())
    for name in sorted(tensors):
        array = tensors[name]
        feed(name.encode())
        feed(f"{array.dtype.str}{array.shape}".encode())
        feed(np.ascontiguousarray(array).tobytes())
    return "sha256:" + digest.hexdigest()


def _model_and_scaler(model, scaler):
    """The LogisticRegression and scaler to save from what the caller passed, and the
    feature names a scikit-learn pipeline recorded (or None)."""
    steps = getattr(model, "steps", None)
    if isinstance(steps, list) and type(model).__name__ == "Pipeline":
        if scaler is not None:
            raise ValueError("pass either a Pipeline or scaler=, not both")
        estimators = [step for _, step in steps if step is not None and step != "passthrough"]
        if not (1 <= len(estimators) <= 2 and isinstance(estimators[-1], LogisticRegression)
                and (len(estimators) == 1 or _is_standard_scaler(estimators[0]))):
            raise TypeError(
                "save_model() can save a Pipeline of StandardScaler + LogisticRegression; got "
                f"a Pipeline of {[(name, _describe(step)) for name, step in steps]}"
            )
        _check_fitted(estimators[-1], " (the Pipeline's last step)")
        if len(estimators) == 2:
            scaler = _as_scaler(estimators[0])
        names = getattr(model, "feature_names_in_", None)
        model = estimators[-1]
        return model, scaler, None if names is None else list(names)
    if not isinstance(model, LogisticRegression):
        raise TypeError(
            "save_model() needs a fitted tinygrad_lr LogisticRegression or a Pipeline of "
            f"StandardScaler + LogisticRegression; got {_describe(model)}"
        )
    _check_fitted(model, "")
    names = getattr(model, "feature_names_in_", None)
    return model, scaler, None if names is None else list(names)


def _check_fitted(model, where: str) -> None:
    if not hasattr(model, "coef_"):
        raise ValueError(f"save_model() needs a fitted model{where}; call fit(X, y) first")


def _is_standard_scaler(step) -> bool:
    return isinstance(step, StandardScaler) or (
        type(step).__name__ == "StandardScaler"
        and type(step).__module__.split(".")[0] == "sklearn")


def _as_scaler(step) -> StandardScaler:
    """This package's StandardScaler with the statistics of a fitted (scikit-learn) one."""
    if isinstance(step, StandardScaler):
        return step
    if not hasattr(step, "n_features_in_"):
        raise ValueError("save_model() needs a fitted Pipeline: its StandardScaler is not fitted")
    d = int(step.n_features_in_)
    scaler = StandardScaler(with_mean=bool(step.with_mean), with_std=bool(step.with_std))
    # scikit-learn computes mean_ even with with_mean=False, but then does not subtract it
    mean = getattr(step, "mean_", None) if step.with_mean else None
    scale = getattr(step, "scale_", None) if step.with_std else None
    scaler.mean_ = np.zeros(d) if mean is None else np.asarray(mean, dtype=np.float64)
    scaler.scale_ = np.ones(d) if scale is None else np.asarray(scale, dtype=np.float64)
    scaler.n_features_in_ = d
    return scaler


def _describe(value) -> str:
    kind = type(value)
    package = kind.__module__.split(".")[0]
    return f"{kind.__name__} (from {package})" if package != "builtins" else kind.__name__


def _real_target(path: Path) -> Path:
    """Through a symbolic link: saving replaces the file it points to, not the link."""
    return Path(os.path.realpath(path)) if path.is_symlink() else path




# --------------------------------------------------------------------------------- loading
def load_model(path: str | os.PathLike[str]) -> SavedModel:
    """Read a file written by :func:`save_model` (never unpickles anything).

    Raises :class:`ModelFileError` naming the problem if the file is missing, is not a
    safetensors file, was not written by tinygrad-lr (or by its 0.1 ``.npz`` format: the
    message says how to re-save it), is corrupt or truncated (the checksum covers every
    byte that matters), has inconsistent contents, or declares more than the limits
    (:data:`MAX_FEATURES`, :data:`MAX_PARAMETERS`, :data:`MAX_HISTORY`,
    :data:`MAX_HEADER_BYTES`). The loaded model's ``history_`` is a float array.

    >>> import os, tempfile
    >>> from tinygrad_lr.models import LogisticRegression, load_model, save_model
    >>> model = LogisticRegression(solver="newton").fit([[0.0], [1.0]], ["no", "yes"])
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     saved = load_model(save_model(os.path.join(folder, "m"), model, target="y"))
    >>> saved.model.predict([[0.9]]).tolist(), saved.target
    (['yes'], 'y')
    """
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"{path}: no such model file")
    try:
        with open(path, "rb") as handle:
            start = handle.read(16)
            size = os.fstat(handle.fileno()).st_size
    except OSError as error:
        raise ModelFileError(f"{path}: cannot read the model file ({error.strerror})") from None
    _check_layout(path, start, size)
    try:
        with safetensors.safe_open(path, framework="numpy") as file:
            return _Reader(path, file).read()
    except ModelFileError:
        raise
    except (safetensors.SafetensorError, OSError, ValueError, TypeError, KeyError,
            OverflowError, MemoryError) as error:
        reason = " ".join(str(error).split()) or type(error).__name__
        raise ModelFileError(
            f"{path}: not a tinygrad-lr model file (cannot read it as a safetensors file: "
            f"{reason[:300]})"
        ) from None


def _check_layout(path: Path, start: bytes, size: int) -> None:
    """What the first bytes and the size say, before safetensors parses anything: the
    8-byte header length must fit the limit and the file."""
    if start.startswith(b"PK"):
        raise ModelFileError(f"{path}: {_OLD_FORMAT}")
    if start.startswith(b"\x93NUMPY"):
        raise ModelFileError(f"{path}: a single numpy array, not a tinygrad-lr model")
    if size > MAX_FILE_BYTES:
        raise ModelFileError(f"{path}: the file is {size} bytes, more than the {MAX_FILE_BYTES} "
                             "the largest model file takes")
    if size < 10:
        raise ModelFileError(f"{path}: not a tinygrad-lr model file ({size} bytes; truncated?)")
    header = int.from_bytes(start[:8], "little")
    if header > MAX_HEADER_BYTES:
        raise ModelFileError(
            f"{path}: not a tinygrad-lr model file (its header would be {header} bytes, more "
            f"than the {MAX_HEADER_BYTES} allowed)")
    if 8 + header > size:
        raise ModelFileError(f"{path}: the header needs {header} bytes, the file has only "
                             f"{size - 8} after its length (truncated?)")
    if start[8:9] != b"{":
        raise ModelFileError(f"{path}: not a tinygrad-lr model file (not a safetensors file; "
                             "model files are written by 'tinygrad-lr train' or save_model())")


def _fail(path: Path) -> Callable[[str], Any]:
    def fail(problem: str) -> Any:
        raise ModelFileError(f"{path}: {problem}")
    return fail


class _Reader:
    """Reads one safetensors model file, checking each tensor's entry before its data."""

    def __init__(self, path: Path, file: Any):
        self.path = path
        self.file = file
        self.fail = _fail(path)

    def read(self) -> SavedModel:
        raw = self.file.metadata()
        if not raw or raw.get("format") != FORMAT_NAME:
            self.fail("a safetensors file, but not a tinygrad-lr model (no tinygrad-lr "
                      "metadata)")
        metadata = checked_metadata(self, raw)
        d, classes = metadata["n_features"], metadata["classes"]
        rows = coef_rows(len(classes))
        if rows * d > MAX_PARAMETERS:
            self.fail(f"{len(classes)} classes x {d} features is more than the "
                      f"{MAX_PARAMETERS} weights a model file may hold")
        standardized = metadata["standardized"]
        shapes: dict[str, tuple[int, ...] | None] = {
            "coef": (rows, d), "intercept": (rows,), "history": None}
        if standardized:
            shapes.update({"scaler.mean": (d,), "scaler.scale": (d,)})
        names = list(self.file.keys())
        unknown = sorted(set(names) - set(shapes))
        if unknown:
            extra = (" (the metadata says the model has no scaler)"
                     if unknown[0].startswith("scaler.") else "")
            self.fail(f"unknown tensor '{unknown[0]}' in the file{extra}; a model file holds "
                      f"only {', '.join(shapes)}")
        missing = [name for name in shapes if name != "history" and name not in names]
        if missing:
            self.fail(f"the tensor '{missing[0]}' is missing")
        tensors = {name: self.tensor(name, shapes[name]) for name in names}
        if _checksum(raw, tensors) != raw["checksum"]:
            self.fail("the checksum does not match the contents (the file was damaged or "
                      "edited)")
        for name, array in tensors.items():
            if not np.isfinite(array).all():
                self.fail(f"'{name}' contains NaN or infinity")
        model = LogisticRegression(**known_params(self, metadata.get("params")))
        model.coef_ = tensors["coef"]
        model.intercept_ = tensors["intercept"]
        model.classes_ = np.array(classes)
        model.n_features_in_ = d
        history = tensors.get("history", np.zeros(0))
        model.history_ = history
        n_iter = metadata.get("n_iter")
        model.n_iter_ = (len(history) if n_iter is None
                         else n_iter if isinstance(n_iter, int)
                         else np.array(n_iter, dtype=np.int32))  # scikit-learn's dtype
        scaler = None
        if standardized:
            scaler = StandardScaler()
            scaler.mean_ = tensors["scaler.mean"]
            scaler.scale_ = tensors["scaler.scale"]
            if (scaler.scale_ <= 0).any():
                self.fail("the saved scale must be positive")
            scaler.n_features_in_ = d
        return SavedModel(model, scaler, metadata["feature_names"], metadata["target"])

    def tensor(self, name: str, shape: tuple[int, ...] | None) -> np.ndarray:
        """A float64 tensor of exactly ``shape`` (``None``: the 1-D history), read only
        after its entry says so; a copy that owns its memory (no view of the file)."""
        entry = self.file.get_slice(name)
        dtype, declared = entry.get_dtype(), tuple(entry.get_shape())
        expected = "a 1-D array" if shape is None else f"shape {shape}"
        if dtype != "F64" or (shape is None and len(declared) != 1) or (
                shape is not None and declared != shape):
            self.fail(f"'{name}' should be a float64 tensor of {expected}, got {dtype} "
                      f"{declared}"[:300])
        if shape is None and declared[0] > MAX_HISTORY:
            self.fail(f"'{name}' holds {declared[0]} entries, more than the {MAX_HISTORY} "
                      "allowed")
        return np.array(self.file.get_tensor(name), dtype=np.float64, copy=True)
