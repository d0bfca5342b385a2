"""Interleaved timing: engine and numpy alternate round by round, so drift hits both alike.

A round times the engine and the numpy version once each (in alternating order); the
reported figures are the median time of each and the median of the per-round ratios. A
paired ratio cancels slow phases of a shared machine that would skew a ratio of medians.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Comparison:
    """Timings of one workload: seconds per ``unit`` for each side and their ratio.

    Attributes:
        engine: median seconds per unit for tinygrad_lr.
        numpy: median seconds per unit for the hand-written numpy version.
        ratio: median over rounds of engine/numpy (the figure the targets refer to).
        ratio_low, ratio_high: the smallest and largest per-round ratio (the spread).
        rounds: how many paired rounds were timed.
    """

    engine: float
    numpy: float
    ratio: float
    ratio_low: float
    ratio_high: float
    rounds: int


def time_once(fn: Callable[[], object], number: int = 1) -> float:
    """Seconds per call of ``fn``, timed over ``number`` back-to-back calls.

    Garbage from earlier calls is collected first, outside the timed region, so that one
    side does not pay for the other's garbage.

    >>> time_once(lambda: sum(range(10)), number=3) >= 0
    True
    """
    if number < 1:
        raise ValueError(f"number must be at least 1, got {number}")
    gc.collect()
    start = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - start) / number


def calibrate(fn: Callable[[], object], min_seconds: float) -> int:
    """How many calls of ``fn`` take at least ``min_seconds`` (so timer noise stays small).

    >>> calibrate(lambda: None, 0.0)
    1
    """
    number = 1
    while True:
        if time_once(fn, number) * number >= min_seconds or number >= 1 << 20:
            return number
        number *= 4


def compare(engine_fn: Callable[[], object], numpy_fn: Callable[[], object], *,
            rounds: int = 7, min_seconds: float = 0.02, per: float = 1.0) -> Comparison:
    """Time ``engine_fn`` against ``numpy_fn`` in ``rounds`` interleaved rounds.

    Args:
        engine_fn, numpy_fn: zero-argument callables doing the same work.
        rounds: paired rounds to time (the calibration calls before them warm both up).
        min_seconds: each timed sample repeats a call until it lasts this long.
        per: divide the times by this (e.g. the number of ops in one call) to get seconds
            per op, per node or per step.

    >>> c = compare(lambda: sum(range(200)), lambda: sum(range(100)), rounds=3,
    ...             min_seconds=0.0)
    >>> c.rounds, c.ratio > 0
    (3, True)
    """
    if rounds < 1:
        raise ValueError(f"rounds must be at least 1, got {rounds}")
    if per <= 0:
        raise ValueError(f"per must be positive, got {per}")
    engine_number = calibrate(engine_fn, min_seconds)
    numpy_number = calibrate(numpy_fn, min_seconds)
    engine_times, numpy_times = [], []
    for round_index in range(rounds):
        if round_index % 2 == 0:
            engine_times.append(time_once(engine_fn, engine_number))
            numpy_times.append(time_once(numpy_fn, numpy_number))
        else:
            numpy_times.append(time_once(numpy_fn, numpy_number))
            engine_times.append(time_once(engine_fn, engine_number))
    return summarize(engine_times, numpy_times, per=per)


def compare_many(fns: dict[str, Callable[[], object]], reference: str, *, rounds: int = 7,
                 min_seconds: float = 0.02, per: float = 1.0) -> dict[str, Comparison]:
    """Time several implementations in interleaved rounds; each against ``reference``.

    Every round times each function once, starting at a different one each round, so a
    slow phase of the machine hits all of them alike. The result maps each name (other than
    ``reference``) to a :class:`Comparison` whose ``engine`` is that implementation and
    whose ``numpy`` is the reference, with the paired per-round ratios.

    >>> out = compare_many({"a": lambda: sum(range(200)), "b": lambda: sum(range(100))},
    ...                    "b", rounds=3, min_seconds=0.0)
    >>> sorted(out), out["a"].rounds
    (['a'], 3)
    """
    if reference not in fns:
        raise ValueError(f"reference {reference!r} is not among {sorted(fns)}")
    if rounds < 1:
        raise ValueError(f"rounds must be at least 1, got {rounds}")
    if per <= 0:
        raise ValueError(f"per must be positive, got {per}")
    times = interleaved_times(fns, rounds=rounds, min_seconds=min_seconds)
    return {name: summarize(times[name], times[reference], per=per)
            for name in fns if name != reference}


def interleaved_times(fns: dict[str, Callable[[], object]], *, rounds: int = 7,
                      min_seconds: float = 0.02) -> dict[str, list[float]]:
    """Seconds per call of each function in every round (rounds start at a different one).

    >>> times = interleaved_times({"a": lambda: None, "b": lambda: None}, rounds=2,
    ...                           min_seconds=0.0)
    >>> [len(t) for t in times.values()]
    [2, 2]
    """
    names = list(fns)
    numbers = {name: calibrate(fns[name], min_seconds) for name in names}
    times: dict[str, list[float]] = {name: [] for name in names}
    for round_index in range(rounds):
        shift = round_index % len(names)
        for name in names[shift:] + names[:shift]:
            times[name].append(time_once(fns[name], numbers[name]))
    return times


def summarize(engine_times, numpy_times, per: float = 1.0) -> Comparison:
    """Medians and the paired-ratio statistics of matching lists of timings.

    >>> summarize([2.0, 4.0, 3.0], [1.0, 1.0, 1.0]).ratio
    3.0
    """
    if len(engine_times) != len(numpy_times) or not engine_times:
        raise ValueError(
            f"need the same, non-zero number of engine and numpy timings, got "
            f"{len(engine_times)} and {len(numpy_times)}"
        )
    ratios = [e / n for e, n in zip(engine_times, numpy_times)]
    return Comparison(
        engine=statistics.median(engine_times) / per,
        numpy=statistics.median(numpy_times) / per,
        ratio=statistics.median(ratios),
        ratio_low=min(ratios),
        ratio_high=max(ratios),
        rounds=len(ratios),
    )


def median_time(fn: Callable[[], object], *, rounds: int = 7, min_seconds: float = 0.02,
                per: float = 1.0) -> float:
    """Median seconds per call (divided by ``per``) of one function on its own.

    >>> median_time(lambda: sum(range(100)), rounds=3, min_seconds=0.0) > 0
    True
    """
    if rounds < 1:
        raise ValueError(f"rounds must be at least 1, got {rounds}")
    number = calibrate(fn, min_seconds)
    return statistics.median(time_once(fn, number) for _ in range(rounds)) / per
