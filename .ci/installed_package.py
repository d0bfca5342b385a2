"""Run by .ci/run's artifact phase in the user's venv, outside the checkout: the package
imported is the installed wheel, and its three statements of the version agree.

Usage: python installed_package.py "$(tinygrad-lr --version)"
"""

import importlib.metadata
import sys
from pathlib import Path

import tinygrad_lr

location = Path(tinygrad_lr.__file__)
assert "site-packages" in location.parts, f"imported from {location}, not the installed wheel"
version = tinygrad_lr.__version__
assert importlib.metadata.version("tinygrad-lr") == version, importlib.metadata.version
assert sys.argv[1] == f"tinygrad-lr {version}", sys.argv[1]
assert (location.parent / "py.typed").is_file()
print(f"installed tinygrad-lr {version} at {location.parent}")
