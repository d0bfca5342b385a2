"""The pieces of tinygrad_lr.models.dask_data that need no cluster: telling Dask data apart,
DataFrames as arrays, row counts computed once, the persist choice and the block sizes."""

import warnings

import numpy as np
import pytest

from tinygrad_lr.models import dask_data

dask = pytest.importorskip("dask", reason="dask is not installed (pip install "
                           "'tinygrad-lr[dask]')")
da = pytest.importorskip("dask.array", reason="dask is not installed")


def test_dask_collections_are_told_apart_without_touching_their_data():
    assert dask_data.is_dask_collection(da.zeros((2, 2)))
    assert not dask_data.is_dask_collection(dask.delayed(np.zeros)(3))
    assert not dask_data.is_dask_collection(np.zeros(3))


def test_dataframes_become_arrays_with_their_column_names():
    pd = pytest.importorskip("pandas", reason="Dask DataFrames need pandas")
    dd = pytest.importorskip("dask.dataframe")
    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [4, 5, 6], "text": ["x", "y", "z"]})
    ddf = dd.from_pandas(frame, npartitions=2)
    X, names = dask_data.frame_to_array(ddf[["a", "b"]])
    assert names.tolist() == ["a", "b"] and dask_data.has_unknown_rows(X)
    np.testing.assert_array_equal(X.compute(), frame[["a", "b"]].to_numpy())
    labels, none = dask_data.frame_to_array(ddf["b"])
    assert none is None and labels.compute().tolist() == [4, 5, 6]
    with pytest.raises(ValueError, match=r"columns that do not hold real numbers: \['text'\]"):
        dask_data.frame_to_array(ddf)
    _, numbered = dask_data.frame_to_array(dd.from_pandas(pd.DataFrame(np.eye(2)), 1))
    assert numbered is None  # scikit-learn keeps names only when all are strings


def test_unknown_row_counts_are_computed_once_for_all_inputs():
    X = da.from_array(np.arange(12.0).reshape(6, 2), chunks=(4, 2))
    unknown = X[X[:, 0] >= 0]  # boolean indexing leaves the row counts unknown
    y = unknown[:, 0]
    assert dask_data.has_unknown_rows(unknown) and dask_data.has_unknown_rows(y)
    calls = []
    with dask.config.set(scheduler="sync"), dask.callbacks.Callback(
            pretask=lambda key, dsk, state: calls.append(key)):
        sized_X, none, sized_y = dask_data.known_rows(unknown, None, y)
    assert none is None
    assert sized_X.chunks[0] == (4, 2) and sized_y.chunks[0] == (4, 2)
    assert sum("len" in str(key) for key in calls) == 4  # one count per block of each
    np.testing.assert_array_equal(sized_X.compute(), X.compute())


def test_row_aligned_cuts_numpy_inputs_at_the_blocks_of_X():
    X = da.zeros((5, 2), chunks=(3, 2))
    assert dask_data.row_aligned(np.arange(5), X, "y").chunks == ((3, 2),)
    assert dask_data.row_aligned(np.arange(4), X, "y").shape == (4,)  # caller reports it


def test_persist_choice_follows_the_setting_and_warns_when_auto_streams():
    assert dask_data.persist_choice(1e9, 8e9)
    with pytest.warns(dask_data.NotPersistedWarning, match=r"X takes 5.00 GB, more than "
                      r"50% of the workers' memory \(8.00 GB\): it is not persisted"):
        assert not dask_data.persist_choice(5e9, 8e9)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with dask.config.set({dask_data.PERSIST_SETTING: False}):
            assert not dask_data.persist_choice(1.0, 8e9)
        with dask.config.set({dask_data.PERSIST_SETTING: True}):
            assert dask_data.persist_choice(5e10, 8e9)
    with dask.config.set({dask_data.PERSIST_SETTING: "yes"}), \
            pytest.raises(ValueError, match="must be 'auto', True or False, got 'yes'"):
        dask_data.persist_choice(1.0, 8e9)


def test_balanced_row_blocks_are_at_most_the_block_size_and_as_many_per_worker():
    for rows, row_bytes, workers in [(10**6, 800, 2), (12345, 8000, 3), (7, 8, 4)]:
        blocks = dask_data.balanced_row_blocks(rows, row_bytes, workers)
        assert sum(blocks) == rows and max(blocks) - min(blocks) <= 1
        assert max(blocks) * row_bytes <= dask_data.BLOCK_BYTES or max(blocks) == 1
        assert len(blocks) % workers == 0 or len(blocks) == rows
    with dask.config.set({dask_data.BLOCK_BYTES_SETTING: 80}):
        assert dask_data.balanced_row_blocks(100, 8, 2) == (10,) * 10
