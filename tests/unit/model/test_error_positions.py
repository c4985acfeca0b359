"""How pydantic errors map to places: validators of plugins, nested models, unions, hints."""

from __future__ import annotations

from typing import Any

from model_helpers import HEADER, LOG, flow_with, problems
from pydantic import model_validator
from pydantic_core import PydanticCustomError

from tercel.errors import FlowValidationError
from tercel.model.loader import load_flow
from tercel.model.registry import plugin
from tercel.model.task import Task

PICKY = "tests.model.Picky"


@plugin(PICKY)
class Picky(Task):
    """A test-only task whose validator rejects some combinations, like Switch or Dag do."""

    mode: str = "ok"
    limit: int = 0

    @model_validator(mode="after")
    def _check(self) -> Picky:
        if self.mode == "whole":
            raise PydanticCustomError(
                "picky_whole", "Picky `{id}` is wrong as a whole", {"id": self.id}
            )
        if self.mode == "limit":
            raise PydanticCustomError(
                "picky_limit", "`limit` must be set in this mode", {"property": "limit"}
            )
        return self


def test_model_validator_error_points_at_the_task() -> None:
    source = flow_with(f"tasks:\n  - id: p\n    type: {PICKY}\n    mode: whole\n")
    assert problems(source) == [("Picky `p` is wrong as a whole", 4, 5)]


def test_model_validator_error_can_point_at_one_property() -> None:
    source = flow_with(f"tasks:\n  - id: p\n    type: {PICKY}\n    mode: limit\n    limit: 3\n")
    assert problems(source) == [("`limit` must be set in this mode", 7, 12)]


def test_wrong_scalar_type_names_the_property_and_points_at_the_value() -> None:
    source = flow_with(f"tasks:\n  - id: p\n    type: {PICKY}\n    limit: lots\n")
    found = problems(source)
    assert [(line, column) for _, line, column in found] == [(6, 12)]
    assert found[0][0].startswith("`limit` must be a valid integer")


def test_union_failures_become_one_problem() -> None:
    source = flow_with("tasks:\n  - id: t\n" + LOG + "    runIf: [1]\n")
    assert problems(source) == [
        ("`runIf` must be a valid string or a valid boolean, found a list", 7, 12)
    ]


def test_an_unquoted_colon_in_a_list_item_is_one_problem_at_the_item_with_a_hint() -> None:
    source = flow_with(
        "tasks:\n  - id: t\n    type: io.kestra.plugin.scripts.shell.Commands\n"
        "    commands:\n      - echo hi\n      - echo status: done\n"
    )
    assert _problems_with_hints(source) == [
        (
            "`commands[1]` must be a valid string, found a map",
            8,
            9,
            "an unquoted `: ` turns a value into a map: quote the whole value",
        )
    ]


def test_unknown_property_of_a_nested_model_hints_from_that_model() -> None:
    source = flow_with(
        "tasks:\n  - id: t\n" + LOG + "    retry:\n      type: constant\n      intervl: PT1S\n"
    )
    with_hint = _problems_with_hints(source)
    assert ("unknown property `intervl`", 9, 7, "did you mean `interval`?") in with_hint


def test_unknown_top_level_property_hints_from_the_flow() -> None:
    source = HEADER + "tasks:\n  - id: t\n" + LOG + "trigers: []\n"
    assert _problems_with_hints(source) == [
        ("unknown property `trigers`", 7, 1, "did you mean `triggers`?")
    ]


def test_unknown_property_of_a_trigger_hints_from_the_trigger() -> None:
    source = flow_with(
        "tasks:\n  - id: t\n"
        + LOG
        + "triggers:\n  - id: s\n    type: io.kestra.plugin.core.trigger.Schedule\n"
        "    cron: '@daily'\n    timezon: UTC\n"
    )
    assert _problems_with_hints(source) == [
        ("unknown property `timezon`", 11, 5, "did you mean `timezone`?")
    ]


def test_task_that_is_not_a_map_is_positioned() -> None:
    source = flow_with("tasks:\n  - just a string\n")
    assert problems(source) == [("a task must be a map with `id` and `type`", 4, 5)]


def test_task_without_type_points_at_the_task() -> None:
    source = flow_with("tasks:\n  - id: t\n    message: hi\n")
    assert problems(source) == [("missing required property `type`", 4, 5)]


def _problems_with_hints(source: str) -> list[tuple[str, int, int, Any]]:
    try:
        load_flow(source, "flow.yml")
    except FlowValidationError as error:
        return [(p.message, p.line, p.column, p.hint) for p in error.problems]
    raise AssertionError("the flow is valid")


BUGGY = "tests.model.Buggy"


@plugin(BUGGY)
class Buggy(Task):
    """A test-only task whose validator has a bug (raises something pydantic does not wrap)."""

    @model_validator(mode="after")
    def _check(self) -> Buggy:
        raise LookupError("oops")


def test_a_crashing_plugin_validator_is_reported_not_raised() -> None:
    found = problems(flow_with(f"tasks:\n  - id: b\n    type: {BUGGY}\n"))
    assert found == [("internal error while validating: LookupError: oops", 1, 1)]


def test_python_attribute_names_are_not_yaml_names() -> None:
    source = flow_with("tasks:\n  - id: t\n" + LOG + "    allow_failure: true\n")
    assert _problems_with_hints(source) == [
        ("unknown property `allow_failure`", 7, 5, "did you mean `allowFailure`?")
    ]
