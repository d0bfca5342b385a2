"""LogisticRegression on a Dask cluster run as users run one: a ``dask scheduler`` process and
two ``dask worker`` processes on 127.0.0.1 (benchmarks/cluster.py), a distributed Client.

What makes the fit fast is asserted by counting the tasks the scheduler ran (its task
stream), never by timing: a lazy X is made once per fit, the class codes are encoded
once, and only the per-block sums repeat at every evaluation. The timings are in
``make bench-scale`` (docs/scale.md).
"""

import os
import signal
import sys
import time
import tracemalloc
import warnings
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # benchmarks/ is a folder of the repository, not installed
    sys.path.insert(0, str(ROOT))

dask = pytest.importorskip("dask", reason="dask is not installed (pip install "
                           "'tinygrad-lr[dask]')")
da = pytest.importorskip("dask.array", reason="dask is not installed (pip install "
                         "'tinygrad-lr[dask]')")
distributed = pytest.importorskip("distributed", reason="distributed is not installed "
                                  "(pip install 'tinygrad-lr[dask]')")

from benchmarks import scale  # noqa: E402
from benchmarks.cluster import ProcessCluster  # noqa: E402
from tinygrad_lr.models import LogisticRegression, dask_data  # noqa: E402

FEATURES = 6


@pytest.fixture(scope="module")
def client():
    """A scheduler and two single-threaded workers, each its own ``dask`` process."""
    with ProcessCluster(n_workers=2, memory_limit="1GiB") as cluster, \
            distributed.Client(cluster.address) as client:
        client.cluster_processes = cluster  # the lost-worker test adds and kills one
        yield client


def _task_counts(stream) -> Counter:
    """How many tasks of each function the scheduler ran (a key is "<function>-<token>")."""
    names = Counter()
    for record in stream.data:
        key = record["key"]
        key = key[0] if isinstance(key, tuple) else key
        names[str(key).rsplit("-", 1)[0]] += 1
    return names


def _made(tasks: Counter) -> int:
    """Tasks that made blocks of the data (Dask may fuse make_rows with its neighbours)."""
    return sum(count for name, count in tasks.items() if "make_rows" in name.split("-"))


def _fit_counted(client, X, y, sample_weight=None, **options):
    with distributed.get_task_stream(client) as stream:
        model = LogisticRegression(tol=1e-8, **options).fit(X, y, sample_weight=sample_weight)
    return model, _task_counts(stream)


def _assert_same_fit(model, memory):
    np.testing.assert_allclose(model.coef_, memory.coef_, rtol=0, atol=1e-8)
    np.testing.assert_allclose(model.intercept_, memory.intercept_, rtol=0, atol=1e-8)


def test_lazy_X_is_made_once_per_fit_and_codes_are_encoded_once(client, capsys):
    """8 blocks made by 8 tasks for the whole fit (not 8 per evaluation); persisted as 2
    blocks (one per worker), encoded by 2 tasks; what repeats is the block sums only."""
    X, y = scale.lazy_dask_data(4000, FEATURES, 500)
    model, tasks = _fit_counted(client, X, y, verbose=1)
    printed = capsys.readouterr().out
    assert _made(tasks) == 8, tasks
    assert tasks["_encode_block"] == 2, tasks
    evaluations = tasks["_block_sums_task"] // 2
    assert evaluations >= model.n_iter_[0] + 1
    once = {name: count for name, count in tasks.items()
            if name not in ("_block_sums_task", "_sum_results")}
    # at most once per block of X and of y, and once per block they are merged into
    assert max(once.values()) <= 2 * 8 + 2 * 2, tasks
    assert "persisted, 2 row blocks" in printed
    per_evaluation = int(printed.split(" tasks per evaluation")[0].rsplit(" ", 1)[1])
    assert per_evaluation == 2 + tasks["_sum_results"] // evaluations
    _assert_same_fit(model, LogisticRegression(tol=1e-8).fit(*scale.numpy_data(
        4000, FEATURES, 500)))


