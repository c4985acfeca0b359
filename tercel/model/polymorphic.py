"""Polymorphic fields: a YAML map validated as the registered class its `type` names.

`AnyTask` (in `tercel.model.task`) does this for tasks; `typed_field` builds the same for
triggers, conditions and task runners. Errors keep pydantic's locations, and an unknown
type raises the ``unknown_type`` error the loader turns into a "did you mean" hint.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ValidationInfo, ValidatorFunctionWrapHandler, WrapValidator
from pydantic_core import PydanticCustomError

from tercel.model.registry import Category, registry


def dispatch(
    category: Category, noun: str
) -> Callable[[Any, ValidatorFunctionWrapHandler, ValidationInfo], Any]:
    """A wrap-validator function resolving `type` in the registry for `category`."""

    def validate(value: Any, handler: ValidatorFunctionWrapHandler, info: ValidationInfo) -> Any:
        if isinstance(value, BaseModel):
            return value
        if not isinstance(value, dict):
            raise PydanticCustomError(
                f"{category.value}_not_a_map",
                "a {noun} must be a map with a `type`",
                {"noun": noun},
            )
        type_name = value.get("type")
        if not isinstance(type_name, str):
            raise PydanticCustomError(
                "missing_property", "missing required property `{name}`", {"name": "type"}
            )
        found = registry.get(type_name)
        if found is None or found.category is not category:
            raise PydanticCustomError(
                "unknown_type",
                "unknown {noun} type `{type_name}`",
                {"type_name": type_name, "category": category.value, "noun": noun},
            )
        data = dict(value)
        # Legacy aliases resolve to the canonical name, as Kestra does at parse time.
        data["type"] = found.name
        return found.cls.model_validate(data, context=info.context)

    return validate


def typed_field(category: Category, noun: str) -> WrapValidator:
    """The `WrapValidator` to put in ``Annotated[Base, ...]`` for a polymorphic field."""
    return WrapValidator(dispatch(category, noun))
