"""Row blocks of memory maps and CSV files: views not copies, the same checks and numbers as
the in-memory code, block-summed objectives equal to the one-block objective."""

import numpy as np
import pytest

from tinygrad_lr.cli.csv_chunks import csv_to_memmap, iter_csv_chunks
from tinygrad_lr.cli.csv_table import CsvError, label_column, numeric_columns, read_table
from tinygrad_lr.models import objective
from tinygrad_lr.models.chunked import (
    blockwise_evaluator,
    check_blocks,
    column_mean_and_scale,
    default_block_rows,
    is_memory_mapped,
    row_blocks,
    sum_over_blocks,
    weighted_block,
)


@pytest.fixture
def mapped(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1001, 4))
    np.save(tmp_path / "X.npy", X)
    return X, np.load(tmp_path / "X.npy", mmap_mode="r")


def test_blocks_of_a_memory_map_are_views_of_the_file(mapped):
    X, M = mapped
    assert is_memory_mapped(M) and is_memory_mapped(M[10:20]) and not is_memory_mapped(X)
    blocks = list(row_blocks(M, block_rows=300))
    assert [rows.start for rows, _ in blocks] == [0, 300, 600, 900]
    assert [len(block) for _, block in blocks] == [300, 300, 300, 101]
    for rows, block in blocks:
        assert is_memory_mapped(block) and np.shares_memory(block, M)
        np.testing.assert_array_equal(block, X[rows])


def test_default_block_rows_bounds_the_bytes_of_a_block():
    assert default_block_rows(100) * 100 * 8 <= 16 * 2**20 < (default_block_rows(100) + 1) * 800
    assert default_block_rows(10**9) == 1


@pytest.mark.parametrize("bad", [0, -1, 2.5, True])
def test_block_rows_must_be_a_positive_int(bad):
    with pytest.raises(ValueError, match="block_rows must be a positive int"):
        list(row_blocks(np.zeros((3, 2)), bad))


def test_sum_over_blocks_passes_aligned_rows_and_none():
    X = np.arange(20.0).reshape(10, 2)
    y = np.arange(10)
    total = sum_over_blocks(lambda rows, b, labels, w: (len(b), labels.sum(), w), X, y, None,
                            block_rows=3)
    assert total == (10, 45, None)


def test_check_blocks_finds_the_first_bad_value_and_shape_errors(mapped, tmp_path):
    _, M = mapped
    assert check_blocks(M, block_rows=100) is M
    X = np.ones((50, 3))
    X[37, 2] = np.inf
    with pytest.raises(ValueError, match=r"row 37, column 2 \(value inf\)"):
        check_blocks(X, block_rows=10)
    with pytest.raises(ValueError, match="2-D"):
        check_blocks(np.ones(3))
    with pytest.raises(ValueError, match="empty"):
        check_blocks(np.ones((0, 3)))
    with pytest.raises(ValueError, match="real numbers"):
        check_blocks(np.array([["a"]]))
    assert check_blocks(np.ones((2, 2), dtype=np.int32)).dtype == np.int32


def test_column_mean_and_scale_equal_numpys(mapped):
    X, M = mapped
    mean, scale = column_mean_and_scale(M, block_rows=97)
    np.testing.assert_allclose(mean, X.mean(axis=0), rtol=0, atol=1e-15)
    np.testing.assert_allclose(scale, X.std(axis=0), rtol=1e-14)
    _, constant = column_mean_and_scale(np.ones((5, 2)))
    assert constant.tolist() == [1.0, 1.0]


def test_weighted_block_multiplies_sample_and_class_weights():
    codes = np.array([0, 1, 1])
    assert weighted_block(None, None, codes) is None
    assert weighted_block(np.array([2.0, 1, 1]), np.array([1.0, 3.0]), codes).tolist() == [
        2.0, 3.0, 3.0]


