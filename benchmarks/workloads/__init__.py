"""The workloads W1-W6; each module has a ``measure(scale) -> list[Row]`` function."""
