"""A model file that holds only arrays and JSON: safe to load from anyone.

The file is a zip archive in numpy's ``.npz`` layout (``np.load`` opens it too) with these
members, each a ``.npy`` array stored uncompressed:

- ``metadata``: a JSON text (a 0-d unicode array) with the format name and version, the
  classes, the number of features, feature names, target name, hyper-parameters and the
  number of training iterations;
- ``coef`` (1, d) for two classes or (K, d) for K ≥ 3, ``intercept`` (1,) or (K,);
- ``history``: the training loss per epoch (float, 1-D; left out when very long);
- ``mean`` and ``scale`` (d,): the scaler, when the model was saved with one.

Writing is atomic: the archive goes to a temporary file in the target's folder, is
flushed to disk, then renamed over the target, so a crash during a save leaves the old
file or the new one, never a mix. Reading never unpickles anything and never trusts the
file: it reads only the members above, checks every member's declared size, dtype and
shape against what the metadata implies (and against fixed limits) *before* reading its
data, verifies every CRC, and raises :class:`ModelFileError` naming the problem for any
file it cannot use.
"""

from __future__ import annotations

import collections
import contextlib
import io
import json
import math
import os
import secrets
import struct
import zipfile
import zlib
from pathlib import Path
from typing import NamedTuple

import numpy as np

from .logistic_regression import LogisticRegression
from .preprocessing import StandardScaler

FORMAT_NAME = "tinygrad-lr logistic regression"
FORMAT_VERSION = 1

MAX_FEATURES = 2**25
"""Most features a model file may declare (33.5 million)."""
MAX_CLASSES = 2**16
MAX_PARAMETERS = 2**25
"""Most entries ``coef`` may have (K·d): 256 MiB of float64."""
MAX_HISTORY = 2**23
"""Longest loss history kept in a file (8.4 million epochs, 64 MiB); longer ones are left out."""
MAX_METADATA_CHARS = 2**24
"""Longest metadata JSON text (16 million characters)."""
MAX_EXPANSION = 64
"""A compressed member may expand at most this many times (above 1 MiB): a guard against
zip bombs. The writer never compresses; this only matters for archives re-packed elsewhere."""

_NPY_HEADER_LIMIT = 10_000  # numpy's own default limit for a .npy header
_MEMBERS = ("metadata", "coef", "intercept", "history", "mean", "scale")
_FILE_ERRORS = (OSError, EOFError, ValueError, KeyError, IndexError, TypeError,
                NotImplementedError, RuntimeError, OverflowError, MemoryError, RecursionError,
                struct.error, zlib.error, zipfile.BadZipFile, zipfile.LargeZipFile)


class ModelFileError(ValueError):
    """The file is not a readable tinygrad-lr model (corrupt, foreign or inconsistent).

    >>> from tinygrad_lr.models import ModelFileError, load_model
    >>> try:
    ...     load_model("no-such-model.npz")
    ... except ModelFileError as error:
    ...     print(error)
    no-such-model.npz: no such model file
    """


class SavedModel(NamedTuple):
    """What :func:`load_model` returns: the model, its scaler (or None), the feature names
    and the target name; ``predict_input(X)`` applies the saved scaler.

    >>> import os, tempfile
    >>> from tinygrad_lr.models import LogisticRegression, StandardScaler, load_model, save_model
    >>> scaler = StandardScaler().fit([[0.0], [10.0]])
    >>> model = LogisticRegression(solver="newton").fit(scaler.transform([[0.0], [10.0]]), [0, 1])
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     saved = load_model(save_model(os.path.join(folder, "m.npz"), model, scaler=scaler))
    >>> saved.target, saved.predict_input([[5.0], [10.0]]).tolist()
    (None, [[0.0], [1.0]])
    """

    model: LogisticRegression
    scaler: StandardScaler | None
    feature_names: list | None
    target: str | None

    def predict_input(self, X) -> np.ndarray:
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
def model_file_path(path) -> Path:
    """The path :func:`save_model` writes for ``path``: ``.npz`` is appended unless the name
    already ends in it (in any case).

    >>> model_file_path("model").name, model_file_path("m.NPZ").name
    ('model.npz', 'm.NPZ')
    """
    path = Path(path)
    return path if path.suffix.lower() == ".npz" else path.with_name(path.name + ".npz")


