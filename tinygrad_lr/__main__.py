"""``python -m tinygrad_lr`` runs the ``tinygrad-lr`` command line."""

import sys

from .cli import main

sys.exit(main())
