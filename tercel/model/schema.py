"""JSON Schema (draft-07) of flows, built from the type registry, for editors.

Every registered task, trigger, condition and task-runner class contributes its pydantic
schema, with `type` as a constant (canonical name or legacy alias); polymorphic fields
(`tasks`, `triggers`, `conditions`, `inputs`) select the type's schema by `type` (see
`_union`: an ``if``/``then`` per type rather than an `anyOf`, for speed).
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import core_schema

from tercel.model.field_docs import field_docs
from tercel.model.flow import Flow
from tercel.model.inputs import INPUT_CLASSES
from tercel.model.registry import Category, PluginInfo, registry

SCHEMA_DIALECT = "http://json-schema.org/draft-07/schema#"

#: Base classes whose references mean "any type of this category".
_UNIONS = {
    "Task": "task",
    "Trigger": "trigger",
    "Condition": "condition",
    "Input": "input",
    "TaskRunner": "task_runner",
}
_CATEGORY_UNION = {
    Category.TASK: "task",
    Category.TRIGGER: "trigger",
    Category.CONDITION: "condition",
    Category.TASK_RUNNER: "task_runner",
}


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name)


def _rewrite(node: Any, renames: dict[str, str]) -> Any:
    """Point `$ref`s at the merged `definitions`, and base classes at the unions."""
    if isinstance(node, dict):
        result: dict[str, Any] = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith("#/$defs/"):
                name = value[len("#/$defs/") :]
                target = _UNIONS.get(name) or renames.get(name, name)
                result[key] = f"#/definitions/{target}"
            else:
                result[key] = _rewrite(value, renames)
        return result
    if isinstance(node, list):
        return [_rewrite(item, renames) for item in node]
    return node


class _KestraJsonSchema(GenerateJsonSchema):
    """pydantic's schema, told that a string property also takes a YAML number."""

    def str_schema(self, schema: core_schema.StringSchema) -> JsonSchemaValue:
        """`KestraModel` coerces numbers to strings, as Jackson does (`id: 1`, `value: 42`)."""
        result = super().str_schema(schema)
        result["type"] = ["string", "number"]
        return result


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema`, or null: the loader reads a plugin's `key: null` as "not set", like Kestra."""
    members = schema.get("anyOf", [])
    if schema.get("type") == "null" or any(m.get("type") == "null" for m in members):
        return schema
    outer = {key: schema.pop(key) for key in ("title", "description", "default") if key in schema}
    return {**outer, "anyOf": [schema, {"type": "null"}]}


def _model_schema(cls: type[BaseModel], prefix: str, definitions: dict[str, Any]) -> dict[str, Any]:
    """`cls`'s schema with its `$defs` merged into `definitions` under `prefix`."""
    raw = cls.model_json_schema(
        by_alias=True, mode="validation", schema_generator=_KestraJsonSchema
    )
    local = raw.pop("$defs", {})
    renames = {name: f"{prefix}.{name}" for name in local if name not in _UNIONS}
    for name, schema in local.items():
        if name in _UNIONS:
            continue
        definitions[renames[name]] = _rewrite(schema, renames)
    return dict(_rewrite(raw, renames))


def _describe(cls: type[BaseModel], schema: dict[str, Any]) -> dict[str, Any]:
    """Add the ``#:`` comments of `cls`'s fields as property descriptions."""
    docs = field_docs(cls)
    properties = schema.get("properties", {})
    for name, field in cls.model_fields.items():
        found = properties.get(field.alias or name)
        if isinstance(found, dict) and name in docs and "description" not in found:
            found["description"] = docs[name]
    return schema


def _plugin_schema(info: PluginInfo, definitions: dict[str, Any]) -> dict[str, Any]:
    schema = _describe(info.cls, _model_schema(info.cls, _safe(info.name), definitions))
    properties = schema.setdefault("properties", {})
    names = [info.name, *info.aliases]
    type_schema: dict[str, Any] = (
        {"const": info.name, "description": f"`{info.name}`"}
        if len(names) == 1
        else {"enum": names, "description": f"`{info.name}` (or a legacy alias)"}
    )
    required = schema.setdefault("required", [])
    for name, found in properties.items():
        if name not in required and isinstance(found, dict):
            properties[name] = _nullable(found)
    properties["type"] = type_schema
    if "type" not in required:
        required.insert(0, "type")
    schema["title"] = info.name
    return schema


def _type_names(definition: dict[str, Any]) -> list[str]:
    declared = definition.get("properties", {}).get("type", {})
    if "const" in declared:
        return [declared["const"]]
    return list(declared.get("enum", []))


def _union(keys: list[str], definitions: dict[str, Any]) -> dict[str, Any]:
    """ "One of these types", selected by `type`.

    An `anyOf` across ~100 types makes validators try every type at every nesting level
    (exponential in the depth of nested tasks); `if type is X then X` is linear and still
    gives editors the list of type names and each type's properties.
    """
    if not keys:
        return {"type": "object"}
    names = [name for key in keys for name in _type_names(definitions[key])]
    return {
        "type": "object",
        "required": ["type"],
        "properties": {"type": {"enum": names}},
        "allOf": [
            {
                "if": {
                    "properties": {"type": {"enum": _type_names(definitions[key])}},
                    "required": ["type"],
                },
                "then": {"$ref": f"#/definitions/{key}"},
            }
            for key in keys
        ],
    }


def flow_schema() -> dict[str, Any]:
    """The complete JSON Schema of a flow document."""
    definitions: dict[str, Any] = {}
    unions: dict[str, list[str]] = {name: [] for name in _CATEGORY_UNION.values()}
    unions["input"] = []
    for info in sorted(registry, key=lambda found: found.name):
        key = _safe(info.name)
        try:
            definitions[key] = _plugin_schema(info, definitions)
        except Exception:  # noqa: BLE001, S112 - one odd plugin must not break the schema
            continue
        unions[_CATEGORY_UNION[info.category]].append(key)
    for type_name, cls in sorted(INPUT_CLASSES.items()):
        key = f"input.{type_name}"
        schema = _describe(cls, _model_schema(cls, key, definitions))
        schema.setdefault("properties", {})["type"] = {"const": type_name}
        definitions[key] = schema
        unions["input"].append(key)
    for name, members in unions.items():
        definitions[name] = _union(members, definitions)
    root = _describe(Flow, _model_schema(Flow, "flow", definitions))
    root.pop("title", None)
    return {
        "$schema": SCHEMA_DIALECT,
        "title": "Tercel flow (Kestra-compatible YAML)",
        **root,
        "definitions": definitions,
    }


def flow_schema_json(indent: int | None = 2) -> str:
    """`flow_schema()` as JSON text."""
    return json.dumps(flow_schema(), indent=indent, sort_keys=False)
