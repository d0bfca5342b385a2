"""A Dask cluster run as users run one: a ``dask scheduler`` process and ``dask worker``
processes started from the command line, all on 127.0.0.1 (for the scale benchmark and the
tests of tinygrad_lr.models.distributed).

    with ProcessCluster(n_workers=2) as cluster, Client(cluster.address) as client:
        ...

Each process is started with its own command line (no nanny by default, so a killed worker
stays dead, as a lost machine would), BLAS limited to one thread per process; ``stop``
ends exactly the processes it started, by their ids (and they end themselves after
:data:`IDLE_TIMEOUT` seconds without a scheduler or without work, if nothing stops them).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HOST = "127.0.0.1"
IDLE_TIMEOUT = 600
"""Seconds after which a scheduler without work, or a worker without its scheduler, ends
itself: processes left behind by a killed benchmark or test do not stay."""


def _dask_command() -> list[str]:
    """``dask`` of this Python environment (its bin folder first, else ``python -m dask``)."""
    script = Path(sys.executable).with_name("dask")
    return [str(script)] if script.exists() else [sys.executable, "-m", "dask"]


class ProcessCluster:
    """A scheduler and ``n_workers`` single-threaded workers, each a separate process.

    ``memory_limit`` is per worker (Dask's syntax: ``"2GiB"``, or ``0`` for none);
    ``nanny=True`` restarts a killed worker, as ``dask worker`` does by default.
    """

    def __init__(self, n_workers: int = 2, *, memory_limit: str = "2GiB", nanny: bool = False,
                 timeout: float = 60.0):
        self.n_workers = n_workers
        self.memory_limit = memory_limit
        self.nanny = nanny
        self.timeout = timeout
        self.folder = Path(tempfile.mkdtemp(prefix="tinygrad-lr-cluster-"))
        self.scheduler_file = self.folder / "scheduler.json"
        self.scheduler: subprocess.Popen | None = None
        self.workers: list[subprocess.Popen] = []
        self.by_name: dict[str, subprocess.Popen] = {}
        self.address = ""

    def _env(self) -> dict:
        env = dict(os.environ)
        env.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1",
                   DASK_DISTRIBUTED__WORKER__DAEMON="False")
        # Workers unpickle functions of benchmarks/ and tests/ by reference: the repository
        # must be importable there as it is here.
        root = str(Path(__file__).resolve().parents[1])
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
        return env

    def _spawn(self, arguments: list[str], log: str) -> subprocess.Popen:
        handle = open(self.folder / log, "wb")
        try:
            return subprocess.Popen(_dask_command() + arguments, stdout=handle,
                                    stderr=subprocess.STDOUT, env=self._env(),
                                    cwd=self.folder)
        finally:
            handle.close()

    def start(self) -> ProcessCluster:
        """Start the scheduler, then the workers; return once every worker has joined."""
        self.scheduler = self._spawn(
            ["scheduler", "--host", HOST, "--port", "0", "--no-dashboard",
             "--idle-timeout", str(IDLE_TIMEOUT),
             "--scheduler-file", str(self.scheduler_file)], "scheduler.log")
        deadline = time.monotonic() + self.timeout
        while not self.scheduler_file.exists():
            self._check_alive(self.scheduler, "scheduler.log", deadline)
            time.sleep(0.1)
        time.sleep(0.1)  # the file is written whole; read it once it is
        self.address = json.loads(self.scheduler_file.read_text())["address"]
        for i in range(self.n_workers):
            self.add_worker(f"worker-{i}")
        self.wait_for_workers(self.n_workers, deadline)
        return self

    def add_worker(self, name: str) -> subprocess.Popen:
        """Start one more worker process named ``name`` (it joins asynchronously)."""
        worker = self._spawn(
            ["worker", self.address, "--host", HOST, "--nthreads", "1", "--name", name,
             "--memory-limit", str(self.memory_limit), "--no-dashboard",
             "--death-timeout", str(IDLE_TIMEOUT),
             "--local-directory", str(self.folder / name),
             "--nanny" if self.nanny else "--no-nanny"], f"{name}.log")
        self.workers.append(worker)
        self.by_name[name] = worker
        return worker

    def wait_for_workers(self, count: int, deadline: float | None = None) -> None:
        """Wait until ``count`` workers are connected to the scheduler."""
        from distributed import Client

        deadline = deadline or time.monotonic() + self.timeout
        with Client(self.address, timeout=self.timeout) as client:
            while len(client.scheduler_info(n_workers=-1)["workers"]) < count:
                if time.monotonic() > deadline:
                    logs = {path.name: path.read_text(errors="replace")[-1000:]
                            for path in sorted(self.folder.glob("*.log"))}
                    raise RuntimeError(f"fewer than {count} Dask workers joined in "
                                       f"{self.timeout:.0f} s; their logs: {logs}")
                time.sleep(0.1)

    def _check_alive(self, process: subprocess.Popen, log: str, deadline: float) -> None:
        if process.poll() is not None or time.monotonic() > deadline:
            text = (self.folder / log).read_text(errors="replace")[-2000:]
            self.stop()
            raise RuntimeError(f"the Dask {log[:-4]} did not start:\n{text}")

    def stop(self) -> None:
        """End the processes this cluster started (workers first), and remove its folder."""
        for process in [*self.workers, self.scheduler]:
            if process is not None and process.poll() is None:
                process.terminate()
        for process in [*self.workers, self.scheduler]:
            if process is not None:
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> ProcessCluster:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
