"""What a fit on Dask data holds for its duration: inputs converted, sized and placed once.

A fit evaluates its objective a dozen times or more, and each evaluation reads every row
block. This module makes the inputs into what those evaluations read, once per fit:

- Dask DataFrames and Series become Dask arrays (the columns are the features, their names
  kept), and unknown row counts (``ddf.to_dask_array()``) are computed once;
- X is *persisted* for the fit, in row blocks of at most 128 MiB balanced over the
  workers, when the cluster's memory holds it; otherwise it stays lazy and is recomputed
  (streamed) block by block at every evaluation, with a :class:`NotPersistedWarning`
  saying so. The
  ``tinygrad-lr.persist`` setting of ``dask.config`` chooses: ``"auto"`` (the default),
  ``True`` (always persist; Dask spills to disk what does not fit) or ``False`` (always
  stream, without a warning);
- a lost worker whose data cannot be recomputed (scattered from the client) is named in a
  :class:`LostDataError` that says what to do instead.

Dask is imported only when Dask data is used (this module's doctests need no Dask).
"""

from __future__ import annotations

import contextlib
import math
import warnings
from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # annotations only: dask is imported when Dask data is used
    from dask.array import Array
    from distributed import Client

PERSIST_SETTING = "tinygrad-lr.persist"
"""``dask.config`` key: ``"auto"`` (default), ``True`` or ``False`` (see the module doc)."""
BLOCK_BYTES_SETTING = "tinygrad-lr.block-bytes"
"""``dask.config`` key: the largest row block a persisted X is rechunked to (bytes)."""
BLOCK_BYTES = 128 * 2**20
"""Default largest row block of a persisted X: fewer, bigger tasks, one Hessian each."""
PERSIST_FRACTION = 0.5
"""``persist="auto"`` persists X when it takes at most this share of the workers' memory
(the rest is for the evaluations' temporaries and for other work)."""


class NotPersistedWarning(UserWarning):
    """X was too large for the cluster's memory and is recomputed at every evaluation."""


class LostDataError(RuntimeError):
    """Input data of the fit was lost with a worker and cannot be recomputed."""


def is_dask_collection(X) -> bool:
    """True for a Dask array, DataFrame or Series (duck-typed: dask is not imported).

    >>> is_dask_collection(np.zeros(3)), is_dask_collection([1, 2])
    (False, False)
    """
    kind = type(X)  # the class, not X: a Delayed or a DataFrame column could be named "ndim"
    return hasattr(kind, "__dask_graph__") and hasattr(kind, "ndim")


def _is_dask_table(X) -> bool:
    """A Dask DataFrame or Series (not an array: those have chunks)."""
    kind = type(X)
    return (is_dask_collection(X) and hasattr(kind, "to_dask_array")
            and not hasattr(kind, "chunks"))


def frame_to_array(X, *, name: str = "X") -> tuple[object, np.ndarray | None]:
    """A Dask DataFrame as ``(Dask array, column names or None)``; other data unchanged.

    The columns must hold real numbers (a clear error names those that do not); the names
    are kept when all are strings (scikit-learn's ``feature_names_in_`` rule). The array's
    row counts are unknown until :func:`with_known_rows` computes them.
    """
    if not _is_dask_table(X):
        return X, None
    if X.ndim == 1:  # a Series: one column, e.g. the labels
        return X.to_dask_array(), None
    kinds = {str(column): np.dtype(dtype).kind if isinstance(dtype, np.dtype) else "O"
             for column, dtype in X.dtypes.items()}
    bad = [column for column, kind in kinds.items() if kind not in "biuf"]
    if bad:
        raise ValueError(f"{name} has columns that do not hold real numbers: {bad[:5]} "
                         f"(dtypes {[str(X.dtypes[c]) for c in X.columns if str(c) in bad][:5]});"
                         " drop or encode them first")
    columns = list(X.columns)
    names = (np.asarray(columns, dtype=object)
             if all(isinstance(column, str) for column in columns) else None)
    return X.to_dask_array(), names


