"""Flow inputs (Kestra §2): one model per input `type`, with its validation properties.

Values given at execution time are coerced by `tercel.model.input_values.resolve_inputs`;
this module only describes the declarations and checks them when the flow is loaded.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Any, ClassVar

from pydantic import (
    Field,
    SerializeAsAny,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    WrapValidator,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from tercel.model.base import KestraModel
from tercel.model.durations import parse_duration

INPUT_ID_PATTERN = r"^[a-zA-Z0-9][.a-zA-Z0-9_-]*$"


class InputType(StrEnum):
    """Every input (and flow output) type."""

    STRING = "STRING"
    ENUM = "ENUM"
    SELECT = "SELECT"
    MULTISELECT = "MULTISELECT"
    INT = "INT"
    FLOAT = "FLOAT"
    BOOLEAN = "BOOLEAN"
    BOOL = "BOOL"
    DATETIME = "DATETIME"
    DATE = "DATE"
    TIME = "TIME"
    DURATION = "DURATION"
    FILE = "FILE"
    JSON = "JSON"
    YAML = "YAML"
    URI = "URI"
    SECRET = "SECRET"  # noqa: S105 - a type name, not a password
    ARRAY = "ARRAY"
    EMAIL = "EMAIL"


class DependsOn(KestraModel):
    """Show (and resolve) an input only when other inputs allow it."""

    inputs: list[str] = Field(default_factory=list)
    condition: str | None = None


class Input(KestraModel):
    """Properties common to every input type."""

    input_type: ClassVar[InputType] = InputType.STRING

    #: Input id (`{{ inputs.<id> }}`); dots make nested maps (`a.b`).
    id: str | None = Field(default=None, pattern=INPUT_ID_PATTERN)
    #: Deprecated spelling of `id`.
    name: str | None = Field(default=None, pattern=INPUT_ID_PATTERN)
    #: STRING, INT, FLOAT, BOOLEAN, SELECT, MULTISELECT, DATETIME, DATE, TIME, DURATION,
    #: FILE, JSON, YAML, URI, SECRET, ARRAY or EMAIL.
    type: InputType
    description: str | None = None
    #: Label shown in forms (64 characters at most).
    display_name: str | None = Field(default=None, max_length=64)
    #: Whether an execution must give a value (when there are no `defaults`).
    required: bool = True
    #: Value used when none is given.
    defaults: Any = None
    #: Kestra 1.1: a suggested value a form starts with and a user may clear (not used
    #: when an execution gives no value; never together with `defaults`).
    prefill: Any = None
    #: Resolve this input only after `inputs`, and only when `condition` is true.
    depends_on: DependsOn | None = None

    @model_validator(mode="after")
    def _has_id(self) -> Input:
        if self.id is None and self.name is None:
            raise PydanticCustomError(
                "missing_property", "missing required property `{name}`", {"name": "id"}
            )
        return self

    @model_validator(mode="after")
    def _defaults_fit_the_type(self) -> Input:
        # A literal default must be a valid value: better said at load time than at the
        # first execution. Templated defaults are rendered later, so they are not judged.
        if self.defaults is not None and self.prefill is not None:
            raise PydanticCustomError(
                "defaults_and_prefill",
                "an input with `defaults` cannot also have a `prefill` (use `prefill` with "
                "`required: false` for a value users may clear)",
                {"property": "prefill"},
            )
        for name in ("defaults", "prefill"):
            value = getattr(self, name)
            if value is None or self.input_type is InputType.FILE or _templated(value):
                continue
            from tercel.errors import InputError
            from tercel.model.input_coercion import coerce_input

            try:
                coerce_input(self, value)
            except InputError as error:
                raise PydanticCustomError(
                    f"invalid_{name}", "{message}", {"message": str(error), "property": name}
                ) from None
        return self

    @property
    def key(self) -> str:
        """The input id (or its deprecated `name`)."""
        return self.id or self.name or ""


def _templated(value: Any) -> bool:
    """Whether `value` contains a template expression anywhere."""
    if isinstance(value, str):
        return "{{" in value or "{%" in value
    if isinstance(value, list):
        return any(_templated(item) for item in value)
    if isinstance(value, dict):
        return any(_templated(item) for item in value.values())
    return False


def _check_regex(value: str | None) -> str | None:
    if value is not None:
        try:
            re.compile(value)
        except re.error as error:
            raise PydanticCustomError(
                "invalid_regex",
                "invalid regular expression `{regex}`: {error}",
                {"regex": value, "error": str(error)},
            ) from None
    return value


class StringInput(Input):
    """Free text, optionally matching `validator` (whole-string regex)."""

    input_type = InputType.STRING
    validator: str | None = None

    @field_validator("validator")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        return _check_regex(value)


class SecretInput(StringInput):
    """A string stored encrypted and masked in logs."""

    input_type = InputType.SECRET


class EmailInput(Input):
    """An e-mail address."""

    input_type = InputType.EMAIL


class UriInput(Input):
    """A URI such as ``https://example.com/x``."""

    input_type = InputType.URI


class EnumInput(Input):
    """Deprecated: one of `values`."""

    input_type = InputType.ENUM
    values: list[str] = Field(min_length=1)
    validator: str | None = None


