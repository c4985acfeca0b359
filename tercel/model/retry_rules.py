"""Checks of a `retry` block (Kestra §3.2): its type, required intervals and their order."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from pydantic_core import PydanticCustomError

from tercel.model.durations import parse_duration

if TYPE_CHECKING:
    from tercel.model.task import Retry

RETRY_TYPES = ("constant", "exponential", "random")
RETRY_BEHAVIORS = ("RETRY_FAILED_TASK", "CREATE_NEW_EXECUTION")
_REQUIRED = {
    "constant": ("interval",),
    "exponential": ("interval", "maxInterval"),
    "random": ("minInterval", "maxInterval"),
}


def _fail(message: str, prop: str) -> PydanticCustomError:
    return PydanticCustomError("retry_rule", message, {"property": prop})


def check_retry(retry: Retry) -> None:
    """Raise a positioned `PydanticCustomError` for the first rule `retry` breaks."""
    if retry.type not in RETRY_TYPES:
        raise _fail(f"unknown retry type `{retry.type}`, expected one of {RETRY_TYPES}", "type")
    if retry.behavior not in RETRY_BEHAVIORS:
        raise _fail(
            f"unknown retry behavior `{retry.behavior}`, expected one of {RETRY_BEHAVIORS}",
            "behavior",
        )
    values = {
        "interval": retry.interval,
        "maxInterval": retry.max_interval,
        "minInterval": retry.min_interval,
        "maxDuration": retry.max_duration,
    }
    for name in _REQUIRED[retry.type]:
        if values[name] is None:
            raise PydanticCustomError(
                "missing_property",
                "missing required property `{name}` for a `{kind}` retry",
                {"name": name, "kind": retry.type},
            )
    parsed: dict[str, timedelta] = {}
    for name, text in values.items():
        if text is not None:
            try:
                parsed[name] = parse_duration(text)
            except PydanticCustomError:
                raise _fail(
                    f"`{text}` is not an ISO-8601 duration (e.g. PT30S, PT5M)", name
                ) from None
    interval = parsed.get("interval") or parsed.get("minInterval")
    bound = parsed.get("maxDuration")
    if interval is not None and bound is not None and interval >= bound:
        name = "interval" if "interval" in parsed else "minInterval"
        raise _fail(f"`{name}` must be shorter than `maxDuration`", name)
    maximum = parsed.get("maxInterval")
    unbounded = retry.type == "constant" or interval is None or maximum is None
    if not unbounded and interval >= maximum:  # type: ignore[operator]
        name = "interval" if retry.type == "exponential" else "minInterval"
        raise _fail(f"`{name}` must be shorter than `maxInterval`", name)
