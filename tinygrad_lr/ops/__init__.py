"""The built-in ops. Each module registers its ops through the public registry on import,
exactly as a user's op would."""

from . import arithmetic, elementwise, linalg, losses, reductions, shape, softmax  # noqa: F401
