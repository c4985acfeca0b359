"""The base of every model read from YAML: strict, camelCase on the wire, snake_case in Python."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class KestraModel(BaseModel):
    """A strict model: unknown properties are errors, as in Kestra.

    Python attributes are snake_case; the YAML/JSON names are Kestra's camelCase
    (`allowFailure`, `concurrencyLimit`). Keywords get a trailing underscore and an
    explicit alias (`else_` ↔ `else`, `finally_` ↔ `finally`).
    """

    model_config = ConfigDict(
        extra="forbid",
        alias_generator=to_camel,
        populate_by_name=True,
        validate_default=False,
        use_enum_values=False,
        protected_namespaces=(),
        # Jackson reads `id: 1` or `message: 42` into a String property: so do we.
        coerce_numbers_to_str=True,
    )

    def to_wire(self) -> dict[str, object]:
        """Dump as Kestra's JSON: camelCase keys, unset optional fields left out."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)
