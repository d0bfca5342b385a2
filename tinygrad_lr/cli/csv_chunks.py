"""Reading a CSV file in chunks of rows, for ``train --chunk-rows`` on files beyond memory.

The rules are :mod:`.csv_table`'s (same header checks, same cell parsing, same messages
naming the line and column); only the reading is incremental. :func:`csv_to_memmap`
converts the feature columns chunk by chunk into a float64 file on disk and returns a
memory map of it, which the fit then reads block by block.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import numpy as np

from .csv_table import (
    CsvError,
    Table,
    column_index,
    iter_table_chunks,
    label_column,
    numeric_columns,
)


def iter_csv_chunks(path, chunk_rows: int) -> Iterator[Table]:
    """Yield the data rows of a CSV file as :class:`~.csv_table.Table` chunks.

    Each chunk has the file's header and at most ``chunk_rows`` rows (with their line
    numbers); blank lines are skipped. The errors are those of
    :func:`~.csv_table.read_table`: a missing or empty file, bad header, a row with the wrong
    number of cells, or no data rows at all.
    """
    if chunk_rows is None:
        raise ValueError("chunk_rows must be a positive int, got None")
    return iter_table_chunks(path, chunk_rows)


class StreamedCsv(NamedTuple):
    """A CSV's features as a memory map on disk, its labels, and the feature names."""

    X: np.memmap
    labels: np.ndarray
    features: list


def csv_to_memmap(path, target: str, chunk_rows: int, directory) -> StreamedCsv:
    """Convert a CSV's feature columns to a float64 memory map under ``directory``.

    Reads ``chunk_rows`` rows at a time, so the memory used is that of one chunk (plus the
    labels, one small value per row). The labels follow :func:`~.csv_table.label_column`'s
    rule over the whole column (integers if every cell is one, else numbers, else text):
    each chunk's cells are coded by their distinct texts, and the rule is applied to those.
    The map is opened read-write (it is the caller's scratch file: ``directory`` should be
    a temporary directory), so the features can be standardized in place.
    """
    path = Path(path)
    data_file = Path(directory) / "features.f8"
    codes: dict[str, int] = {}
    first_lines: list[int] = []
    label_codes: list[np.ndarray] = []
    features, n_rows = None, 0
    with open(data_file, "wb") as out:
        for chunk in iter_csv_chunks(path, chunk_rows):
            if features is None:
                position = column_index(chunk, target, role="target column")
                features = [name for name in chunk.header if name != target]
                if not features:
                    raise CsvError(f"{path}: no feature columns besides the target '{target}'")
            cells = [row[position].strip() for row in chunk.rows]
            for cell, line in zip(cells, chunk.lines):
                if not cell:
                    raise CsvError(f"{path}, line {line}, column '{target}': empty label")
                if cell not in codes:
                    codes[cell] = len(codes)
                    first_lines.append(line)
            label_codes.append(np.fromiter((codes[c] for c in cells), np.intp, len(cells)))
            numeric_columns(chunk, features).tofile(out)
            n_rows += len(chunk.rows)
    distinct = Table(path, [target], [[text] for text in codes], first_lines)
    labels = label_column(distinct, target)[np.concatenate(label_codes)]
    X = np.memmap(data_file, dtype=np.float64, mode="r+", shape=(n_rows, len(features)))
    return StreamedCsv(X, labels, features)


def standardize_in_place(X: np.memmap, block_rows: int | None = None):
    """Scale the columns of a writable memory map to mean 0, std 1, one block at a time.

    Returns the fitted :class:`~tinygrad_lr.models.StandardScaler` (the statistics are
    :func:`~tinygrad_lr.models.chunked.column_mean_and_scale`'s, equal to
    ``StandardScaler().fit(X)``'s to rounding), so the model file can store it.
    """
    from ..models import StandardScaler
    from ..models.chunked import column_mean_and_scale, row_blocks

    mean, scale = column_mean_and_scale(X, block_rows)
    for _, block in row_blocks(X, block_rows):
        block -= mean
        block /= scale
    X.flush()
    scaler = StandardScaler()
    scaler.mean_, scaler.scale_, scaler.n_features_in_ = mean, scale, X.shape[1]
    return scaler