def test_X_too_large_for_the_workers_is_streamed_with_a_warning(client, monkeypatch):
    X, y = scale.lazy_dask_data(2000, FEATURES, 500)
    memory = LogisticRegression(tol=1e-8).fit(*scale.numpy_data(2000, FEATURES, 500))
    monkeypatch.setattr(dask_data, "PERSIST_FRACTION", 1e-9)
    with pytest.warns(dask_data.NotPersistedWarning, match="workers' memory.*not persisted"):
        model, tasks = _fit_counted(client, X, y)
    _assert_same_fit(model, memory)
    evaluations = tasks["_block_sums_task"] // 4
    assert _made(tasks) >= 4 * evaluations, tasks  # made again at every evaluation
    assert tasks["_encode_block"] == 4  # the labels were persisted all the same
    with dask.config.set({dask_data.PERSIST_SETTING: False}):
        with warnings.catch_warnings():
            warnings.simplefilter("error", dask_data.NotPersistedWarning)
            _assert_same_fit(LogisticRegression(tol=1e-8).fit(X, y), memory)


def test_numpy_labels_and_weights_are_sent_once(client):
    X, y = scale.lazy_dask_data(3000, FEATURES, 1000)
    X_np, y_np = scale.numpy_data(3000, FEATURES, 1000)
    weights = np.random.default_rng(0).uniform(0.5, 2.0, len(y_np))
    model, tasks = _fit_counted(client, X, y_np, sample_weight=weights,
                                class_weight="balanced")
    once = {name: count for name, count in tasks.items()
            if name not in ("_block_sums_task", "_sum_results")}
    # at most once per block of X and of y, and once per block X, y and the weights
    # are merged into
    assert max(once.values()) <= 2 * 3 + 3 * 2, tasks
    assert tasks["_block_sums_task"] >= 2 * (model.n_iter_[0] + 1)
    memory = LogisticRegression(tol=1e-8, class_weight="balanced").fit(
        X_np, y_np, sample_weight=weights)
    _assert_same_fit(model, memory)


@pytest.fixture(scope="module")
def frame(client):
    """A Dask DataFrame of 8 partitions of 40,000 rows (f0 ... f11, label) made on the
    workers, and the same data as numpy arrays."""
    dd = pytest.importorskip("dask.dataframe", reason="Dask DataFrames need pandas "
                             "(pip install 'dask[dataframe]')")
    rows, features = 40_000, 12
    meta = scale.make_frame(0, 0, features)
    ddf = dd.from_map(scale.make_frame, range(8), rows=rows, features=features, meta=meta)
    X_np, y_np = scale.numpy_data(8 * rows, features, rows)
    return ddf, [f"f{j}" for j in range(features)], X_np, y_np


def test_dataframe_fit_equals_in_memory_without_the_data_on_the_client(client, frame):
    ddf, columns, X_np, y_np = frame
    tracemalloc.start()
    try:
        model = LogisticRegression(tol=1e-8).fit(ddf[columns], ddf["label"])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < X_np.nbytes / 4, (peak, X_np.nbytes)
    memory = LogisticRegression(tol=1e-8).fit(X_np, y_np)
    _assert_same_fit(model, memory)
    assert model.feature_names_in_.tolist() == columns
    proba = model.predict_proba(ddf[columns])
    np.testing.assert_allclose(proba.compute(), memory.predict_proba(X_np), atol=1e-8)
    with pytest.raises(ValueError, match="was fitted on columns"):
        model.predict(ddf[columns[::-1]])


def test_unknown_chunk_sizes_are_accepted(client, frame):
    ddf, columns, X_np, y_np = frame
    X = ddf[columns].to_dask_array()
    assert np.isnan(X.shape[0])
    memory = LogisticRegression(tol=1e-8).fit(X_np, y_np)
    _assert_same_fit(LogisticRegression(tol=1e-8).fit(X, ddf["label"].to_dask_array()),
                     memory)
    _assert_same_fit(LogisticRegression(tol=1e-8).fit(X, y_np), memory)