def has_unknown_rows(array: Array) -> bool:
    """Whether some row block of a Dask array has an unknown (NaN) number of rows."""
    return any(math.isnan(rows) for rows in array.chunks[0])


def with_known_rows(array: Array, rows=None) -> Array:
    """``array`` with its row counts known: ``rows`` if given (one per block, already
    computed), else computed now, in one pass over the blocks."""
    import dask.array as da

    if not has_unknown_rows(array):
        return array
    if rows is None:
        return array.compute_chunk_sizes()
    chunks = (tuple(int(r) for r in rows), *array.chunks[1:])
    return da.Array(array.dask, array.name, chunks, meta=array._meta)


def row_aligned(values, X: Array, name: str) -> Array:
    """A label or weight input as a Dask array in X's row blocks (numpy: cut once)."""
    import dask.array as da

    values, _ = frame_to_array(values, name=name)
    if not is_dask_collection(values):
        values = np.asarray(values)
        if values.ndim == 0 or len(values) != X.shape[0]:  # the caller reports the mismatch
            return da.from_array(np.atleast_1d(values), chunks=-1)
        return da.from_array(values, chunks=(X.chunks[0],) + values.shape[1:])
    return values


def known_rows(*arrays: Array | None) -> tuple[Array | None, ...]:
    """The arrays with their unknown row counts computed, all in one pass (inputs that
    share a source, such as the columns of one DataFrame, compute it once)."""
    import dask

    unknown = [a for a in arrays if a is not None and has_unknown_rows(a)]
    if not unknown:
        return arrays
    count = dask.delayed(len, pure=True)
    counts = dask.compute([[count(b) for b in a.to_delayed().ravel()] for a in unknown])[0]
    sized = {id(a): with_known_rows(a, rows) for a, rows in zip(unknown, counts)}
    return tuple(sized.get(id(a), a) for a in arrays)


def active_client() -> Client | None:
    """The ``dask.distributed`` client Dask uses now, or None (threads or processes)."""
    try:
        from distributed import get_client
    except ImportError:  # pragma: no cover - only dask without distributed
        return None
    try:
        return get_client()
    except ValueError:
        return None


def workers_memory(client: Client | None) -> tuple[int, float]:
    """(number of workers, their total memory limit in bytes) where Dask will compute.

    Without a distributed client: one process and the machine's available memory. A
    worker started without a limit counts with its machine's memory.
    """
    if client is None:
        return 1, float(_available_memory())
    workers = client.scheduler_info(n_workers=-1)["workers"].values()
    total = 0.0
    for worker in workers:
        total += worker.get("memory_limit") or _available_memory()
    return max(1, len(workers)), total


def _available_memory() -> int:
    try:
        import psutil

        return int(psutil.virtual_memory().available)
    except ImportError:  # pragma: no cover - psutil comes with distributed
        import os

        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES")


def persist_choice(n_bytes: float, memory: float) -> bool:
    """Whether the fit persists an X of ``n_bytes``: the ``tinygrad-lr.persist`` setting,
    ``"auto"`` meaning "when it takes at most :data:`PERSIST_FRACTION` of ``memory``";
    warns (:class:`NotPersistedWarning`) when "auto" decides to stream.
    """
    import dask

    setting = dask.config.get(PERSIST_SETTING, "auto")
    if setting not in ("auto", True, False):
        raise ValueError(f"dask.config {PERSIST_SETTING!r} must be 'auto', True or False, "
                         f"got {setting!r}")
    if setting != "auto":
        return setting
    if n_bytes <= PERSIST_FRACTION * memory:
        return True
    warnings.warn(
        f"X takes {n_bytes / 1e9:.2f} GB, more than {PERSIST_FRACTION:.0%} of the workers' "
        f"memory ({memory / 1e9:.2f} GB): it is not persisted, so every evaluation of the "
        "objective recomputes (reads) all of its blocks. Add workers or memory to keep it "
        f"in memory, or choose with dask.config.set({{{PERSIST_SETTING!r}: True}}) (persist, "
        "spilling to disk) or False (stream, without this warning)",
        NotPersistedWarning, stacklevel=4)
    return False