class SelectInput(Input):
    """One of `values` (or of the list rendered from `expression`)."""

    input_type = InputType.SELECT
    values: list[str] | None = None
    expression: str | None = None
    allow_custom_value: bool = False
    is_radio: bool = False
    auto_select_first: bool = False

    @model_validator(mode="after")
    def _has_values(self) -> SelectInput:
        if self.values is None and self.expression is None:
            raise PydanticCustomError(
                "select_values", "one of `values` or `expression` is required"
            )
        return self


class MultiselectInput(Input):
    """A list of items taken from `values` (alias `options`) or `expression`."""

    input_type = InputType.MULTISELECT
    values: list[str] | None = None
    options: list[str] | None = None
    expression: str | None = None
    item_type: InputType = InputType.STRING
    allow_custom_value: bool = False
    auto_select_first: bool = False

    @model_validator(mode="after")
    def _has_values(self) -> MultiselectInput:
        if self.values is None and self.options is None and self.expression is None:
            raise PydanticCustomError(
                "select_values", "one of `values`, `options` or `expression` is required"
            )
        return self


class IntInput(Input):
    """A whole number within `min`..`max` (inclusive)."""

    input_type = InputType.INT
    min: int | None = None
    max: int | None = None


class FloatInput(Input):
    """A number within `min`..`max` (inclusive)."""

    input_type = InputType.FLOAT
    min: float | None = None
    max: float | None = None


class BooleanInput(Input):
    """``true`` or ``false`` (any other string is false, as in Kestra)."""

    input_type = InputType.BOOLEAN


class BoolInput(BooleanInput):
    """The newer name of `BOOLEAN`."""

    input_type = InputType.BOOL


class _Bounded(Input):
    after: str | None = None
    before: str | None = None


class DateTimeInput(_Bounded):
    """An instant, ISO-8601 (``2019-10-06T18:27:49Z``), between `after` and `before`."""

    input_type = InputType.DATETIME


class DateInput(_Bounded):
    """A date ``2019-10-06`` between `after` and `before`."""

    input_type = InputType.DATE


class TimeInput(_Bounded):
    """A time of day ``18:27:49`` between `after` and `before`."""

    input_type = InputType.TIME


class DurationInput(Input):
    """An ISO-8601 duration (``PT5M6S``) within `min`..`max`."""

    input_type = InputType.DURATION
    min: str | None = None
    max: str | None = None

    @field_validator("min", "max")
    @classmethod
    def _duration(cls, value: str | None) -> str | None:
        if value is not None:
            parse_duration(value)
        return value


class FileInput(Input):
    """A file uploaded at execution time, stored in internal storage."""

    input_type = InputType.FILE
    extension: str | None = None

    @model_validator(mode="after")
    def _no_defaults(self) -> FileInput:
        if self.defaults is not None:
            raise PydanticCustomError(
                "file_defaults",
                "no `defaults` can be set for inputs of type 'FILE'",
                {"property": "defaults"},
            )
        return self


class JsonInput(Input):
    """Any JSON value (a string is parsed as JSON)."""

    input_type = InputType.JSON


class YamlInput(Input):
    """Any YAML value (a string is parsed as YAML)."""

    input_type = InputType.YAML


class ArrayInput(Input):
    """A list whose items are parsed as `itemType`."""

    input_type = InputType.ARRAY
    item_type: InputType

    @field_validator("item_type")
    @classmethod
    def _not_nested(cls, value: InputType) -> InputType:
        if value is InputType.ARRAY:
            raise PydanticCustomError("array_item_type", "`itemType` cannot be `ARRAY`")
        return value


INPUT_CLASSES: dict[str, type[Input]] = {
    cls.input_type.value: cls
    for cls in (
        StringInput,
        SecretInput,
        EmailInput,
        UriInput,
        EnumInput,
        SelectInput,
        MultiselectInput,
        IntInput,
        FloatInput,
        BooleanInput,
        BoolInput,
        DateTimeInput,
        DateInput,
        TimeInput,
        DurationInput,
        FileInput,
        JsonInput,
        YamlInput,
        ArrayInput,
    )
}


def input_class(type_name: str) -> type[Input] | None:
    """The model of input type `type_name` (``STRING``, ``INT``...), if it exists."""
    return INPUT_CLASSES.get(type_name)


def _dispatch_input(value: Any, handler: ValidatorFunctionWrapHandler, info: ValidationInfo) -> Any:
    """Validate a YAML map as the input class its `type` names."""
    if isinstance(value, Input):
        return value
    if not isinstance(value, dict):
        raise PydanticCustomError("input_not_a_map", "an input must be a map with `id` and `type`")
    type_name = value.get("type")
    if type_name is None:
        raise PydanticCustomError(
            "missing_property", "missing required property `{name}`", {"name": "type"}
        )
    cls = input_class(type_name) if isinstance(type_name, str) else None
    if cls is None:
        raise PydanticCustomError(
            "unknown_type",
            "unknown type `{type_name}`",
            {"type_name": str(type_name), "category": "input"},
        )
    return cls.model_validate(value, context=info.context)


AnyInput = Annotated[SerializeAsAny[Input], WrapValidator(_dispatch_input)]
