"""Memory measurements: resident set size now and at its peak, read from the kernel.

Peak figures only mean something in a fresh process, so the memory workloads run each
measurement in a subprocess (:func:`run_subprocess`) that prints one JSON line.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")
_REPO_ROOT = Path(__file__).resolve().parents[1]


def _status_kib(field: str) -> int | None:
    try:
        for line in _STATUS.read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def current_rss() -> int:
    """Resident set size of this process now, in bytes (Linux ``VmRSS``).

    >>> current_rss() > 0
    True
    """
    kib = _status_kib("VmRSS")
    if kib is None:
        raise RuntimeError("current RSS needs /proc/self/status (Linux)")
    return kib * 1024


def peak_rss() -> int:
    """Peak resident set size of this process so far, in bytes (``VmHWM``).

    Falls back to ``resource.getrusage`` where ``/proc`` is missing.

    >>> peak_rss() > 0
    True
    """
    kib = _status_kib("VmHWM")
    if kib is None:
        kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kib * 1024


def reset_peak() -> bool:
    """Set the peak RSS back to the current RSS; False if the kernel does not allow it.

    Lets a measurement ignore the peak of its own set-up (e.g. generating the data).
    """
    try:
        _CLEAR_REFS.write_text("5")
    except OSError:
        return False
    return True


def run_subprocess(module: str, *args: str, timeout: float = 600.0) -> dict:
    """Run ``python -m <module> <args>`` in a fresh interpreter and parse its JSON line.

    The child inherits this environment unchanged (OpenBLAS settings included), so the
    engine and numpy are measured under the same conditions.
    """
    command = [sys.executable, "-m", module, *args]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(_REPO_ROOT), env.get("PYTHONPATH")]))
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env,
                          cwd=_REPO_ROOT)
    if done.returncode != 0:
        raise RuntimeError(
            f"benchmark subprocess {' '.join(command[2:])} failed with exit code "
            f"{done.returncode}:\n{done.stderr.strip()}"
        )
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise RuntimeError(f"benchmark subprocess {' '.join(command[2:])} printed no JSON result")
    return json.loads(lines[-1])


def cpu_snapshot() -> tuple[float, float] | None:
    """(CPU seconds the whole machine has been busy, CPU seconds of this process and its
    waited-for children), or None where ``/proc/stat`` is missing.

    Two snapshots tell how much of the machine other programs used in between
    (:func:`other_load`): a run with other load is less trustworthy.
    """
    try:
        first = Path("/proc/stat").read_text().splitlines()[0].split()
    except (OSError, IndexError):
        return None
    ticks = [int(v) for v in first[1:]]
    idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)  # idle + iowait
    times = os.times()
    own = times.user + times.system + times.children_user + times.children_system
    return (sum(ticks) - idle) / os.sysconf("SC_CLK_TCK"), own


def other_load(start, end, seconds: float) -> float | None:
    """Average number of cores that other programs kept busy between two snapshots.

    >>> other_load((10.0, 4.0), (13.0, 6.0), 2.0)
    0.5
    """
    if start is None or end is None or seconds <= 0:
        return None
    return max(0.0, ((end[0] - start[0]) - (end[1] - start[1])) / seconds)
