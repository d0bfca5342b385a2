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


def _boundaries(blocks):
    return set(np.cumsum(blocks).tolist())


@pytest.mark.parametrize("chunks", [
    (20_971,) * 47 + (14_363,),  # benchmarks.scale's made data: 16 MiB blocks
    (1_000,) * 100,  # many small blocks
    (5_000, 300_000, 17, 200_000),  # uneven, two above 128 MiB
    (1_000_000,),  # one huge block
])
def test_source_row_blocks_keep_whole_source_blocks_and_split_only_large_ones(chunks):
    row_bytes, limit = 800, dask_data.BLOCK_BYTES
    blocks = dask_data.source_row_blocks(chunks, row_bytes)
    assert sum(blocks) == sum(chunks) and max(blocks) * row_bytes <= limit
    # every source boundary stays a boundary: no new block takes rows of two source blocks
    assert _boundaries(chunks) <= _boundaries(blocks)
    for rows in chunks:  # a source block of at most the limit is kept whole
        if rows * row_bytes <= limit:
            assert rows in blocks
    if chunks == (1_000_000,):
        assert len(blocks) == 6 and max(blocks) - min(blocks) <= 1


def test_worker_row_groups_merge_whole_blocks_of_one_worker_toward_the_block_size():
    rng = np.random.default_rng(0)
    chunks = (20_971,) * 47 + (14_363,)
    holders = rng.choice(["w1", "w2"], size=len(chunks)).tolist()
    groups = dask_data.worker_row_groups(holders, chunks, 800)
    assert sorted(i for group in groups for i in group) == list(range(len(chunks)))
    for group in groups:
        assert len({holders[i] for i in group}) == 1  # made where all its parts are
        assert sum(chunks[i] for i in group) * 800 <= dask_data.BLOCK_BYTES
    for worker in ("w1", "w2"):  # as few groups as the block size allows, near equal
        held = sum(chunks[i] for i, h in enumerate(holders) if h == worker) * 800
        mine = [g for g in groups if holders[g[0]] == worker]
        assert len(mine) == -(-held // dask_data.BLOCK_BYTES)
        assert max(map(len, mine)) - min(map(len, mine)) <= 1
    # a block alone above the size stays alone rather than failing
    assert dask_data.worker_row_groups(["w1", "w1"], (10, 1), 8, block_bytes=40) == [[0], [1]]
