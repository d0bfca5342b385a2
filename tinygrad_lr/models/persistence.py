"""A model file that holds only arrays and JSON: safe to load from anyone.

The file is a numpy ``.npz`` archive read with ``allow_pickle=False``, so loading it can
never run code. It holds ``coef`` (1, d), ``intercept`` (1,), ``history`` (the training loss per
epoch), optionally the scaler's
``mean`` and ``scale`` (d,), and ``metadata``: a JSON text with the format name and
version, the classes, feature names, target name and the hyper-parameters.
"""

from __future__ import annotations

import json
import zipfile
import zlib
from pathlib import Path
from typing import NamedTuple

import numpy as np

from .logistic_regression import LogisticRegression
from .preprocessing import StandardScaler

FORMAT_NAME = "tinygrad-lr logistic regression"
FORMAT_VERSION = 1


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


def _json_label(label):
    """Class labels as JSON values (numpy ints/floats/bools/strs become Python ones)."""
    value = label.item() if isinstance(label, np.generic) else label
    if not isinstance(value, (str, int, float, bool)):
        raise TypeError(f"cannot save class label {label!r} of type {type(label).__name__}")
    return value


def _json_param(value):
    return value if isinstance(value, (str, int, float, bool, type(None))) else repr(value)


def save_model(path, model: LogisticRegression, *, scaler: StandardScaler | None = None,
               feature_names=None, target: str | None = None) -> Path:
    """Write a fitted model (and optionally its scaler) to ``path`` (``.npz``).

    Args:
        path: where to write; ``.npz`` is appended by numpy if missing, and the real path
            is returned.
        model: a fitted :class:`LogisticRegression`.
        scaler: a fitted :class:`StandardScaler` applied before the model.
        feature_names: the column names the model expects, in order.
        target: the name of the label column it was trained on.

    >>> import os, tempfile
    >>> model = LogisticRegression(solver="newton").fit([[0.0], [1.0]], ["a", "b"])
    >>> path = save_model(os.path.join(tempfile.mkdtemp(), "m.npz"), model)
    >>> load_model(path).model.classes_.tolist()
    ['a', 'b']
    """
    if not hasattr(model, "coef_"):
        raise ValueError("save_model() needs a fitted model; call fit(X, y) first")
    d = model.n_features_in_
    if feature_names is not None:
        feature_names = [str(name) for name in feature_names]
        if len(feature_names) != d:
            raise ValueError(f"got {len(feature_names)} feature names for a model of {d} features")
    metadata = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "classes": [_json_label(c) for c in model.classes_],
        "n_features": d,
        "feature_names": feature_names,
        "target": target,
        "params": {k: _json_param(v) for k, v in model.get_params().items()},
        "standardized": scaler is not None,
    }
    arrays = {"coef": np.asarray(model.coef_, dtype=np.float64),
              "intercept": np.asarray(model.intercept_, dtype=np.float64),
              "history": np.asarray(model.history_, dtype=np.float64),
              "metadata": np.array(json.dumps(metadata))}
    if scaler is not None:
        if not hasattr(scaler, "mean_") or scaler.n_features_in_ != d:
            raise ValueError(f"the scaler must be fitted on the model's {d} features")
        arrays["mean"] = np.asarray(scaler.mean_, dtype=np.float64)
        arrays["scale"] = np.asarray(scaler.scale_, dtype=np.float64)
    path = Path(path)
    if path.suffix != ".npz":
        path = path.with_name(path.name + ".npz")
    np.savez(path, **arrays)
    return path


