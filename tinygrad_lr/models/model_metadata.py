"""The text half of a model file: its string metadata, each value a JSON text, checked
against :data:`METADATA_SCHEMA` when read, and the JSON forms of the estimator's settings
and classes when written (:mod:`tinygrad_lr.models.persistence` holds the tensors and the
file itself).

Every check calls ``reader.fail(problem)`` on a problem: the loader's raises
``ModelFileError``, the saver's :class:`SaveChecks` a ``ValueError``, so a model that
could not be loaded is never written.

>>> params, unsaved = json_params({"C": float("inf"), "class_weight": {0: 2.0}, "tol": 0.1})
>>> params, unsaved
({'C': {'float': 'inf'}, 'class_weight': {'dict': [[0, 2.0]]}, 'tol': 0.1}, [])
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np

from .logistic_regression import LogisticRegression

FORMAT_NAME = "tinygrad-lr logistic regression"
FORMAT_VERSION = 2
MAX_FEATURES = 2**25
"""Most features a model file may declare (33.5 million)."""
MAX_CLASSES = 2**16

METADATA_SCHEMA: dict[str, tuple[bool, str]] = {
    "format": (True, f"the text {FORMAT_NAME!r}"),
    "version": (True, f"the format version, {FORMAT_VERSION}"),
    "classes": (True, f"a list of 2 to {MAX_CLASSES} distinct labels of one type"),
    "n_features": (True, f"a count from 1 to {MAX_FEATURES}"),
    "feature_names": (True, "null or a list of n_features names"),
    "target": (True, "null or the label column's name"),
    "params": (True, "the hyper-parameters, an object"),
    "standardized": (True, "true when the file holds the scaler"),
    "n_iter": (True, "null, a count or a list of counts"),
    "unsaved_params": (False, "names of hyper-parameters that were not saved"),
    "checksum": (True, "'sha256:' and the hex digest of the contents"),
}
"""Every metadata entry of a model file: whether it is required, and what it holds. Each
value is a JSON text, except ``format`` and ``checksum`` (plain text)."""


def _unique_keys(pairs):
    keys = [key for key, _ in pairs]
    if len(set(keys)) != len(keys):
        repeated = next(key for key in keys if keys.count(key) > 1)
        raise ValueError(f"the key {repeated!r} appears twice")
    return dict(pairs)


def _refuse_constant(name):
    raise ValueError(f"{name} is not a JSON value")


def checked_metadata(reader: Any, raw: dict[str, str]) -> dict[str, Any]:
    """The metadata entries parsed and checked against :data:`METADATA_SCHEMA`."""
    unknown = sorted(set(raw) - set(METADATA_SCHEMA))
    if unknown:
        reader.fail(f"unknown metadata entry {unknown[0]!r}"[:200])
    missing = [key for key, (required, _) in METADATA_SCHEMA.items()
               if required and key not in raw]
    if missing:
        reader.fail(f"the metadata lacks {missing[0]!r} "
                    f"({METADATA_SCHEMA[missing[0]][1]})")
    checksum = raw["checksum"]
    if not (checksum.startswith("sha256:") and len(checksum) == 71):
        reader.fail(f"checksum must be {METADATA_SCHEMA['checksum'][1]}")
    metadata: dict[str, Any] = {}
    for key, text in raw.items():
        if key in ("format", "checksum"):
            continue
        try:
            metadata[key] = json.loads(text, object_pairs_hook=_unique_keys,
                                       parse_constant=_refuse_constant)
        except RecursionError:
            reader.fail(f"the metadata entry {key!r} is nested too deeply")
        except ValueError as error:  # JSONDecodeError, repeated keys, NaN, huge integers
            reader.fail(f"the metadata entry {key!r} is not valid JSON "
                        f"({' '.join(str(error).split())})"[:300])
    version = metadata["version"]
    if version != FORMAT_VERSION or isinstance(version, bool):
        reader.fail(f"model file version {version!r}; this tinygrad-lr reads "
                    f"version {FORMAT_VERSION}"[:200])
    metadata["classes"] = checked_classes(reader, metadata.get("classes"))
    d = metadata.get("n_features")
    if isinstance(d, bool) or not isinstance(d, int) or not 1 <= d <= MAX_FEATURES:
        reader.fail(f"n_features must be a positive int (at most {MAX_FEATURES}), got {d!r}"
                    [:200])
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


def checked_classes(reader: Any, classes: Any) -> list:
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


def known_params(reader: Any, params: Any) -> dict[str, Any]:
    """Saved hyper-parameters that LogisticRegression accepts (others are ignored)."""
    if params is None:
        return {}
    if not isinstance(params, dict):
        reader.fail(f"params must be an object, got {params!r}"[:200])
    valid = LogisticRegression._param_names()
    known = {}
    for name, value in params.items():
        if isinstance(value, dict) and set(value) == {"float"}:
            if value["float"] not in ("inf", "-inf"):
                reader.fail(f"the saved parameter {name!r} is not a parameter value")
            value = float(value["float"])
        elif isinstance(value, dict):
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


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, (str, int, float))


# ---------------------------------------------------------------------- writing
class SaveChecks:
    """What the reader's checks call on a problem, when they run on a model being saved."""

    def fail(self, problem: str):
        raise ValueError(f"cannot save this model: {problem}")


def json_label(label: Any) -> Any:
    """Class labels as JSON values (numpy ints/floats/bools/strs become Python ones)."""
    value = label.item() if isinstance(label, np.generic) else label
    if not isinstance(value, (str, int, float, bool)):
        raise TypeError(f"cannot save class label {label!r} of type {type(label).__name__}")
    return value


def _json_scalar(value: Any) -> Any:
    value = value.item() if isinstance(value, np.generic) else value
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float) and math.isfinite(value):
        return value
    raise TypeError


def json_params(params: dict) -> tuple[dict, list]:
    """Hyper-parameters as JSON: numbers, text, booleans and None as they are, a dict of
    those (e.g. ``class_weight``) as ``{"dict": [[key, value], ...]}`` (keys keep their
    type), an infinite float (``C=np.inf``) as ``{"float": "inf"}``. Anything else (a
    ``np.random.Generator``...) is not saved: the loaded model gets the default, and the
    name is listed under ``unsaved_params``."""
    saved, unsaved = {}, []
    for name, value in params.items():
        try:
            if isinstance(value, (float, np.floating)) and math.isinf(value):
                saved[name] = {"float": "inf" if value > 0 else "-inf"}  # C=np.inf
            elif isinstance(value, dict):
                saved[name] = {"dict": [[_json_scalar(k), _json_scalar(v)]
                                        for k, v in value.items()]}
            else:
                saved[name] = _json_scalar(value)
        except TypeError:
            unsaved.append(name)
    return saved, unsaved


def json_n_iter(n_iter: Any) -> Any:
    if n_iter is None:
        return None
    if np.ndim(n_iter) == 0:
        return int(n_iter)
    return [int(n) for n in np.ravel(n_iter)]
