"""The estimator conventions of scikit-learn, without depending on scikit-learn.

``__init__`` stores its keyword arguments unchanged; ``get_params``/``set_params`` read and
write them, which is all ``sklearn.base.clone``, ``Pipeline`` and ``GridSearchCV`` need.
"""

from __future__ import annotations

import functools
import inspect
import types
from collections.abc import Callable
from typing import Any


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


class available_if:
    """Decorate a method that exists only when ``check(estimator)`` allows: accessing it
    otherwise raises the ``AttributeError`` the check raises (so ``hasattr`` is False), as
    scikit-learn's ``sklearn.utils.metaestimators.available_if`` does (scikit-learn is
    optional here, so this is the same idea in a few lines).

    >>> class Model:
    ...     streaming = False
    ...     def _can(self):
    ...         if not self.streaming:
    ...             raise AttributeError("not streaming")
    ...         return True
    ...     @available_if(_can)
    ...     def step(self):
    ...         "One step."
    ...         return "stepped"
    >>> model = Model()
    >>> hasattr(model, "step"), Model.step.__doc__
    (False, 'One step.')
    >>> model.streaming = True
    >>> model.step()
    'stepped'
    """

    def __init__(self, check: Callable[[Any], object]) -> None:
        self.check = check
        self.method: Callable[..., Any] | None = None

    def __call__(self, method: Callable[..., Any]) -> available_if:
        self.method = method
        functools.update_wrapper(self, method)
        return self

    def __get__(self, instance: object, owner: type | None = None) -> Any:
        if instance is None:
            return self.method  # on the class: the plain function (docs, introspection)
        if not self.check(instance):
            raise AttributeError(f"{type(instance).__name__} has no {self.__name__!r} here")
        return types.MethodType(self.method, instance)