def writable_model_path(path) -> Path:
    """:func:`model_file_path` of ``path`` after checking that a model can be written there
    now (the folder exists and accepts a new file; the name is not a folder), so a long
    training run can fail before it starts rather than after. Raises ``OSError``.

    >>> import tempfile
    >>> writable_model_path(tempfile.mkdtemp() + "/m").name
    'm.npz'
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
    handle, temporary = _create_temporary(path)
    os.close(handle)
    os.unlink(temporary)
    return requested


def save_model(path, model, *, scaler: StandardScaler | None = None,
               feature_names=None, target: str | None = None) -> Path:
    """Write a fitted model (and optionally its scaler) to ``path`` (``.npz``), atomically.

    Args:
        path: where to write; ``.npz`` is appended if the name does not end in it, and the
            real path is returned. An existing file is replaced only once the new one is
            completely on disk.
        model: a fitted :class:`LogisticRegression`, or a fitted scikit-learn ``Pipeline``
            of a ``StandardScaler`` (this package's or scikit-learn's) and a
            :class:`LogisticRegression`.
        scaler: a fitted :class:`StandardScaler` applied before the model.
        feature_names: the column names the model expects, in order (default: the
            ``feature_names_in_`` scikit-learn recorded from a DataFrame, if any).
        target: the name of the label column it was trained on.

    >>> import os, tempfile
    >>> model = LogisticRegression(solver="newton").fit([[0.0], [1.0]], ["a", "b"])
    >>> path = save_model(os.path.join(tempfile.mkdtemp(), "m.npz"), model)
    >>> load_model(path).model.classes_.tolist()
    ['a', 'b']
    """
    model, scaler, recorded_names = _model_and_scaler(model, scaler)
    if feature_names is None:
        feature_names = recorded_names
    d = int(model.n_features_in_)
    if feature_names is not None:
        feature_names = [str(name) for name in feature_names]
        if len(feature_names) != d:
            raise ValueError(f"got {len(feature_names)} feature names for a model of {d} features")
    classes = [_json_label(c) for c in model.classes_]
    _checked_classes(_SaveChecks(), classes)  # never write a file load_model refuses
    rows = coef_rows(len(classes))
    if d > MAX_FEATURES or rows * d > MAX_PARAMETERS:
        raise ValueError(f"a model of {len(classes)} classes x {d} features is larger than a "
                         f"model file may hold ({MAX_FEATURES} features, {MAX_PARAMETERS} "
                         "weights)")
    coef = np.asarray(model.coef_, dtype=np.float64)
    intercept = np.asarray(model.intercept_, dtype=np.float64).reshape(-1)
    if coef.shape != (rows, d) or intercept.shape != (rows,):
        raise ValueError(
            f"a model of {len(classes)} classes and {d} features needs coef_ of shape "
            f"{(rows, d)} and intercept_ of shape {(rows,)}, got {coef.shape} and "
            f"{intercept.shape}"
        )
    if not (np.isfinite(coef).all() and np.isfinite(intercept).all()):
        raise ValueError("cannot save a model whose coef_ or intercept_ holds NaN or infinity")
    params, unsaved = _json_params(model.get_params())
    metadata = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "classes": classes,
        "n_features": d,
        "feature_names": feature_names,
        "target": None if target is None else str(target),
        "params": params,
        "standardized": scaler is not None,
        "n_iter": _json_n_iter(getattr(model, "n_iter_", None)),
    }
    if unsaved:
        metadata["unsaved_params"] = unsaved
    text = json.dumps(metadata, allow_nan=False)
    if len(text) > MAX_METADATA_CHARS:
        raise ValueError(
            f"the model's metadata (feature names, classes) is {len(text)} characters long; a "
            f"model file holds at most {MAX_METADATA_CHARS}"
        )
    arrays = {"metadata": np.array(text), "coef": coef, "intercept": intercept}
    history = np.asarray(getattr(model, "history_", []), dtype=np.float64).reshape(-1)
    if history.size <= MAX_HISTORY and np.isfinite(history).all():
        arrays["history"] = history
    if scaler is not None:
        if not hasattr(scaler, "mean_") or scaler.n_features_in_ != d:
            raise ValueError(f"the scaler must be fitted on the model's {d} features")
        arrays["mean"] = np.asarray(scaler.mean_, dtype=np.float64)
        arrays["scale"] = np.asarray(scaler.scale_, dtype=np.float64)
    path = _real_target(model_file_path(path))
    _write_atomically(path, lambda handle: _write_archive(handle, arrays))
    return path


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


class _SaveChecks:
    """What the reader's checks call on a problem, when they run on a model being saved."""

    def fail(self, problem: str):
        raise ValueError(f"cannot save this model: {problem}")


