"""Reading CSV files for ``train`` and ``predict``, with errors that name the line and column."""

from __future__ import annotations

import csv
import math
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import numpy as np


class CsvError(ValueError):
    """A CSV file cannot be used; the message names the file, line and column."""


class Table(NamedTuple):
    """The header and the data rows (as text) of a CSV file, with each row's line number."""

    path: Path
    header: list
    rows: list
    lines: list


def read_table(path) -> Table:
    """Read a CSV file with a header row; blank lines are skipped.

    Raises :class:`CsvError` for a missing or empty file, blank or repeated column names,
    rows with a different number of cells than the header, or no data rows.
    """
    return next(iter_table_chunks(path, None))


def iter_table_chunks(path, chunk_rows: int | None) -> Iterator[Table]:
    """Yield the data rows of a CSV file as :class:`Table` chunks of ``chunk_rows`` rows.

    Each chunk has the file's header and at most ``chunk_rows`` rows (with their line
    numbers); ``None`` means one chunk of every row. Blank lines are skipped. The errors
    are :func:`read_table`'s, raised when the reading reaches them.
    """
    path = Path(path)
    if chunk_rows is not None and (isinstance(chunk_rows, bool) or not isinstance(chunk_rows, int)
                                   or chunk_rows < 1):
        raise ValueError(f"chunk_rows must be a positive int, got {chunk_rows!r}")
    try:
        handle = open(path, newline="", encoding="utf-8-sig")
    except FileNotFoundError:
        raise CsvError(f"{path}: no such file") from None
    except OSError as error:
        raise CsvError(f"{path}: cannot read it ({error.strerror})") from None
    with handle:
        reader = csv.reader(handle)
        header, rows, lines, seen = None, [], [], 0
        try:
            for row in reader:
                if not row or all(not cell.strip() for cell in row):
                    continue
                if header is None:
                    header = _checked_header(path, row)
                    continue
                if len(row) != len(header):
                    raise CsvError(
                        f"{path}, line {reader.line_num}: {len(row)} cells, but the header "
                        f"has {len(header)} columns"
                    )
                rows.append(row)
                lines.append(reader.line_num)
                if len(rows) == chunk_rows:
                    seen += len(rows)
                    yield Table(path, header, rows, lines)
                    rows, lines = [], []
        except csv.Error as error:
            raise CsvError(f"{path}, line {reader.line_num}: {error}") from None
        except UnicodeDecodeError:
            raise CsvError(f"{path}: not a UTF-8 text file") from None
    if header is None:
        raise CsvError(f"{path}: the file is empty (expected a header row of column names)")
    if rows:
        seen += len(rows)
        yield Table(path, header, rows, lines)
    if not seen:
        raise CsvError(f"{path}: the header is there but there are no data rows")


def _checked_header(path: Path, row: list) -> list:
    header = [cell.strip() for cell in row]
    blank = [i + 1 for i, name in enumerate(header) if not name]
    if blank:
        raise CsvError(f"{path}: header column {blank[0]} has no name")
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise CsvError(f"{path}: the header names column(s) {repeated} more than once")
    return header


def column_index(table: Table, name: str, role: str = "column") -> int:
    """The position of column ``name``, or a CsvError listing the columns there are."""
    try:
        return table.header.index(name)
    except ValueError:
        shown = ", ".join(repr(h) for h in table.header[:12])
        more = f" and {len(table.header) - 12} more" if len(table.header) > 12 else ""
        raise CsvError(
            f"{table.path}: no {role} '{name}'; the columns are {shown}{more}"
        ) from None


def numeric_columns(table: Table, names) -> np.ndarray:
    """The named columns as a float64 array (rows × names); every cell must be a finite number."""
    positions = [column_index(table, name) for name in names]
    out = np.empty((len(table.rows), len(positions)))
    for i, (row, line) in enumerate(zip(table.rows, table.lines)):
        for j, (name, position) in enumerate(zip(names, positions)):
            out[i, j] = _number(row[position], table.path, line, name)
    return out


def _number(cell: str, path, line: int, name: str) -> float:
    text = cell.strip()
    if not text:
        raise CsvError(f"{path}, line {line}, column '{name}': empty cell (missing value)")
    try:
        value = float(text)
    except ValueError:
        raise CsvError(
            f"{path}, line {line}, column '{name}': {text!r} is not a number"
        ) from None
    if not math.isfinite(value):
        raise CsvError(f"{path}, line {line}, column '{name}': {text!r} is not a finite number")
    return value


def label_column(table: Table, name: str) -> np.ndarray:
    """The target column: integers if every cell is one, else numbers, else the text.

    Every cell must hold a label (an empty one is an error naming its line).
    """
    position = column_index(table, name, role="target column")
    cells = [row[position].strip() for row in table.rows]
    for cell, line in zip(cells, table.lines):
        if not cell:
            raise CsvError(f"{table.path}, line {line}, column '{name}': empty label")
    return _labels(table, name, cells, table.lines)


def optional_label_column(table: Table, name: str) -> tuple[np.ndarray, np.ndarray]:
    """The labels of the rows whose ``name`` cell is not empty, and a mask of those rows.

    For a column that only feeds a report (``predict``'s accuracy): an empty cell means
    "unknown", not a broken file.
    """
    position = column_index(table, name, role="target column")
    cells = [row[position].strip() for row in table.rows]
    present = np.array([bool(cell) for cell in cells], dtype=bool)
    kept = [(cell, line) for cell, line in zip(cells, table.lines) if cell]
    labels = _labels(table, name, [cell for cell, _ in kept], [line for _, line in kept])
    return labels, present


def _labels(table: Table, name: str, cells: list, lines: list) -> np.ndarray:
    for convert, dtype in ((int, np.int64), (float, np.float64)):
        try:
            labels = np.array([convert(cell) for cell in cells], dtype=dtype)
        except (ValueError, OverflowError):  # OverflowError: an integer beyond int64
            continue
        for value, cell, line in zip(labels, cells, lines):
            if not math.isfinite(value):
                raise CsvError(
                    f"{table.path}, line {line}, column '{name}': {cell!r} is not a label"
                )
        return labels
    return np.array(cells)


def same_labels(predicted, truth) -> np.ndarray:
    """Where ``predicted`` equals ``truth`` by value: numbers compare as numbers (``1`` and
    ``1.0`` are the same label), anything else as text.

    >>> same_labels(np.array([0.0, 1.0]), np.array([0, 0])).tolist()
    [True, False]
    >>> same_labels(np.array(["yes", "no"]), np.array(["yes", "yes"])).tolist()
    [True, False]
    """
    predicted, truth = np.asarray(predicted), np.asarray(truth)
    if predicted.dtype.kind in "biuf" and truth.dtype.kind in "biuf":
        return np.asarray(predicted == truth)
    return np.asarray(predicted.astype(str) == truth.astype(str))
