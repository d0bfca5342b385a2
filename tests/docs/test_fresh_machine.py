"""The machine `.ci/run` asks for is the one the tests see.

`.ci/run` runs `make test` twice and names the phase in ``TINYGRAD_LR_CI_PHASE``: "full"
(Graphviz and Chromium installed) and "newcomer" (neither on PATH, as on a fresh machine
with only Python and pip). Without that variable (a developer's own run) there is nothing
to check.
"""

import os
import shutil

import pytest

from tinygrad_lr import viz

PHASE = os.environ.get("TINYGRAD_LR_CI_PHASE")


def test_the_machine_is_the_one_this_ci_phase_asks_for():
    if PHASE is None:
        pytest.skip("TINYGRAD_LR_CI_PHASE is not set (only .ci/run sets it)")
    found = {name: shutil.which(name) for name in ("dot", "chromium", "chromium-browser")}
    if PHASE == "newcomer":
        assert all(path is None for path in found.values()), f"still on PATH: {found}"
        assert "dot" not in viz.renderers()
        for needed in ("python3", "make", "git"):
            assert shutil.which(needed), f"the newcomer's PATH lost {needed}"
    elif PHASE == "full":
        assert found["dot"] and (found["chromium"] or found["chromium-browser"]), found
        assert "dot" in viz.renderers()
    else:
        pytest.fail(f"TINYGRAD_LR_CI_PHASE={PHASE!r}: expected 'full' or 'newcomer'")