def _json_label(label):
    """Class labels as JSON values (numpy ints/floats/bools/strs become Python ones)."""
    value = label.item() if isinstance(label, np.generic) else label
    if not isinstance(value, (str, int, float, bool)):
        raise TypeError(f"cannot save class label {label!r} of type {type(label).__name__}")
    return value


def _json_scalar(value):
    value = value.item() if isinstance(value, np.generic) else value
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float) and math.isfinite(value):
        return value
    raise TypeError


def _json_params(params: dict) -> tuple[dict, list]:
    """Hyper-parameters as JSON: numbers, text, booleans and None as they are, a dict of
    those (e.g. ``class_weight``) as ``{"dict": [[key, value], ...]}`` (keys keep their
    type). Anything else (a ``np.random.Generator``...) is not saved: the loaded model gets
    the default, and the name is listed under ``unsaved_params``."""
    saved, unsaved = {}, []
    for name, value in params.items():
        try:
            if isinstance(value, dict):
                saved[name] = {"dict": [[_json_scalar(k), _json_scalar(v)]
                                        for k, v in value.items()]}
            else:
                saved[name] = _json_scalar(value)
        except TypeError:
            unsaved.append(name)
    return saved, unsaved


def _json_n_iter(n_iter):
    if n_iter is None:
        return None
    if np.ndim(n_iter) == 0:
        return int(n_iter)
    return [int(n) for n in np.ravel(n_iter)]


def _write_archive(handle, arrays: dict) -> None:
    with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, array in arrays.items():
            with archive.open(f"{name}.npy", "w", force_zip64=True) as member:
                if not array.flags.c_contiguous:  # the reader accepts C order only
                    array = np.array(array, order="C")
                np.lib.format.write_array(member, array, allow_pickle=False)


def _real_target(path: Path) -> Path:
    """Through a symbolic link: saving replaces the file it points to, not the link."""
    return Path(os.path.realpath(path)) if path.is_symlink() else path


def _create_temporary(path: Path):
    """A new file next to ``path`` (same folder, so the final rename is atomic), created
    with the permissions a plain ``open(path, "w")`` would give."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        # keep the temporary within the 255 bytes a file name may have
        name = path.name.encode()[:240].decode(errors="ignore")
        temporary = path.with_name(f".{name}.{secrets.token_hex(4)}.tmp")
        try:
            return os.open(temporary, flags, 0o666), temporary
        except FileExistsError:
            continue


def _write_atomically(path: Path, write) -> None:
    if path.is_dir():
        raise IsADirectoryError(f"cannot write the model file {path}: it is a folder")
    handle, temporary = _create_temporary(path)
    try:
        with contextlib.suppress(OSError):
            os.chmod(handle, os.stat(path).st_mode & 0o7777)  # keep an existing file's mode
        with os.fdopen(handle, "wb") as stream:
            write(stream)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    _fsync_folder(path.parent)


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX; folders cannot be opened on Windows)."""
    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)


