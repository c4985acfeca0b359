"""Rows to Avro records: the schema (given or inferred) and Kestra's conversion options.

`IonToAvro` and `IonToParquet` share this: a row's values are converted to what the schema
declares, so text from a CSV file (`"12"`, `"true"`, `"2024-03-01"`) becomes a long, a
boolean or a date; `trueValues`, `falseValues`, `nullValues`, `decimalSeparator` and the date
patterns say how. Without a `schema`, one is inferred from the first `numberOfRowsToScan`
rows (every field nullable). A row that cannot be converted is a bad line (`onBadLines`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from pydantic import Field

from tercel.errors import TaskError, TemplateError
from tercel.plugins.context import TaskContext
from tercel.plugins.core.storage import ion
from tercel.plugins.core.templating.properties import (
    Text,
    render_bool,
    render_enum,
    render_int,
    render_list,
    render_str,
)
from tercel.plugins.serdes.common import ConversionTask, optional_library, render_char
from tercel.templating.dateparse import parse_with_pattern
from tercel.templating.dates import zone_of

ON_BAD_LINES = ("ERROR", "WARN", "SKIP")
TRUE_VALUES = ["t", "true", "enabled", "1", "on", "yes"]
FALSE_VALUES = ["f", "false", "disabled", "0", "off", "no", ""]
NULL_VALUES = [
    "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "1.#IND", "1.#QNAN", "NA",
    "n/a", "nan", "null",
]  # fmt: skip


class BadRowError(ValueError):
    """A row that does not fit the schema."""


class AvroConverter(ConversionTask):
    """Kestra's schema and conversion properties of `IonToAvro` and `IonToParquet`."""

    avro_schema: Any = Field(
        default=None,
        alias="schema",
        description="The Avro schema (JSON); inferred from the first rows when not set.",
    )
    number_of_rows_to_scan: int | str = Field(
        default=100, description="Rows read to infer the schema."
    )
    true_values: list[str] | str | None = Field(default=None, description="Text read as true.")
    false_values: list[str] | str | None = Field(default=None, description="Text read as false.")
    null_values: list[str] | str | None = Field(default=None, description="Text read as null.")
    date_format: Text = Field(default="yyyy-MM-dd[XXX]", description="Pattern of dates.")
    time_format: Text = Field(default="HH:mm[:ss][.SSSSSS][XXX]", description="Pattern of times.")
    datetime_format: Text = Field(
        default="yyyy-MM-dd'T'HH:mm[:ss][.SSSSSS][XXX]", description="Pattern of date-times."
    )
    decimal_separator: Text = Field(default=".", description="The decimal point of numbers.")
    strict_schema: bool | str = Field(
        default=False, description="A field the schema does not declare is an error."
    )
    infer_all_fields: bool | str = Field(
        default=False, description="Accepted: inference reads every field of the scanned rows."
    )
    time_zone_id: Text | None = Field(
        default=None, description="Zone of date-times that carry none (default: UTC)."
    )
    on_bad_lines: Text = Field(
        default="ERROR", description="A row that does not fit the schema: ERROR, WARN or SKIP."
    )

    def records(self, ctx: TaskContext, source: Path) -> tuple[dict[str, Any], Iterator[Any]]:
        """The parsed schema and the rows of `source` converted to it (bad rows handled)."""
        fastavro = optional_library("fastavro", self.type)
        schema = self._schema(ctx, source)
        try:
            parsed = fastavro.parse_schema(schema)
        except Exception as error:  # noqa: BLE001 - fastavro raises several kinds
            raise TaskError(f"property `schema` is not a valid Avro schema: {error}") from None
        conversion = self._conversion(ctx)
        on_bad = render_enum(ctx, self.on_bad_lines, "onBadLines", ON_BAD_LINES)

        def rows() -> Iterator[Any]:
            for number, row in enumerate(ion.iter_rows(source), start=1):
                try:
                    yield conversion.value(row, schema)
                except BadRowError as error:
                    message = f"row {number} does not fit the schema: {error}"
                    if on_bad == "ERROR":
                        raise TaskError(message) from None
                    if on_bad == "WARN":
                        ctx.logger.warning(message)

        return parsed, rows()

    def _schema(self, ctx: TaskContext, source: Path) -> dict[str, Any]:
        rendered = ctx.render(self.avro_schema) if self.avro_schema is not None else None
        if isinstance(rendered, str) and rendered.strip():
            try:
                loaded = json.loads(rendered)
            except json.JSONDecodeError as error:
                raise TaskError(f"property `schema` is not JSON: {error}") from None
            if not isinstance(loaded, dict):
                raise TaskError("property `schema` must be an Avro record schema (a JSON object)")
            return loaded
        if isinstance(rendered, Mapping):
            return dict(rendered)
        scan = render_int(ctx, self.number_of_rows_to_scan, "numberOfRowsToScan") or 100
        return infer_schema(source, scan)

    def _conversion(self, ctx: TaskContext) -> Conversion:
        def values(value: Any, name: str, default: list[str]) -> frozenset[str]:
            given = render_list(ctx, value, name) if value is not None else default
            return frozenset(str(item).lower() for item in given)

        try:
            zone = zone_of(render_str(ctx, self.time_zone_id) or "UTC")
        except TemplateError as error:
            raise TaskError(f"property `timeZoneId`: {error}") from None
        return Conversion(
            true_values=values(self.true_values, "trueValues", TRUE_VALUES),
            false_values=values(self.false_values, "falseValues", FALSE_VALUES),
            null_values=frozenset(
                str(item)
                for item in (render_list(ctx, self.null_values, "nullValues") or NULL_VALUES)
            ),
            date_format=render_str(ctx, self.date_format) or "yyyy-MM-dd[XXX]",
            time_format=render_str(ctx, self.time_format) or "HH:mm[:ss][.SSSSSS][XXX]",
            datetime_format=render_str(ctx, self.datetime_format)
            or "yyyy-MM-dd'T'HH:mm[:ss][.SSSSSS][XXX]",
            decimal_separator=render_char(ctx, self.decimal_separator, "decimalSeparator", "."),
            strict=render_bool(ctx, self.strict_schema, "strictSchema", False),
            zone=zone,
        )


