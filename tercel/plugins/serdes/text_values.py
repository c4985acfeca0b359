"""How the text writers (CSV, XML) print a row's values, with Kestra's date options.

Dates use `dateFormat`, date-times `dateTimeFormat` (in UTC when the value has an offset),
times `timeFormat`, all Java ``DateTimeFormatter`` patterns; an optional section (``[XXX]``)
prints only when the value has an offset. Other values print as Java prints them
(`true`, `1.5`, `{a=1, b=x}`, `[1, 2]`).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from pydantic import Field

from tercel.errors import TaskError, TemplateError
from tercel.plugins.context import TaskContext
from tercel.plugins.core.templating.properties import Text, render_str
from tercel.plugins.serdes.common import ConversionTask
from tercel.templating.dates import format_pattern, zone_of
from tercel.templating.output import java_double

_OPTIONAL = re.compile(r"\[[^\]]*\]")


class TextWriter(ConversionTask):
    """A conversion that writes text: Kestra's date properties of the text writers."""

    date_format: Text = Field(default="yyyy-MM-dd", description="Pattern for dates.")
    time_format: Text = Field(default="HH:mm:ss[XXX]", description="Pattern for times.")
    date_time_format: Text = Field(
        default="yyyy-MM-dd'T'HH:mm:ss.SSS[XXX]", description="Pattern for date-times."
    )
    time_zone_id: Text | None = Field(
        default=None, description="Zone of values that carry none (default: UTC)."
    )

    def text_formats(self, ctx: TaskContext) -> TextFormats:
        """The rendered patterns, checked."""
        try:
            zone = zone_of(render_str(ctx, self.time_zone_id) or "UTC")
        except TemplateError as error:
            raise TaskError(f"property `timeZoneId`: {error}") from None
        return TextFormats(
            date_format=render_str(ctx, self.date_format) or "yyyy-MM-dd",
            time_format=render_str(ctx, self.time_format) or "HH:mm:ss[XXX]",
            date_time_format=render_str(ctx, self.date_time_format)
            or "yyyy-MM-dd'T'HH:mm:ss.SSS[XXX]",
            zone=zone,
        )


@dataclass(frozen=True, slots=True)
class TextFormats:
    """Prints values as text."""

    date_format: str
    time_format: str
    date_time_format: str
    zone: Any = UTC

    def text(self, value: Any) -> str | None:
        """`value` as text; None stays None (an empty field)."""
        try:
            return _text(self, value)
        except TemplateError as error:
            raise TaskError(f"cannot format `{value}`: {error}") from None


def _text(formats: TextFormats, value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return java_double(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return format_pattern(value, _OPTIONAL.sub("", formats.date_time_format))
        return format_pattern(value.astimezone(UTC), formats.date_time_format)
    if isinstance(value, date):
        return format_pattern(datetime(value.year, value.month, value.day), formats.date_format)
    if isinstance(value, time):
        moment = datetime.combine(date(1970, 1, 1), value)
        if value.tzinfo is None:
            return format_pattern(moment, _OPTIONAL.sub("", formats.time_format))
        return format_pattern(moment, formats.time_format)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, Mapping):
        inner = ", ".join(f"{key}={_text(formats, item)}" for key, item in value.items())
        return "{" + inner + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(str(_text(formats, item)) for item in value) + "]"
    return str(value)