# --------------------------------------------------------------------------------- loading
def load_model(path) -> SavedModel:
    """Read a file written by :func:`save_model` (never unpickles anything).

    Raises :class:`ModelFileError` naming the problem if the file is missing, is not a
    model archive, was not written by tinygrad-lr, is corrupt or truncated (every CRC is
    checked), has inconsistent contents, or declares arrays larger than the limits
    (:data:`MAX_FEATURES`, :data:`MAX_PARAMETERS`, :data:`MAX_HISTORY`,
    :data:`MAX_METADATA_CHARS`). The loaded model's ``history_`` is a float array.

    >>> import os, tempfile
    >>> from tinygrad_lr.models import LogisticRegression, load_model, save_model
    >>> model = LogisticRegression(solver="newton").fit([[0.0], [1.0]], ["no", "yes"])
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     saved = load_model(save_model(os.path.join(folder, "m.npz"), model, target="y"))
    >>> saved.model.predict([[0.9]]).tolist(), saved.target
    (['yes'], 'y')
    """
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"{path}: no such model file")
    try:
        handle = open(path, "rb")
    except OSError as error:
        raise ModelFileError(f"{path}: cannot read the model file ({error.strerror})") from None
    try:
        with handle:
            magic = handle.read(6)
            if magic == np.lib.format.MAGIC_PREFIX:
                raise ModelFileError(f"{path}: a single numpy array, not a tinygrad-lr model")
            if not magic.startswith(b"PK"):
                raise ModelFileError(
                    f"{path}: not a tinygrad-lr model file (not a numpy .npz archive; model "
                    "files are written by 'tinygrad-lr train' or save_model())"
                )
            handle.seek(0)
            with zipfile.ZipFile(handle) as archive:
                return _ArchiveReader(path, archive, os.fstat(handle.fileno()).st_size).read()
    except ModelFileError:
        raise
    except _FILE_ERRORS as error:
        reason = " ".join(str(error).split()) or type(error).__name__
        raise ModelFileError(
            f"{path}: not a tinygrad-lr model file (cannot read it as a numpy .npz archive: "
            f"{reason})"
        ) from None