def balanced_row_blocks(n_rows: int, row_bytes: int, n_workers: int,
                        block_bytes: int | None = None) -> tuple[int, ...]:
    """Row counts of blocks of at most ``block_bytes`` (default: the ``tinygrad-lr.block-
    bytes`` setting, else :data:`BLOCK_BYTES`), as many per worker, as equal as can be.

    >>> balanced_row_blocks(1_000_000, 800, 2, block_bytes=BLOCK_BYTES)  # 6 of 127 MiB
    (166667, 166667, 166667, 166667, 166666, 166666)
    >>> balanced_row_blocks(10, 800, 2, block_bytes=BLOCK_BYTES)
    (5, 5)
    """
    if block_bytes is None:
        import dask

        block_bytes = int(dask.config.get(BLOCK_BYTES_SETTING, BLOCK_BYTES))
    blocks = max(1, math.ceil(n_rows * row_bytes / max(1, block_bytes)))
    blocks = min(n_rows, math.ceil(blocks / n_workers) * n_workers)
    size, extra = divmod(n_rows, blocks)
    return tuple(size + (i < extra) for i in range(blocks))


def _block_bytes(block_bytes: int | None) -> int:
    if block_bytes is None:
        import dask

        block_bytes = int(dask.config.get(BLOCK_BYTES_SETTING, BLOCK_BYTES))
    return max(1, block_bytes)


def source_row_blocks(chunks: tuple[int, ...], row_bytes: int,
                      block_bytes: int | None = None) -> tuple[int, ...]:
    """X's own row blocks (``chunks``), each one larger than ``block_bytes`` (default as in
    :func:`balanced_row_blocks`) split into equal parts of at most that size.

    Every new block is made from one source block, on the worker that makes the source
    block, so persisting X in them moves no data between workers; smaller blocks are
    merged afterwards, per worker (:func:`worker_row_groups`).

    >>> source_row_blocks((20971, 20971, 1000), 800, block_bytes=BLOCK_BYTES)  # kept
    (20971, 20971, 1000)
    >>> source_row_blocks((500_000, 10), 800, block_bytes=BLOCK_BYTES)  # 381 MiB: in 3
    (166667, 166667, 166666, 10)
    """
    limit = _block_bytes(block_bytes)
    blocks: list[int] = []
    for rows in chunks:
        parts = min(max(1, rows), max(1, math.ceil(rows * row_bytes / limit)))
        size, extra = divmod(rows, parts)
        blocks.extend(size + (i < extra) for i in range(parts))
    return tuple(blocks)


def worker_row_groups(holders: list[str], chunks: tuple[int, ...], row_bytes: int,
                      block_bytes: int | None = None) -> list[list[int]]:
    """Row blocks to merge: each group lists blocks held by one worker (``holders[i]``
    holds block ``i``, of ``chunks[i]`` rows), at most ``block_bytes`` in all (or a single
    block), as few groups per worker as that allows, with as equal numbers of blocks.

    >>> worker_row_groups(["a", "b", "a", "b", "a", "b"], (10,) * 6, 8, block_bytes=160)
    [[0, 2], [4], [1, 3], [5]]
    """
    limit = _block_bytes(block_bytes)
    by_worker: dict[str, list[int]] = {}
    for i, worker in enumerate(holders):
        by_worker.setdefault(worker, []).append(i)
    groups = []
    for blocks in by_worker.values():
        total = sum(chunks[i] for i in blocks) * row_bytes
        for parts in range(min(len(blocks), max(1, math.ceil(total / limit))),
                           len(blocks) + 1):
            split = [part.tolist() for part in np.array_split(blocks, parts)]
            if all(sum(chunks[i] for i in g) * row_bytes <= limit or len(g) == 1
                   for g in split):
                break
        groups.extend(split)
    return groups


def _concatenate_rows(*blocks):
    return np.concatenate(blocks)


