"""Strict undefined values whose errors name what is missing, as Kestra's messages do."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jinja2 import StrictUndefined, Undefined
from jinja2.exceptions import UndefinedError


class MissingVariableError(UndefinedError):
    """Jinja's undefined error, carrying the name Kestra's message shows."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name


class KestraUndefined(StrictUndefined):
    """Strict undefined whose error names the missing variable or key."""

    __slots__ = ()

    def _fail_with_undefined_error(self, *args: Any, **kwargs: Any) -> Any:
        if self._undefined_exception is not UndefinedError or self._undefined_hint:
            # Sandbox refusals and explicit hints keep their own message and type.
            raise self._undefined_exception(self._undefined_message)
        name = str(self._undefined_name) if self._undefined_name is not None else "?"
        raise MissingVariableError(name, self._undefined_message)


# Jinja binds its dunder methods to the base implementation at class creation; rebind them
# so every failing operation (print, iterate, compare, call...) raises the named error.
for _name in dir(StrictUndefined):
    if getattr(StrictUndefined, _name, None) is StrictUndefined._fail_with_undefined_error:
        setattr(KestraUndefined, _name, KestraUndefined._fail_with_undefined_error)


def fail_on_undefined(args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> None:
    """Strict mode: passing an undefined value to a function or filter is an error."""
    for value in args:
        if isinstance(value, Undefined):
            value._fail_with_undefined_error()
    for value in kwargs.values():
        if isinstance(value, Undefined):
            value._fail_with_undefined_error()
