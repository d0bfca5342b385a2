"""Running test work in several threads at once (the tests of per-thread state use it)."""

from __future__ import annotations

import threading


def run_together(*targets) -> None:
    """Run each target in its own thread, started together; re-raise the first failure."""
    start = threading.Barrier(len(targets))
    failures = []

    def runner(target):
        start.wait()
        try:
            target()
        except BaseException as error:  # noqa: BLE001 - reported to the main thread below
            failures.append(error)

    threads = [threading.Thread(target=runner, args=(t,)) for t in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]
