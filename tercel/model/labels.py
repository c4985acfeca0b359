"""Labels: a map ``{k: v}`` or a list ``[{key, value}]`` in YAML, a ``dict[str, str]`` here."""

from __future__ import annotations

from typing import Annotated, Any, NotRequired

from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError
from typing_extensions import TypedDict

#: The only `system.` label a flow may set itself.
ALLOWED_SYSTEM_LABELS = frozenset({"system.readOnly"})


def label_text(value: Any) -> str:
    """Stringify a label value as Kestra does (``42`` → ``"42"``, ``true`` → ``"true"``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(value)
    return str(value)


def normalize_labels(value: Any) -> Any:
    """Accept both label forms; anything else is left for pydantic to reject."""
    if value is None:
        return {}
    if isinstance(value, dict):
        return {str(key): label_text(item) for key, item in value.items()}
    if isinstance(value, list):
        labels: dict[str, str] = {}
        for item in value:
            if not isinstance(item, dict) or "key" not in item or set(item) - {"key", "value"}:
                raise PydanticCustomError(
                    "label_shape", "a label in a list must be a map `{key: ..., value: ...}`"
                )
            labels[str(item["key"])] = label_text(item.get("value"))
        return labels
    return value


def is_forbidden_system_label(key: str) -> bool:
    """Whether a user may not set `key` (a `system.` label other than `system.readOnly`)."""
    return key.startswith("system.") and key not in ALLOWED_SYSTEM_LABELS


class LabelItem(TypedDict):
    """One label in the list form: ``{key: team, value: data}``."""

    key: str
    value: NotRequired[str | int | float | bool | None]


#: Labels as the model keeps them; the JSON Schema shows both YAML forms.
LabelsField = Annotated[
    dict[str, str],
    BeforeValidator(
        normalize_labels,
        json_schema_input_type=dict[str, str | int | float | bool | None] | list[LabelItem],
    ),
]