@pytest.mark.parametrize("n_classes", [2, 3])
def test_blockwise_evaluator_equals_the_one_block_objective(mapped, n_classes):
    X, M = mapped
    rng = np.random.default_rng(1)
    codes = rng.integers(0, n_classes, len(X))
    weights = rng.uniform(0.5, 2.0, len(X))
    class_weights = np.linspace(1.0, 2.0, n_classes)
    theta = rng.normal(size=objective.n_outputs(n_classes) * (X.shape[1] + 1))
    whole = objective.in_memory(X, codes, weights * class_weights[codes], n_classes=n_classes,
                                alpha=0.05)(theta, True)
    blocks = blockwise_evaluator(M, codes, weights, n_classes=n_classes, alpha=0.05,
                                 class_weights=class_weights, block_rows=128)(theta, True)
    assert blocks[0] == pytest.approx(whole[0], rel=1e-13)
    np.testing.assert_allclose(blocks[1], whole[1], rtol=1e-11, atol=1e-14)
    np.testing.assert_allclose(blocks[2], whole[2], rtol=1e-11, atol=1e-14)


def test_blockwise_evaluator_converts_float32_blocks():
    X = np.random.default_rng(2).normal(size=(40, 3)).astype(np.float32)
    codes = np.arange(40) % 2
    theta = np.full(4, 0.1)
    whole = objective.in_memory(X.astype(np.float64), codes, None, n_classes=2, alpha=0.0)
    assert blockwise_evaluator(X, codes, n_classes=2, alpha=0.0, block_rows=7)(theta)[0] \
        == pytest.approx(whole(theta, False)[0], rel=1e-14)


# ------------------------------------------------------------------------- CSV in chunks
def _write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def test_csv_chunks_hold_at_most_chunk_rows_and_keep_line_numbers(tmp_path):
    path = _write(tmp_path / "d.csv", "a,b\n1,2\n\n3,4\n5,6\n")
    chunks = list(iter_csv_chunks(path, 2))
    assert [c.rows for c in chunks] == [[["1", "2"], ["3", "4"]], [["5", "6"]]]
    assert [c.lines for c in chunks] == [[2, 4], [5]]
    assert all(c.header == ["a", "b"] for c in chunks)


@pytest.mark.parametrize("content, message", [
    ("", "the file is empty"),
    ("a,b\n", "no data rows"),
    ("a,\n1,2\n", "header column 2 has no name"),
    ("a,a\n1,2\n", "more than once"),
    ("a,b\n1,2\n1,2,3\n", "line 3: 3 cells"),
])
def test_csv_chunks_raise_read_tables_errors(tmp_path, content, message):
    path = _write(tmp_path / "d.csv", content)
    with pytest.raises(CsvError, match=message):
        list(iter_csv_chunks(path, 1))
    with pytest.raises(CsvError, match=message):
        read_table(path)


def test_csv_chunks_missing_file_and_bad_chunk_rows(tmp_path):
    with pytest.raises(CsvError, match="no such file"):
        list(iter_csv_chunks(tmp_path / "missing.csv", 5))
    with pytest.raises(ValueError, match="chunk_rows"):
        list(iter_csv_chunks(tmp_path / "missing.csv", 0))


@pytest.mark.parametrize("labels", [["1", "0", "2"], ["0.5", "1", "2"], ["spam", "ham", "7"]])
def test_csv_to_memmap_equals_reading_the_whole_table(tmp_path, labels):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(23, 3))
    y = rng.choice(labels, 23)
    lines = ["a,label,b,c"] + [f"{r[0]!r},{t},{r[1]!r},{r[2]!r}" for r, t in zip(X.tolist(), y)]
    path = _write(tmp_path / "d.csv", "\n".join(lines) + "\n")
    streamed = csv_to_memmap(path, "label", 5, tmp_path)
    table = read_table(path)
    assert streamed.features == ["a", "b", "c"]
    assert is_memory_mapped(streamed.X)
    np.testing.assert_array_equal(streamed.X, numeric_columns(table, ["a", "b", "c"]))
    expected = label_column(table, "label")
    assert streamed.labels.dtype == expected.dtype
    np.testing.assert_array_equal(streamed.labels, expected)


@pytest.mark.parametrize("content, message", [
    ("a,y\n1,0\n2,\n", "line 3, column 'y': empty label"),
    ("a,y\n1,0\nx,1\n", "line 3, column 'a': 'x' is not a number"),
    ("a,b\n1,0\n", "no target column 'y'"),
    ("y\n1\n", "no feature columns"),
    ("a,y\n1,0\n2,inf\n", "line 3, column 'y': 'inf' is not a label"),
])
def test_csv_to_memmap_errors_name_line_and_column(tmp_path, content, message):
    path = _write(tmp_path / "d.csv", content)
    with pytest.raises(CsvError, match=message):
        csv_to_memmap(path, "y", 1, tmp_path)
