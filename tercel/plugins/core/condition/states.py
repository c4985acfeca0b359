"""A state name in YAML (``SUCCESS``, ``FAILED``...), checked against the `State` enum."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

from tercel.engine.state import State


def _check_state(value: str) -> str:
    if value not in State.__members__:
        raise PydanticCustomError(
            "unknown_state",
            "unknown state `{value}`, expected one of {names}",
            {"value": value, "names": ", ".join(State.__members__)},
        )
    return value


StateName = Annotated[str, AfterValidator(_check_state)]
