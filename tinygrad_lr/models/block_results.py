"""What every row block's computation shares, wherever the block lies (this process, a
memory map, a Dask worker): the block as float64, its row weights, and adding block results.

Kept apart from :mod:`~tinygrad_lr.models.chunked` and
:mod:`~tinygrad_lr.models.distributed` so that both use it without importing each other.
"""

from __future__ import annotations

import numpy as np


def add_block_results(total, result):
    """Add two per-block results: numbers, arrays, plain tuples or lists of them, or any
    object with ``+`` (such as :class:`~tinygrad_lr.models.objective.BlockSums`). ``None``
    is "nothing yet": ``None + r`` is ``r``.

    >>> add_block_results((1.0, None, [1, 2]), (2.0, None, [3, 4]))
    (3.0, None, [4, 6])
    """
    if total is None:
        return result
    if type(total) is tuple:
        return tuple(add_block_results(a, b) for a, b in zip(total, result))
    if type(total) is list:
        return [a + b for a, b in zip(total, result)]
    return total + result


def as_float_block(block: np.ndarray) -> np.ndarray:
    """A block as float64: the block itself when it already is, else a converted copy."""
    return block if block.dtype == np.float64 else block.astype(np.float64)


def weighted_block(sample_weight, class_weights, codes):
    """One block's row weights: the sample weights times the weight of each row's class.

    ``None`` for both means every row weighs 1 (and is returned as ``None``).

    >>> weighted_block(None, np.array([1.0, 3.0]), np.array([0, 1, 1])).tolist()
    [1.0, 3.0, 3.0]
    """
    if class_weights is None:
        return None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    per_row = np.asarray(class_weights, dtype=np.float64)[codes]
    return per_row if sample_weight is None else per_row * sample_weight