def load_model(path) -> SavedModel:
    """Read a file written by :func:`save_model` (never unpickles anything).

    Raises :class:`ModelFileError` naming the problem if the file is missing, is not a
    numpy archive, was not written by tinygrad-lr, or has inconsistent contents.

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
    with open(path, "rb") as handle:
        magic = handle.read(6)
    if magic == b"\x93NUMPY":
        raise ModelFileError(f"{path}: a single numpy array, not a tinygrad-lr model")
    if not magic.startswith(b"PK"):
        raise ModelFileError(
            f"{path}: not a tinygrad-lr model file (not a numpy .npz archive; model files are "
            "written by 'tinygrad-lr train' or save_model())"
        )
    try:
        archive = np.load(path, allow_pickle=False)
        if not isinstance(archive, np.lib.npyio.NpzFile):
            raise ModelFileError(f"{path}: a single numpy array, not a tinygrad-lr model")
        with archive:
            arrays = {name: archive[name] for name in archive.files}
    except ModelFileError:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError, zlib.error) as error:
        raise ModelFileError(
            f"{path}: not a tinygrad-lr model file (cannot read it as a numpy .npz archive: "
            f"{error})"
        ) from None
    metadata = _read_metadata(path, arrays)
    d = metadata["n_features"]
    coef = _array(path, arrays, "coef", (1, d))
    intercept = _array(path, arrays, "intercept", (1,))
    model = LogisticRegression(**_known_params(metadata.get("params")))
    model.coef_ = coef
    model.intercept_ = intercept
    model.classes_ = np.array(metadata["classes"])
    model.n_features_in_ = d
    history = arrays.get("history", np.zeros(0))
    model.history_ = [float(v) for v in np.ravel(history)] if history.dtype.kind == "f" else []
    model.n_iter_ = len(model.history_)
    scaler = None
    if metadata.get("standardized"):
        scaler = StandardScaler()
        scaler.mean_ = _array(path, arrays, "mean", (d,))
        scaler.scale_ = _array(path, arrays, "scale", (d,))
        if (scaler.scale_ <= 0).any():
            raise ModelFileError(f"{path}: the saved scale must be positive")
        scaler.n_features_in_ = d
    names = metadata.get("feature_names")
    if names is not None and (not isinstance(names, list) or len(names) != d):
        raise ModelFileError(f"{path}: feature_names must be a list of {d} names")
    return SavedModel(model, scaler, names, metadata.get("target"))


def _read_metadata(path, arrays) -> dict:
    raw = arrays.get("metadata")
    if raw is None or raw.dtype.kind != "U" or raw.shape != ():
        raise ModelFileError(f"{path}: a numpy archive, but not a tinygrad-lr model (no metadata)")
    try:
        metadata = json.loads(str(raw))
    except json.JSONDecodeError as error:
        raise ModelFileError(f"{path}: the metadata is not valid JSON ({error})") from None
    if not isinstance(metadata, dict) or metadata.get("format") != FORMAT_NAME:
        raise ModelFileError(f"{path}: a numpy archive, but not a tinygrad-lr model")
    if metadata.get("version") != FORMAT_VERSION:
        raise ModelFileError(
            f"{path}: model file version {metadata.get('version')!r}; this tinygrad-lr reads "
            f"version {FORMAT_VERSION}"
        )
    classes = metadata.get("classes")
    if not isinstance(classes, list) or len(classes) != 2 or len(set(map(repr, classes))) != 2:
        raise ModelFileError(f"{path}: the metadata must list exactly two classes")
    d = metadata.get("n_features")
    if isinstance(d, bool) or not isinstance(d, int) or d < 1:
        raise ModelFileError(f"{path}: n_features must be a positive int, got {d!r}")
    return metadata


def _array(path, arrays, name: str, shape: tuple) -> np.ndarray:
    array = arrays.get(name)
    if array is None:
        raise ModelFileError(f"{path}: the array '{name}' is missing")
    if array.shape != shape or array.dtype.kind != "f":
        raise ModelFileError(
            f"{path}: '{name}' should be a float array of shape {shape}, got {array.dtype} "
            f"{array.shape}"
        )
    if not np.isfinite(array).all():
        raise ModelFileError(f"{path}: '{name}' contains NaN or infinity")
    return array.astype(np.float64)


def _known_params(params) -> dict:
    """Saved hyper-parameters that LogisticRegression accepts (others are ignored)."""
    if not isinstance(params, dict):
        return {}
    valid = LogisticRegression._param_names()
    return {k: v for k, v in params.items() if k in valid}
