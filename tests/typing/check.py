"""Type-check what a user's editor checks: examples/, the README's Python blocks and
tests/typing/user_script.py, with pyright (basic mode, the basedpyright distribution,
which ships its own Node runtime) and mypy. Prints each tool's summary; exits 1 if either
reports an error. Run by ``make typecheck`` (part of ``make test``).

Usage: python tests/typing/check.py [--report]   (--report: counts only, exit 0)
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FENCE = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def readme_blocks(folder: Path) -> list[Path]:
    """Each ```python block of README.md as its own module in ``folder``."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    paths = []
    for number, block in enumerate(FENCE.findall(text), 1):
        path = folder / f"readme_block_{number}.py"
        path.write_text(block, encoding="utf-8")
        paths.append(path)
    return paths


def run(command: list[str], cwd: Path) -> tuple[int, str]:
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    return result.returncode, (result.stdout + result.stderr).strip()


def main(argv: list[str]) -> int:
    report_only = "--report" in argv
    bin_dir = Path(sys.executable).parent
    pyright = shutil.which("basedpyright", path=str(bin_dir)) or shutil.which("basedpyright")
    if pyright is None:
        sys.exit("basedpyright is not installed (pip install --group lint)")
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        targets = [str(p) for p in sorted((ROOT / "examples").glob("*.py"))]
        targets += [str(p) for p in readme_blocks(folder)]
        targets.append(str(ROOT / "tests" / "typing" / "user_script.py"))
        config = folder / "pyrightconfig.json"
        config.write_text('{"typeCheckingMode": "basic", "pythonVersion": "3.10", '
                          f'"extraPaths": ["{ROOT}"], "reportMissingModuleSource": false}}')
        failed = False
        code, output = run([pyright, "--project", str(config), "--pythonpath", sys.executable,
                            *targets], ROOT)
        summary = output.splitlines()[-1] if output else ""
        print("pyright (basic):", summary)
        if code != 0:
            failed = True
            print(output)
        # settings from pyproject.toml's [tool.mypy]; its cache (.mypy_cache) makes
        # later runs quick
        code, output = run([sys.executable, "-m", "mypy", *targets], ROOT)
        print("mypy:", output.splitlines()[-1] if output else "")
        if code != 0:
            failed = True
            print(output)
    return 0 if report_only or not failed else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