class _ArchiveReader:
    """Reads one model archive, checking each member before reading it."""

    def __init__(self, path: Path, archive: zipfile.ZipFile, file_size: int):
        self.path = path
        self.archive = archive
        self.file_size = file_size
        entries = archive.infolist()
        counts = collections.Counter(entry.filename for entry in entries)
        repeated = sorted(name for name, count in counts.items() if count > 1)
        if repeated:
            self.fail(f"the archive holds the member '{repeated[0]}' more than once")
        self.entries = {entry.filename: entry for entry in entries}

    def fail(self, problem: str):
        raise ModelFileError(f"{self.path}: {problem}")

    def read(self) -> SavedModel:
        if "metadata.npy" not in self.entries:
            self.fail("a numpy archive, but not a tinygrad-lr model (no metadata)")
        metadata = _checked_metadata(self, self._metadata_text())
        d, classes = metadata["n_features"], metadata["classes"]
        rows = coef_rows(len(classes))
        if rows * d > MAX_PARAMETERS:
            self.fail(f"{len(classes)} classes x {d} features is more than the "
                      f"{MAX_PARAMETERS} weights a model file may hold")
        standardized = metadata["standardized"]
        allowed = {"metadata", "coef", "intercept", "history"}
        allowed |= {"mean", "scale"} if standardized else set()
        unknown = sorted(set(self.entries) - {f"{name}.npy" for name in allowed})
        if unknown:
            extra = (" (the metadata says the model has no scaler)"
                     if unknown[0] in ("mean.npy", "scale.npy") else "")
            self.fail(f"unknown member '{unknown[0]}' in the archive{extra}; a model file "
                      f"holds only {', '.join(_MEMBERS)}")
        model = LogisticRegression(**_known_params(self, metadata.get("params")))
        model.coef_ = self.array("coef", (rows, d))
        model.intercept_ = self.array("intercept", (rows,))
        model.classes_ = np.array(classes)
        model.n_features_in_ = d
        history = (self.array("history", None) if "history.npy" in self.entries
                   else np.zeros(0))
        model.history_ = history
        n_iter = metadata.get("n_iter")
        model.n_iter_ = (len(history) if n_iter is None
                         else n_iter if isinstance(n_iter, int) else np.array(n_iter))
        scaler = None
        if standardized:
            scaler = StandardScaler()
            scaler.mean_ = self.array("mean", (d,))
            scaler.scale_ = self.array("scale", (d,))
            if (scaler.scale_ <= 0).any():
                self.fail("the saved scale must be positive")
            scaler.n_features_in_ = d
        return SavedModel(model, scaler, metadata["feature_names"], metadata["target"])

    # --------------------------------------------------------------- one member
    def _open(self, name: str, max_data_bytes: int):
        """The member's stream and its .npy header (dtype, shape), after checking the
        zip entry: no encryption, a known compression, a declared size that fits."""
        entry = self.entries.get(f"{name}.npy")
        if entry is None:
            self.fail(f"the array '{name}' is missing")
        member = f"member '{entry.filename}'"
        if entry.flag_bits & 0x41:
            self.fail(f"{member} is encrypted; model files are never encrypted")
        if entry.flag_bits & 0x20:
            self.fail(f"{member} uses zip 'patched data', which model files never use")
        if entry.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            self.fail(f"{member} uses compression method {entry.compress_type}; model files "
                      "store members uncompressed (deflate is accepted too)")
        limit = max_data_bytes + _NPY_HEADER_LIMIT + 16
        if entry.file_size > limit:
            self.fail(f"{member} declares {entry.file_size} bytes, more than the {limit} "
                      f"its array may take")
        if entry.compress_type == zipfile.ZIP_STORED:
            if entry.compress_size != entry.file_size:
                self.fail(f"{member}: stored, but its sizes differ ({entry.compress_size} "
                          f"and {entry.file_size} bytes)")
        elif entry.file_size > max(2**20, MAX_EXPANSION * entry.compress_size):
            self.fail(f"{member} would expand from {entry.compress_size} to "
                      f"{entry.file_size} bytes; refused as a possible zip bomb")
        if entry.header_offset + entry.compress_size > self.file_size:
            self.fail(f"{member} extends past the end of the file (truncated?)")
        stream = self.archive.open(entry)
        header_size, dtype, shape = _npy_header(self, stream, member)
        return stream, entry, member, header_size, dtype, shape

    def _read_data(self, stream, entry, member, header_size, dtype, shape) -> np.ndarray:
        nbytes = math.prod(shape) * dtype.itemsize
        if entry.file_size != header_size + nbytes:
            self.fail(f"{member}: its header announces {nbytes} bytes of data, the archive "
                      f"{entry.file_size - header_size}")
        data = stream.read(nbytes)
        if len(data) != nbytes or stream.read(1):
            self.fail(f"{member} is truncated")
        return np.frombuffer(data, dtype=dtype).reshape(shape)

    def _metadata_text(self) -> str:
        stream, entry, member, header_size, dtype, shape = self._open(
            "metadata", 4 * MAX_METADATA_CHARS)
        with stream:
            if dtype.kind != "U" or shape != ():
                self.fail(f"not a tinygrad-lr model file (its metadata should be a JSON text, "
                          f"got {_dtype_text(dtype)} of shape {shape})")
            if dtype.itemsize > 4 * MAX_METADATA_CHARS:
                self.fail(f"the metadata is {dtype.itemsize // 4} characters long, more than "
                          f"the {MAX_METADATA_CHARS} allowed")
            return str(self._read_data(stream, entry, member, header_size, dtype, shape)[()])

    def array(self, name: str, shape: tuple | None) -> np.ndarray:
        """A float member of exactly ``shape`` (``None``: the 1-D history), as float64."""
        limit = 8 * (MAX_HISTORY if shape is None else math.prod(shape))
        stream, entry, member, header_size, dtype, declared = self._open(name, limit)
        with stream:
            expected = "a 1-D array" if shape is None else f"shape {shape}"
            if (dtype.kind != "f" or dtype.itemsize not in (2, 4, 8)
                    or (shape is None and len(declared) != 1)
                    or (shape is not None and declared != shape)):
                self.fail(f"'{name}' should be a float array of {expected}, got "
                          f"{_dtype_text(dtype)} {declared}")
            if shape is None and declared[0] > MAX_HISTORY:
                self.fail(f"'{name}' holds {declared[0]} entries, more than the "
                          f"{MAX_HISTORY} allowed")
            array = self._read_data(stream, entry, member, header_size, dtype, declared)
        if not np.isfinite(array).all():
            self.fail(f"'{name}' contains NaN or infinity")
        return array.astype(np.float64)


