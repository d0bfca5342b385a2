"""What type checkers see: the checked-in stub of the registry's methods and functions is
current, and the typed user script that ``make typecheck`` checks also runs.

``make typecheck`` (part of ``make test``) runs pyright and mypy on examples/, the README's
code and tests/typing/user_script.py; these tests keep what it checks honest."""

from __future__ import annotations

import math
import runpy
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _stub_check(prelude: str = "") -> subprocess.CompletedProcess:
    code = textwrap.dedent(prelude) + "\nimport sys\nfrom tinygrad_lr import _stubgen\n" \
        "sys.exit(_stubgen.main(['--check']))\n"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT)


def test_the_stub_matches_the_registry():
    result = _stub_check()
    assert result.returncode == 0, result.stderr


def test_the_check_fails_when_the_stub_falls_behind_the_registry():
    behind = _stub_check("""
        import numpy as np
        import tinygrad_lr as tg

        @tg.op("stub_test_op", method=True)
        class stub_test_op:
            @staticmethod
            def forward(x):
                return np.negative(x)

            @staticmethod
            def backward(grad, out, x):
                return -grad
    """)
    assert behind.returncode == 1
    assert "out of date with the op registry; run 'make stubs'" in behind.stderr


def test_the_typed_user_script_runs():
    namespace = runpy.run_path(str(ROOT / "tests" / "typing" / "user_script.py"))
    total = namespace["main"]()
    assert isinstance(total, float) and math.isfinite(total)
