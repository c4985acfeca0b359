"""Java's ``DecimalFormat`` patterns (``#,##0.00``, ``0.###``, ``#%``) for ``numberformat``."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from functools import lru_cache

from tercel.errors import TemplateError

#: ``NumberFormat.getInstance(Locale.ENGLISH)``.
DEFAULT_PATTERN = "#,##0.###"


@dataclass(frozen=True, slots=True)
class _Pattern:
    prefix: str
    suffix: str
    min_integer: int
    min_fraction: int
    max_fraction: int
    grouping: int
    multiplier: int


@lru_cache(maxsize=128)
def _parse(pattern: str) -> _Pattern:
    positive = pattern.split(";", 1)[0]
    start = next((i for i, c in enumerate(positive) if c in "#0,."), len(positive))
    end = start
    while end < len(positive) and positive[end] in "#0,.":
        end += 1
    prefix, body, suffix = positive[:start], positive[start:end], positive[end:]
    if not body:
        raise TemplateError(f"Malformed number format pattern '{pattern}'")
    integer, _, fraction = body.partition(".")
    grouping = len(integer) - integer.rfind(",") - 1 if "," in integer else 0
    digits = integer.replace(",", "")
    multiplier = 100 if "%" in prefix + suffix else 1000 if "‰" in prefix + suffix else 1
    return _Pattern(
        prefix=prefix.replace("'", ""),
        suffix=suffix.replace("'", ""),
        min_integer=digits.count("0"),
        min_fraction=fraction.count("0"),
        max_fraction=len(fraction),
        grouping=grouping,
        multiplier=multiplier,
    )


def number_format(value: int | float | Decimal, pattern: str | None) -> str:
    """Format `value` with a Java ``DecimalFormat`` pattern (HALF_EVEN rounding)."""
    spec = _parse(pattern or DEFAULT_PATTERN)
    try:
        number = Decimal(str(value)) * spec.multiplier
    except InvalidOperation:
        raise TemplateError(f"cannot format {value!r} as a number") from None
    if not number.is_finite():
        return "NaN" if number.is_nan() else ("-∞" if number < 0 else "∞")
    negative = number < 0
    rounded = abs(number).quantize(Decimal(1).scaleb(-spec.max_fraction), ROUND_HALF_EVEN)
    integer_part, _, fraction_part = f"{rounded:f}".partition(".")
    fraction_part = fraction_part.rstrip("0").ljust(spec.min_fraction, "0")
    integer_part = integer_part.lstrip("0").rjust(spec.min_integer, "0")
    if spec.grouping:
        groups: list[str] = []
        while len(integer_part) > spec.grouping:
            groups.insert(0, integer_part[-spec.grouping :])
            integer_part = integer_part[: -spec.grouping]
        groups.insert(0, integer_part)
        integer_part = ",".join(group for group in groups if group)
    text = integer_part + ("." + fraction_part if fraction_part else "")
    if text == "":
        text = "0"
    is_zero = rounded == 0
    return ("-" if negative and not is_zero else "") + spec.prefix + text + spec.suffix