def _dtype_text(dtype: np.dtype) -> str:
    return "an object array" if dtype.hasobject else f"dtype {dtype.str}"


def _npy_header(reader: _ArchiveReader, stream, member: str):
    """(header size, dtype, shape) of the .npy data that starts ``stream``, read without
    reading the data; a C-ordered, plain (no fields, no objects) dtype only."""
    start = stream.read(8)
    if len(start) < 8 or start[:6] != np.lib.format.MAGIC_PREFIX:
        reader.fail(f"{member} is not a .npy array")
    major = start[6]
    if major not in (1, 2):
        reader.fail(f"{member} is a .npy file of version {major}.{start[7]}; this reader "
                    "supports 1.0 and 2.0")
    length_field = stream.read(2 if major == 1 else 4)
    if len(length_field) != (2 if major == 1 else 4):
        reader.fail(f"{member} is truncated")
    length = int.from_bytes(length_field, "little")
    if length > _NPY_HEADER_LIMIT:
        reader.fail(f"{member} has a .npy header of {length} bytes (at most "
                    f"{_NPY_HEADER_LIMIT})")
    header = stream.read(length)
    if len(header) != length:
        reader.fail(f"{member} is truncated")
    prefix = io.BytesIO(start + length_field + header)
    version = np.lib.format.read_magic(prefix)
    read_header = (np.lib.format.read_array_header_1_0 if version[0] == 1
                   else np.lib.format.read_array_header_2_0)
    try:
        shape, fortran_order, dtype = read_header(prefix, max_header_size=_NPY_HEADER_LIMIT)
    except Exception as error:  # numpy tokenizes and evaluates the text: any failure = bad
        reason = " ".join(str(error).split())[:200]
        reader.fail(f"{member} has an unreadable .npy header ({type(error).__name__}: "
                    f"{reason})")
    if dtype.hasobject or dtype.names is not None or dtype.subdtype is not None:
        reader.fail(f"{member} holds {_dtype_text(dtype)}; a model file holds only plain "
                    "float arrays and one text")
    if fortran_order:
        reader.fail(f"{member} is stored in Fortran order; model files store C order")
    if any(n < 0 for n in shape) or math.prod(shape) * dtype.itemsize > 2**62:
        reader.fail(f"{member} declares an impossible shape {shape}")
    return 8 + len(length_field) + length, dtype, shape


# -------------------------------------------------------------------------------- metadata
def _unique_keys(pairs):
    keys = [key for key, _ in pairs]
    if len(set(keys)) != len(keys):
        repeated = next(key for key in keys if keys.count(key) > 1)
        raise ValueError(f"the key {repeated!r} appears twice")
    return dict(pairs)


def _refuse_constant(name):
    raise ValueError(f"{name} is not a JSON value")


