"""The estimator conventions of scikit-learn, without depending on scikit-learn.

``__init__`` stores its keyword arguments unchanged; ``get_params``/``set_params`` read and
write them, which is all ``sklearn.base.clone``, ``Pipeline`` and ``GridSearchCV`` need.
"""

from __future__ import annotations

import inspect


class BaseEstimator:
    """Mixin giving ``get_params``, ``set_params`` and a repr listing non-default settings."""

    @classmethod
    def _param_names(cls) -> list[str]:
        signature = inspect.signature(cls.__init__)
        return sorted(
            p.name for p in signature.parameters.values()
            if p.name != "self" and p.kind is not p.VAR_KEYWORD
        )

    def get_params(self, deep: bool = True) -> dict:
        """The hyper-parameters, as passed to ``__init__`` (``deep`` is accepted for
        scikit-learn compatibility; these estimators contain no sub-estimators)."""
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params):
        """Set hyper-parameters by name and return ``self``; checked when ``fit`` runs."""
        valid = self._param_names()
        for name, value in params.items():
            if name not in valid:
                raise ValueError(
                    f"invalid parameter {name!r} for {type(self).__name__}; valid parameters "
                    f"are {valid}"
                )
            setattr(self, name, value)
        return self

    def __repr__(self) -> str:
        defaults = {
            p.name: p.default for p in inspect.signature(type(self).__init__).parameters.values()
        }
        changed = []
        for name, value in self.get_params().items():
            default = defaults.get(name, inspect.Parameter.empty)
            try:
                same = value is default or bool(value == default)
            except Exception:  # e.g. arrays: show them
                same = False
            if not same:
                changed.append(f"{name}={value!r}")
        return f"{type(self).__name__}({', '.join(changed)})"
