"""Serializers shared by filters and functions: YAML (Jackson's layout) and Ion text."""

from __future__ import annotations

import io
import json
import math
import re
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.emitter import Emitter

from tercel.errors import TemplateError
from tercel.templating.output import java_double, to_json


def plain(value: Any) -> Any:
    """A deep copy made only of JSON types (dates become ISO strings)."""
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return json.loads(to_json(value))


# -- YAML -----------------------------------------------------------------------------------


class _DoubleQuotingEmitter(Emitter):
    """Quote with ``"`` where a string needs quotes, as Jackson's YAML writer does."""

    def choose_scalar_style(self) -> Any:
        style = super().choose_scalar_style()
        return '"' if style == "'" else style


def _yaml() -> YAML:
    yaml = YAML(typ="safe", pure=True)
    yaml.Emitter = _DoubleQuotingEmitter
    yaml.default_flow_style = False
    yaml.allow_unicode = True
    yaml.sort_base_mapping_type_on_output = False  # type: ignore[assignment]
    # Jackson's INDENT_ARRAYS layout: "key:\n - item".
    yaml.indent(mapping=2, sequence=3, offset=1)
    yaml.width = 1 << 30
    return yaml


def to_yaml(value: Any) -> str:
    """YAML as Kestra's ``yaml`` filter writes it (no ``---``, one trailing newline)."""
    if value is None:
        return "null"
    data = plain(value)
    if isinstance(data, str) and "\n" not in data:
        # Scalars print bare, like Jackson with MINIMIZE_QUOTES.
        buffer = io.StringIO()
        _yaml().dump(data, buffer)
        text = buffer.getvalue()
        return text.removesuffix("...\n").rstrip("\n") + "\n"
    buffer = io.StringIO()
    _yaml().dump(data, buffer)
    return buffer.getvalue().removesuffix("...\n")


def from_yaml(text: str) -> Any:
    """Parse YAML (safe types only)."""
    try:
        return YAML(typ="safe", pure=True).load(text)
    except Exception as error:  # noqa: BLE001 - ruamel raises many unrelated types
        raise TemplateError(f"Invalid yaml: {error}") from None


# -- Ion --------------------------------------------------------------------------------------

_SYMBOL_RE = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")
_RESERVED_SYMBOLS = frozenset({"null", "true", "false", "nan"})


def _ion_string(text: str, quote: str) -> str:
    escaped = text.replace("\\", "\\\\").replace(quote, "\\" + quote)
    escaped = re.sub(r"[\x00-\x1f]", lambda m: f"\\x{ord(m[0]):02x}", escaped)
    return f"{quote}{escaped}{quote}"


def _ion_symbol(name: str) -> str:
    if _SYMBOL_RE.fullmatch(name) and name not in _RESERVED_SYMBOLS:
        return name
    return _ion_string(name, "'")


def _ion_float(value: float) -> str:
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "+inf" if value > 0 else "-inf"
    text = java_double(value)
    return text.replace("E", "e") if "E" in text else text + "e0"


def to_ion(value: Any) -> str:
    """Ion text as Kestra's ``toIon`` filter writes it (compact, symbols unquoted)."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _ion_float(value)
    if isinstance(value, Decimal):
        return str(value) if "." in str(value) else f"{value}."
    if isinstance(value, str):
        return _ion_string(value, '"')
    if isinstance(value, datetime):
        return "ZonedDateTime::" + _ion_string(value.isoformat(), '"')
    if isinstance(value, date):
        return "LocalDate::" + _ion_string(value.isoformat(), '"')
    if isinstance(value, Mapping):
        fields = ",".join(f"{_ion_symbol(str(k))}:{to_ion(v)}" for k, v in value.items())
        return "{" + fields + "}"
    if isinstance(value, (list, tuple, set, frozenset)):
        return "[" + ",".join(to_ion(item) for item in value) + "]"
    return _ion_string(str(value), '"')


def from_ion(text: str) -> Any:
    """Parse Ion text into plain maps, lists and scalars."""
    from amazon.ion import simpleion

    try:
        return _plain_ion(simpleion.loads(text))
    except Exception as error:  # noqa: BLE001 - the Ion reader raises many unrelated types
        raise TemplateError(f"Invalid ion: {error}") from None


def _plain_ion(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(key): _plain_ion(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain_ion(item) for item in value]
    if value is None or (getattr(value, "ion_type", None) is not None and _is_ion_null(value)):
        return None
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, Decimal):
        return Decimal(value)
    if isinstance(value, str):
        return str(value)
    return value


def _is_ion_null(value: Any) -> bool:
    return type(value).__name__ == "IonPyNull"
