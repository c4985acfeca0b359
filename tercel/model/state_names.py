"""State names as written in flows (`states: [SUCCESS, FAILED]`), checked when loading.

The list mirrors `tercel.engine.state.State` (a unit test keeps them equal); the model
does not import the engine.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

STATE_NAMES = (
    "CREATED", "SUBMITTED", "RUNNING", "PAUSED", "RESTARTED", "KILLING", "SUCCESS", "WARNING",
    "FAILED", "KILLED", "CANCELLED", "QUEUED", "RETRYING", "RETRIED", "SKIPPED", "BREAKPOINT",
    "RESUBMITTED",
)  # fmt: skip


def _check_state(value: str) -> str:
    if value not in STATE_NAMES:
        raise PydanticCustomError(
            "unknown_state",
            "unknown state `{value}`, expected one of {names}",
            {"value": value, "names": ", ".join(STATE_NAMES)},
        )
    return value


StateName = Annotated[str, AfterValidator(_check_state)]
