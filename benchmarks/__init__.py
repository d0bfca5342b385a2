"""The tinygrad_lr benchmark suite: each workload against a hand-written numpy version.

Every workload runs the engine and a numpy implementation of the same computation (with
gradients derived by hand) in the same process, interleaved round by round, and reports the
median time of each and the median of the per-round ratios (engine / numpy). Ratios hold on
noisy machines; absolute times do not. Memory workloads run in fresh subprocesses.

Run everything with ``make bench`` (or ``python -m benchmarks``); see ``docs/performance.md``.
"""
