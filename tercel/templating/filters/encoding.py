"""Filters that change representation: JSON, YAML, Ion, jq, hashes, numbers, class names."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from tercel.errors import TemplateError
from tercel.templating.jqrun import run_jq
from tercel.templating.numberformat import number_format
from tercel.templating.output import to_json
from tercel.templating.serialize import plain, to_ion, to_yaml


def to_json_filter(value: Any) -> str:
    """Compact JSON; null gives ``null``."""
    return "null" if value is None else to_json(value)


def to_ion_filter(value: Any) -> str:
    """Ion text; null gives ``null``."""
    return to_ion(value)


def yaml_filter(value: Any) -> str:
    """YAML text; null gives ``null``."""
    return to_yaml(value)


def jq_filter(value: Any, expression: str | None = None) -> list[Any] | None:
    """Run a jq program; always a list of results (use ``| first`` for one)."""
    if value is None:
        return None
    if expression is None:
        raise TemplateError("The 'jq' filter expects an argument 'expression'.")
    if isinstance(value, str):
        try:
            data = json.loads(value)
        except ValueError:
            raise TemplateError(
                f"Unable to parse jq value '{value[:100]}' with type 'java.lang.String'"
            ) from None
    else:
        data = plain(value)
    return run_jq(expression, data)


def _digest(algorithm: str) -> Callable[[Any], str | None]:
    def digest(value: Any) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str):
            raise TemplateError("Need a string to hash")
        return hashlib.new(algorithm, value.encode("utf-8")).hexdigest()

    digest.__name__ = algorithm
    digest.__doc__ = f"Hex {algorithm} digest of the UTF-8 bytes."
    return digest


def class_name(value: Any) -> str | None:
    """The Java class Kestra would report for this value."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "java.lang.Boolean"
    if isinstance(value, int):
        return "java.lang.Integer" if -(2**31) <= value < 2**31 else "java.lang.Long"
    if isinstance(value, float):
        return "java.lang.Double"
    if isinstance(value, Decimal):
        return "java.math.BigDecimal"
    if isinstance(value, str):
        return "java.lang.String"
    if isinstance(value, Mapping):
        return "java.util.LinkedHashMap"
    if isinstance(value, (list, tuple)):
        return "java.util.ArrayList"
    if isinstance(value, datetime):
        return "java.time.ZonedDateTime"
    if isinstance(value, date):
        return "java.time.LocalDate"
    return type(value).__name__


def number(value: Any, type: str = "") -> Any:  # noqa: A002 - Kestra's argument name
    """Parse a string as a number: INT, LONG, FLOAT, DOUBLE, BIGDECIMAL, BIGINTEGER or auto."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise TemplateError(
            f"'number' filter can only be applied to String. Actual type was: {type_name(value)}"
        )
    text = value.strip()
    try:
        if type in ("INT", "LONG", "BIGINTEGER"):
            return int(text, 0) if text.lower().startswith(("0x", "-0x")) else int(text)
        if type in ("FLOAT", "DOUBLE"):
            return float(text)
        if type == "BIGDECIMAL":
            return Decimal(text)
        if text.lower().startswith(("0x", "-0x", "#")):
            return int(text.replace("#", "0x"), 0)
        if any(marker in text for marker in ".eE") or text.lower() in ("nan", "infinity"):
            return float(text)
        return int(text)
    except (ValueError, InvalidOperation):
        raise TemplateError(f"'{value}' is not a valid number") from None


def type_name(value: Any) -> str:
    """A short type name for error messages."""
    return class_name(value) or "null"


def absolute(value: Any) -> Any:
    """Absolute value of a number."""
    if value is None:
        raise TemplateError('Can not pass null value to "abs" filter.')
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        raise TemplateError("The 'abs' filter does require as input a number.")
    return abs(value)


def numberformat(value: Any, format: str | None = None) -> str | None:  # noqa: A002
    """Java's ``DecimalFormat``: ``1234.5 | numberformat('#,##0.00')`` → ``1,234.50``."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        raise TemplateError("The input for the 'NumberFormat' filter has to be a number.")
    return number_format(value, format)


FILTERS: dict[str, Callable[..., Any]] = {
    "toJson": to_json_filter,
    "json": to_json_filter,
    "toIon": to_ion_filter,
    "yaml": yaml_filter,
    "jq": jq_filter,
    "sha1": _digest("sha1"),
    "sha256": _digest("sha256"),
    "sha512": _digest("sha512"),
    "md5": _digest("md5"),
    "className": class_name,
    "number": number,
    "abs": absolute,
    "numberformat": numberformat,
}