def infer_schema(source: Path, scan: int) -> dict[str, Any]:
    """A record schema from the first `scan` rows: each field nullable, typed by its values."""
    fields: dict[str, str | None] = {}
    for index, row in enumerate(ion.iter_rows(source)):
        if index >= scan:
            break
        if not isinstance(row, Mapping):
            raise TaskError("rows must be maps to infer an Avro schema; set `schema`")
        for key, value in row.items():
            found = _avro_type_of(value)
            known = fields.get(key)
            if key not in fields or known is None:
                fields[key] = found
            elif found is not None and found != known:
                fields[key] = _widen(known, found)
    return {
        "type": "record",
        "name": "root",
        "fields": [
            {"name": name, "type": ["null", _logical(kind or "string")], "default": None}
            for name, kind in fields.items()
        ],
    }


def _avro_type_of(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "long"
    if isinstance(value, float | Decimal):
        return "double"
    if isinstance(value, datetime):
        return "timestamp-millis"
    if isinstance(value, date):
        return "date"
    return "string"


def _widen(left: str, right: str) -> str:
    if {left, right} == {"long", "double"}:
        return "double"
    return "string"


def _logical(kind: str) -> Any:
    if kind == "timestamp-millis":
        return {"type": "long", "logicalType": "timestamp-millis"}
    if kind == "date":
        return {"type": "int", "logicalType": "date"}
    return kind


@dataclass(frozen=True, slots=True)
class Conversion:
    """Converts plain values (often text) to what an Avro schema declares."""

    true_values: frozenset[str]
    false_values: frozenset[str]
    null_values: frozenset[str]
    date_format: str
    time_format: str
    datetime_format: str
    decimal_separator: str
    strict: bool
    zone: Any = UTC

    def value(self, value: Any, schema: Any) -> Any:
        """`value` converted to `schema`; `BadRowError` when it cannot be."""
        if isinstance(schema, list):
            return self._union(value, schema)
        if isinstance(schema, str):
            return self._primitive(value, schema, {})
        kind = schema.get("type")
        if isinstance(kind, list | dict):
            return self.value(value, kind)
        if kind == "record":
            return self._record(value, schema)
        if kind == "array":
            if not isinstance(value, list):
                raise BadRowError(f"`{value}` is not a list")
            return [self.value(item, schema["items"]) for item in value]
        if kind == "map":
            if not isinstance(value, Mapping):
                raise BadRowError(f"`{value}` is not a map")
            return {str(key): self.value(item, schema["values"]) for key, item in value.items()}
        if kind == "enum":
            text = str(value)
            if text not in schema.get("symbols", []):
                raise BadRowError(f"`{text}` is not one of {schema.get('symbols')}")
            return text
        return self._primitive(value, str(kind), schema)

    def _record(self, value: Any, schema: Mapping[str, Any]) -> dict[str, Any]:
        if not isinstance(value, Mapping):
            raise BadRowError(f"`{value}` is not a map")
        fields = schema.get("fields", [])
        if self.strict:
            extra = set(value) - {field["name"] for field in fields}
            if extra:
                raise BadRowError(f"field(s) {', '.join(sorted(extra))} are not in the schema")
        record = {}
        for field in fields:
            name = field["name"]
            if name not in value and "default" in field:
                record[name] = field["default"]
                continue
            try:
                record[name] = self.value(value.get(name), field["type"])
            except BadRowError as error:
                raise BadRowError(f"field `{name}`: {error}") from None
        return record

    def _union(self, value: Any, branches: list[Any]) -> Any:
        is_null = value is None or (isinstance(value, str) and value in self.null_values)
        if is_null and "null" in branches:
            return None
        errors = []
        for branch in branches:
            if branch == "null":
                continue
            try:
                return self.value(value, branch)
            except BadRowError as error:
                errors.append(str(error))
        raise BadRowError("; ".join(errors) or f"`{value}` is not null")

    def _primitive(self, value: Any, kind: str, schema: Mapping[str, Any]) -> Any:
        logical = schema.get("logicalType")
        if value is None:
            if kind == "null":
                return None
            raise BadRowError(f"null where the schema wants {logical or kind}")
        if logical is not None:
            return self._logical(value, kind, str(logical), schema)
        if kind == "null":
            raise BadRowError(f"`{value}` where the schema wants null")
        if kind == "string":
            return value.isoformat() if isinstance(value, date | time) else str(value)
        if kind == "boolean":
            return self._boolean(value)
        if kind in ("int", "long"):
            return self._integer(value)
        if kind in ("float", "double"):
            return self._number(value)
        if kind in ("bytes", "fixed"):
            return value if isinstance(value, bytes) else str(value).encode("utf-8")
        raise BadRowError(f"unsupported Avro type `{kind}`")

    def _boolean(self, value: Any) -> bool:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in self.true_values:
            return True
        if text in self.false_values:
            return False
        raise BadRowError(f"`{value}` is not a boolean")

    def _integer(self, value: Any) -> int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, Decimal | float) and value == int(value):
            return int(value)
        try:
            return int(str(value).strip())
        except ValueError:
            raise BadRowError(f"`{value}` is not an integer") from None

    def _number(self, value: Any) -> float:
        if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
            return float(value)
        text = str(value).strip()
        if self.decimal_separator != ".":
            text = text.replace(".", "").replace(self.decimal_separator, ".")
        try:
            return float(text)
        except ValueError:
            raise BadRowError(f"`{value}` is not a number") from None

    def _logical(self, value: Any, kind: str, logical: str, schema: Mapping[str, Any]) -> Any:
        if logical == "decimal":
            try:
                number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
            except InvalidOperation:
                raise BadRowError(f"`{value}` is not a decimal number") from None
            return number.quantize(Decimal(1).scaleb(-int(schema.get("scale", 0))))
        if logical == "date":
            if isinstance(value, datetime):
                return value.date()
            if isinstance(value, date):
                return value
            return self._parse(value, self.date_format).date()
        if logical.startswith(("timestamp", "local-timestamp")):
            moment = (
                value if isinstance(value, datetime) else self._parse(value, self.datetime_format)
            )
            if isinstance(moment, date) and not isinstance(moment, datetime):
                moment = datetime(moment.year, moment.month, moment.day, tzinfo=self.zone)
            return moment if moment.tzinfo else moment.replace(tzinfo=self.zone)
        if logical.startswith("time-"):
            if isinstance(value, time):
                return value
            parsed = self._parse(f"1970-01-01 {value}", f"yyyy-MM-dd {self.time_format}")
            return parsed.time()
        if logical == "uuid":
            return str(value)
        return self._primitive(value, kind, {})

    def _parse(self, value: Any, pattern: str) -> datetime:
        text = str(value).strip()
        try:
            return parse_with_pattern(text, pattern, self.zone)
        except TemplateError:
            pass
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise BadRowError(f"`{value}` does not match the pattern `{pattern}`") from None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=self.zone)
