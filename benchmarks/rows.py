"""One line of the results table, shared by the workloads and the report."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from .targets import TARGETS
from .timing import Comparison


@dataclass
class Row:
    """One measured figure: the engine against numpy on one workload case.

    Attributes:
        workload: "W1" ... "W6".
        case: what was run, e.g. "float64, with-logits BCE".
        metric: what the numbers are, e.g. "time per step" or "extra peak memory".
        kind: "time" (seconds), "bytes" or "info" (a figure with no numpy counterpart).
        engine, numpy: the medians (seconds or bytes); None where a side does not apply.
        ratio: engine / numpy (median of per-round ratios for times).
        ratio_low, ratio_high: the spread of the per-round ratios.
        rounds: how many paired rounds were timed.
        target_key: the key of the project's target for this row in
            :data:`benchmarks.targets.TARGETS`, if it has one.
        note: anything a reader needs to interpret the row.
        details: extra figures for the JSON only (per-phase times, sizes ...).
        others: other implementations timed in the same rounds (``"compiled"``,
            ``"pytorch"``, ``"jax"``): name -> {"seconds", "ratio", "low", "high"}, each
            ratio to the same numpy runs.
    """

    workload: str
    case: str
    metric: str
    kind: str = "time"
    engine: float | None = None
    numpy: float | None = None
    ratio: float | None = None
    ratio_low: float | None = None
    ratio_high: float | None = None
    rounds: int | None = None
    target_key: str | None = None
    note: str = ""
    details: dict = field(default_factory=dict)
    others: dict = field(default_factory=dict)

    @classmethod
    def from_comparison(cls, workload: str, case: str, metric: str, result: Comparison,
                        target_key: str | None = None, note: str = "", **details) -> Row:
        """A timing row from a :class:`~benchmarks.timing.Comparison`."""
        return cls(workload=workload, case=case, metric=metric, kind="time",
                   engine=result.engine, numpy=result.numpy, ratio=result.ratio,
                   ratio_low=result.ratio_low, ratio_high=result.ratio_high,
                   rounds=result.rounds, target_key=target_key, note=note, details=details)

    def add_other(self, name: str, result: Comparison) -> Row:
        """Record another implementation measured against the same numpy runs."""
        self.others[name] = {"seconds": result.engine, "ratio": result.ratio,
                             "low": result.ratio_low, "high": result.ratio_high}
        return self

    @property
    def target(self) -> float | None:
        """The largest ratio the project aims for, or None."""
        return None if self.target_key is None else TARGETS[self.target_key].target

    @property
    def status(self) -> str:
        """"met", "not met" or "" (no target)."""
        if self.target is None or self.ratio is None:
            return ""
        return "met" if self.ratio <= self.target else "not met"

    def to_dict(self) -> dict:
        """A JSON-ready dict (the status included)."""
        data = asdict(self)
        data["target"] = self.target
        data["status"] = self.status
        return data