def merged_per_worker(client: Client | None, X: Array, *row_aligned,
                      block_bytes: int | None = None) -> tuple:
    """X (persisted, in whole-row blocks) and its row-aligned arrays (or None) persisted
    again in the blocks of :func:`worker_row_groups`: fewer, bigger blocks, each made on
    the worker that holds all of its parts, so no data moves between workers.

    The rows come back grouped, in another order than X's (the blocks of a group
    together): fit only what does not depend on row order (sums over rows), and report
    row numbers before. Unchanged when the blocks' workers are not known.
    """
    holders = block_workers(client, X)
    if holders is None:
        return (X, *row_aligned)
    chunks = X.chunks[0]
    groups = worker_row_groups(holders, chunks, X.shape[1] * X.dtype.itemsize, block_bytes)
    if len(groups) == len(chunks):
        return (X, *row_aligned)
    import dask
    import dask.array as da

    concatenate = dask.delayed(_concatenate_rows, pure=True)

    def merge(array):
        if array is None:
            return None
        blocks = array.to_delayed().ravel()
        return da.concatenate([
            da.from_delayed(concatenate(*(blocks[i] for i in group)),
                            shape=(sum(chunks[i] for i in group), *array.shape[1:]),
                            dtype=array.dtype) for group in groups])

    merged = dask.persist(*(merge(array) for array in (X, *row_aligned)))
    from distributed import wait

    wait(merged[0])  # then the fit knows which worker holds each block
    return merged


def is_persisted(array: Array) -> bool:
    """True when every block of a Dask array is already computed (held as a future)."""
    try:
        from distributed import futures_of
    except ImportError:  # pragma: no cover
        return False
    return len(futures_of(array)) >= math.prod(len(c) for c in array.chunks)


def block_workers(client: Client | None, array: Array) -> list[str] | None:
    """The worker holding each block of a persisted Dask array (row order), or None."""
    if client is None:
        return None
    from distributed import futures_of

    futures = futures_of(array)
    if not futures:
        return None
    from dask.core import flatten

    holders = client.who_has(futures)
    workers = []
    for key in flatten(array.__dask_keys__()):
        held = holders.get(key)
        if not held:
            return None
        workers.append(sorted(held)[0])
    return workers


def lost_scattered_data(client: Client) -> dict[str, list[str]]:
    """{worker address: keys of scattered data lost with it} for every worker that left
    the cluster losing data that cannot be recomputed (from the scheduler's events)."""
    try:
        events = client.get_events()
    except Exception:  # the scheduler may be gone too: then there is nothing to name
        return {}
    lost: dict[str, list[str]] = {}
    for topic, entries in events.items():
        if "://" not in str(topic):  # worker topics are addresses ("all" repeats them)
            continue
        for _, event in entries:
            if isinstance(event, dict) and event.get("action") == "remove-worker" \
                    and event.get("lost-scattered-tasks"):
                lost.setdefault(str(topic), []).extend(
                    str(key) for key in event["lost-scattered-tasks"])
    return lost


@contextlib.contextmanager
def explain_lost_data(client: Client | None) -> Iterator[None]:
    """Turn Dask's "cancelled" error about lost, unrecomputable inputs into a
    :class:`LostDataError` naming the worker that held them and what to do."""
    from concurrent.futures import CancelledError

    try:
        yield
    except CancelledError as error:
        lost = lost_scattered_data(client) if client is not None else {}
        if lost:
            where = "; ".join(f"worker {worker} (keys {', '.join(keys[:3])})"
                              for worker, keys in lost.items())
            where = f"it was held only by {where}, which left the cluster,"
        else:
            where = f"{getattr(error, 'key', '?')!r} depends on data of a worker that left"
        raise LostDataError(
            f"input data was lost: {where} and cannot "
            "be recomputed: it was scattered from the client (client.scatter) or made from "
            "data that is gone. Build X and y from a source every worker can read again "
            "(e.g. tinygrad_lr.models.distributed.from_npy, dask.dataframe.read_parquet) and "
            "persist that instead of scattering it, then fit again"
        ) from error
