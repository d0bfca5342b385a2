"""The Breast Cancer Wisconsin (Diagnostic) data, shipped inside the package.

Source and licence (CC BY 4.0) are stated in ``data/README.md`` next to the CSV.
"""

from __future__ import annotations

import csv
from importlib import resources
from pathlib import Path
from typing import NamedTuple

import numpy as np

_CSV_NAME = "breast_cancer.csv"
TARGET_COLUMN = "malignant"


class Dataset(NamedTuple):
    """Features ``X`` (n, d), labels ``y`` (n,) and the ``feature_names`` (d).

    A named tuple: read the fields by name, or unpack it as ``X, y, names = ...``.

    >>> from tinygrad_lr.datasets import load_breast_cancer
    >>> data = load_breast_cancer()
    >>> data.X.shape, data.y.shape, data.feature_names[:2]
    ((569, 30), (569,), ('mean radius', 'mean texture'))
    """

    X: np.ndarray
    y: np.ndarray
    feature_names: tuple


def breast_cancer_path() -> Path:
    """The path of the embedded CSV (header row, 30 feature columns, then ``malignant``).

    Handy for trying the command line on real data:
    ``tinygrad-lr train "$(python -c 'import tinygrad_lr.datasets as d;
    print(d.breast_cancer_path())')" --target malignant --standardize -o model.safetensors``.

    >>> breast_cancer_path().name
    'breast_cancer.csv'
    """
    return Path(str(resources.files(__package__).joinpath("data", _CSV_NAME)))


def load_breast_cancer() -> Dataset:
    """Load the Wisconsin Diagnostic Breast Cancer data: 569 tumours, 30 features.

    Each row describes the cell nuclei in a digitised image of a fine-needle aspirate
    (mean, standard error and largest value of radius, texture, perimeter, area,
    smoothness, compactness, concavity, concave points, symmetry, fractal dimension).

    Returns:
        ``Dataset(X, y, feature_names)``: ``X`` float64 of shape (569, 30), ``y`` int64
        of shape (569,) with 1 = malignant (212 rows) and 0 = benign (357 rows), and
        the 30 feature names. Fresh arrays on every call.

    Source: UCI Machine Learning Repository, Wolberg, Street and Mangasarian (1995);
    licence CC BY 4.0 (see ``tinygrad_lr/datasets/data/README.md``).

    >>> X, y, names = load_breast_cancer()
    >>> X.shape, y.shape, len(names)
    ((569, 30), (569,), 30)
    """
    path = breast_cancer_path()
    with open(path, newline="") as handle:
        header = next(csv.reader(handle))
    table = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float64)
    if header[-1] != TARGET_COLUMN or table.shape[1] != len(header):
        raise RuntimeError(f"the embedded file {path} is damaged; reinstall tinygrad-lr")
    return Dataset(table[:, :-1], table[:, -1].astype(np.int64), tuple(header[:-1]))
