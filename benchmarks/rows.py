"""One line of the results table, shared by the workloads and the report."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from .targets import TARGETS
from .timing import Comparison

PEER_NAMES = {"pytorch": "PyTorch eager", "jax": "jax.jit", "compiled": "compiled"}
"""How the results name each implementation other than the eager engine."""


@dataclass
class Row:
    """One measured figure: the engine against numpy on one workload case.

    Attributes:
        workload: "W1" ... "W6".
        case: what was run, e.g. "float64, with-logits BCE".
        metric: what the numbers are, e.g. "time per step" or "extra peak memory".
        kind: "time" (seconds), "bytes", "scalar" (a plain number such as a growth
            exponent or a ratio of two engine modes), "info" (a figure with no numpy
            counterpart) or "skip".
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
        """The largest ratio (or plain value) the project aims for, or None."""
        return None if self.target_key is None else TARGETS[self.target_key].target

    @property
    def value(self) -> float | None:
        """The figure the target refers to: the ratio, or a scalar row's own value."""
        if self.ratio is None and self.kind == "scalar":
            return self.engine
        return self.ratio

    def _peer_to_beat(self) -> tuple[str, float] | None:
        """(peer, its ratio in the same rounds) when the target says to beat it."""
        peer = None if self.target_key is None else TARGETS[self.target_key].below
        if peer is None or peer not in self.others:
            return None
        return peer, self.others[peer]["ratio"]

    @property
    def status(self) -> str:
        """"met", "not met" or "" (no target); a target that names a peer to beat is met
        only below that peer's ratio measured in the same rounds."""
        if self.target is None or self.value is None:
            return ""
        met = self.value <= self.target
        beaten = self._peer_to_beat()
        if beaten is not None:
            met = met and self.value < beaten[1]
        return "met" if met else "not met"

    def verdict(self) -> str:
        """The status with its margin, e.g. ``not met, by 0.70x (target ≤ 2x)``.

        >>> Row("W2", "c", "m", ratio=2.7, target_key="W2").verdict()
        'not met, by 0.70x (target ≤ 2x)'
        >>> Row("W5", "c", "m", kind="bytes", ratio=1.0, target_key="W5").verdict()
        'met, 0.30x to spare (target ≤ 1.3x)'
        """
        if not self.status:
            return ""
        unit = TARGETS[self.target_key].unit
        gap = self.value - self.target
        target = f"(target ≤ {self.target:g}{unit})"
        text = (f"by {gap:.2f}{unit} {target}" if gap > 0
                else f"{-gap:.2f}{unit} to spare {target}")
        beaten = self._peer_to_beat()
        if beaten is not None:
            peer, ratio = beaten
            text += (f"; {'below' if self.value < ratio else 'not below'} "
                     f"{PEER_NAMES.get(peer, peer)} ({ratio:.2f}x)")
        # "not met: ... to spare" when only the peer to beat is missed
        separator = ":" if self.status == "not met" and gap <= 0 else ","
        return f"{self.status}{separator} {text}"

    def to_dict(self) -> dict:
        """A JSON-ready dict (the status included)."""
        data = asdict(self)
        data["target"] = self.target
        data["status"] = self.status
        return data