def _checked_metadata(reader: _ArchiveReader, text: str) -> dict:
    try:
        metadata = json.loads(text, object_pairs_hook=_unique_keys,
                              parse_constant=_refuse_constant)
    except RecursionError:
        reader.fail("the metadata is nested too deeply to be tinygrad-lr metadata")
    except ValueError as error:  # JSONDecodeError, repeated keys, NaN, huge integers
        reader.fail(f"the metadata is not valid JSON ({' '.join(str(error).split())})")
    if not isinstance(metadata, dict) or metadata.get("format") != FORMAT_NAME:
        reader.fail("a numpy archive, but not a tinygrad-lr model")
    if metadata.get("version") != FORMAT_VERSION or isinstance(metadata.get("version"), bool):
        reader.fail(f"model file version {metadata.get('version')!r}; this tinygrad-lr reads "
                    f"version {FORMAT_VERSION}")
    metadata["classes"] = _checked_classes(reader, metadata.get("classes"))
    d = metadata.get("n_features")
    if isinstance(d, bool) or not isinstance(d, int) or not 1 <= d <= MAX_FEATURES:
        reader.fail(f"n_features must be a positive int (at most {MAX_FEATURES}), got {d!r}")
    names = metadata.get("feature_names")
    if names is not None and (not isinstance(names, list) or len(names) != d
                              or not all(isinstance(name, str) for name in names)):
        reader.fail(f"feature_names must be a list of {d} names")
    metadata["feature_names"] = names
    target = metadata.get("target")
    if target is not None and not isinstance(target, str):
        reader.fail(f"target must be a column name or null, got {target!r}")
    metadata["target"] = target
    standardized = metadata.get("standardized", False)
    if not isinstance(standardized, bool):
        reader.fail(f"standardized must be true or false, got {standardized!r}")
    metadata["standardized"] = standardized
    n_iter = metadata.get("n_iter")
    counts = n_iter if isinstance(n_iter, list) else [n_iter]
    if n_iter is not None and not (
            len(counts) <= MAX_CLASSES
            and all(isinstance(n, int) and not isinstance(n, bool) and 0 <= n < 2**31
                    for n in counts)):
        reader.fail(f"n_iter must be a count (or a list of counts), got {n_iter!r}"[:200])
    return metadata


def _checked_classes(reader: _ArchiveReader, classes) -> list:
    """K ≥ 2 distinct, finite scalar labels, all of one type."""
    if not isinstance(classes, list) or not 2 <= len(classes) <= MAX_CLASSES:
        count = len(classes) if isinstance(classes, list) else "no list of"
        reader.fail(f"there must be between 2 and {MAX_CLASSES} classes, got {count}")
    for label in classes:
        if not isinstance(label, (str, int, float)):  # bool is an int
            reader.fail(f"class labels must be numbers, text or booleans; got {label!r}"[:200])
    kinds = {type(label) for label in classes}
    if len(kinds) > 1:
        first = classes[0]
        other = next(label for label in classes if type(label) is not type(first))
        reader.fail(f"the classes mix types: {first!r} ({type(first).__name__}) and "
                    f"{other!r} ({type(other).__name__})")
    if float in kinds and not all(math.isfinite(label) for label in classes):
        reader.fail("the classes must be finite numbers")
    if int in kinds and not all(-2**63 <= label < 2**63 for label in classes):
        reader.fail("integer classes must fit in 64 bits")
    if len(set(classes)) != len(classes):
        reader.fail(f"the classes must be distinct, got {classes!r}"[:200])
    return classes


def _known_params(reader: _ArchiveReader, params) -> dict:
    """Saved hyper-parameters that LogisticRegression accepts (others are ignored)."""
    if params is None:
        return {}
    if not isinstance(params, dict):
        reader.fail(f"params must be an object, got {params!r}"[:200])
    valid = LogisticRegression._param_names()
    known = {}
    for name, value in params.items():
        if isinstance(value, dict):
            pairs = value.get("dict")
            if (set(value) != {"dict"} or not isinstance(pairs, list)
                    or not all(isinstance(p, list) and len(p) == 2 and _is_scalar(p[0])
                               and _is_scalar(p[1]) for p in pairs)):
                reader.fail(f"the saved parameter {name!r} is not a parameter value")
            value = dict(pairs)
        elif not _is_scalar(value):
            reader.fail(f"the saved parameter {name!r} is not a parameter value")
        if name in valid:
            known[name] = value
    return known


def _is_scalar(value) -> bool:
    return value is None or isinstance(value, (str, int, float))