def test_score_returns_only_the_number(client, frame, monkeypatch):
    ddf, columns, X_np, y_np = frame
    model = LogisticRegression().fit(X_np, y_np)
    weights = np.linspace(0.5, 1.5, len(y_np))
    expected = model.score(X_np, y_np), model.score(X_np, y_np, sample_weight=weights)

    def refuse(self, *args, **kwargs):
        raise AssertionError("a Dask array was gathered to the client")

    monkeypatch.setattr(da.Array, "__array__", refuse)
    monkeypatch.setattr(da.Array, "compute", refuse)
    with distributed.get_task_stream(client) as stream:
        assert model.score(ddf[columns], ddf["label"]) == pytest.approx(expected[0], abs=1e-12)
    assert max(record.get("nbytes", {}).get("total", 0) if isinstance(record.get("nbytes"),
               dict) else 0 for record in stream.data) < 1e6
    X, _ = scale.lazy_dask_data(len(X_np), X_np.shape[1], 40_000)  # X_np, made on the workers
    assert model.score(X, y_np, sample_weight=weights) == pytest.approx(expected[1],
                                                                        abs=1e-12)


def _wait_for(condition, seconds=30.0):
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the cluster did not reach the expected state")
        time.sleep(0.1)


def test_a_worker_killed_during_the_fit_is_survived(client):
    """After the first Newton step, the worker holding the most of the fit's data is
    killed (a lost machine: no nanny brings it back); the blocks it held are made again
    from their source on the others and the fit ends as in memory."""
    cluster = client.cluster_processes
    cluster.add_worker("spare")  # so that two workers are left for the next test
    cluster.wait_for_workers(3)
    X, y = scale.lazy_dask_data(3000, FEATURES, 500)
    killed = []

    def kill_after_the_first_step(step, loss):
        if step == 1:
            held = client.has_what()
            names = {a: w["name"] for a, w in client.scheduler_info(n_workers=-1)
                     ["workers"].items()}
            address = max(held, key=lambda a: len(held[a]))
            process = cluster.by_name[str(names[address])]
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
            killed.append(address)

    model = LogisticRegression(tol=1e-8).fit(X, y, callback=kill_after_the_first_step)
    assert killed and model.n_iter_[0] > 1  # steps were made after the kill
    # The killed worker held blocks that exist nowhere else, so a fit that ends as in memory
    # made them again. (Counting the remakes in the task stream is not reliable: the dead
    # worker's records can be lost with it, and fused task names are shortened.)
    _assert_same_fit(model, LogisticRegression(tol=1e-8).fit(*scale.numpy_data(
        3000, FEATURES, 500)))
    _wait_for(lambda: len(client.scheduler_info(n_workers=-1)["workers"]) == 2)


def test_lost_scattered_data_names_the_worker(client):
    """Data scattered to a worker that then dies cannot be recomputed: the error says
    which worker it was and what to do, not "FutureCancelledError: ... forgotten"."""
    cluster = client.cluster_processes
    process = cluster.add_worker("doomed")
    cluster.wait_for_workers(3)
    info = client.scheduler_info(n_workers=-1)["workers"]
    (address,) = [a for a, worker in info.items() if worker["name"] == "doomed"]
    X_np, y_np = scale.numpy_data(600, FEATURES, 600)
    future = client.scatter(X_np, workers=[address])
    X = da.from_delayed(future, shape=X_np.shape, dtype=X_np.dtype)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    _wait_for(lambda: len(client.scheduler_info(n_workers=-1)["workers"]) == 2)
    with pytest.raises(dask_data.LostDataError, match=address) as caught:
        LogisticRegression().fit(X, y_np)
    assert "scatter" in str(caught.value) and "persist" in str(caught.value)
    print(caught.value)
