"""Kestra's own invalid fixtures are rejected for Kestra's reason, at the right place."""

from __future__ import annotations

import pytest
from model_helpers import FIXTURES

from tercel.model.loader import validate_file

INVALIDS = FIXTURES / "kestra" / "invalids"

CASES = {
    "duplicate-inputs.yaml": [("Duplicate input with name [first_input]", 8, 9)],
    "duplicate-key.yaml": [("duplicate key `tasks[0].data.variables.tf`", 10, 7)],
    "duplicate-parallel.yaml": [("Duplicate task id with name [t3]", 38, 29)],
    "duplicate.yaml": [
        ("Duplicate task id with name [listen]", 14, 9),
        ("Duplicate task id with name [date]", 21, 13),
        ("Duplicate task id with name [date]", 25, 13),
        ("Duplicate task id with name [date]", 30, 9),
        ("Duplicate trigger id with name [trigger]", 37, 9),
    ],
    "empty.yaml": [("missing required property `tasks`", 1, 1)],
    "inputs-bad-type.yaml": [("unknown type `FOO`", 5, 11)],
    "inputs-validation.yaml": [
        ("no `defaults` can be set for inputs of type 'FILE'", 7, 15),
        ("`itemType` cannot be `ARRAY`", 10, 15),
    ],
    "inputs.yaml": [("missing required property `type`", 4, 5)],
    "invalid-property.yaml": [("unknown property `invalid`", 7, 5)],
    "invalid-task.yaml": [
        ("unknown type `io.kestra.plugin.core.debug.MissingOne`", 7, 15),
        ("unknown type `io.kestra.plugin.core.debug.MissingTwo`", 12, 11),
        ("unknown type `io.kestra.plugin.core.debug.MissingThree`", 18, 11),
    ],
    "invalid-task-defaults.yaml": [("unknown property `invalid`", 8, 7)],
    "listener.yaml": [("`tasks`: must not be empty", 7, 12), ("`tasks`: must not be empty", 9, 12)],
    "recursive-flow.yaml": [("Recursive call to flow [io.kestra.tests.recursive-flow]", 7, 13)],
}

#: Invalid in Kestra's open edition, valid in Tercel's (docs/deploy.md: worker groups).
ACCEPTED = ("worker-group.yaml",)


@pytest.mark.parametrize("name", ACCEPTED)
def test_fixtures_of_enterprise_features_tercel_has_are_valid(name: str) -> None:
    results = validate_file(INVALIDS / name)
    assert [p.message for r in results for p in r.problems if p.severity == "error"] == []


@pytest.mark.parametrize("name", sorted(CASES))
def test_invalid_fixture_problems_are_exact(name: str) -> None:
    results = validate_file(INVALIDS / name)
    found = [
        (p.message, p.line, p.column) for r in results for p in r.problems if p.severity == "error"
    ]
    assert found == CASES[name]


def test_invalid_flow_and_namespace_patterns_and_missing_task_id() -> None:
    results = validate_file(INVALIDS / "invalid.yaml")
    found = [
        (p.message.split(" '")[0], p.line, p.column)
        for r in results
        for p in r.problems
        if p.severity == "error"
    ]
    assert found == [
        ("`id`: String should match pattern", 1, 5),
        ("`namespace`:", 2, 12),  # 'MY$NAMESPACE' is not a valid namespace: ...
        ("missing required property `id`", 4, 3),
    ]


def test_system_labels_point_at_each_label_key() -> None:
    results = validate_file(INVALIDS / "system-labels.yaml")
    found = [
        (p.message, p.line, p.column) for r in results for p in r.problems if p.severity == "error"
    ]
    assert found[:2] == [
        ("System labels can only be set by Tercel itself: `system.label`", 5, 3),
        ("System labels can only be set by Tercel itself: `system.id`", 6, 3),
    ]


def test_multi_document_file_reports_problems_of_each_document() -> None:
    results = validate_file(INVALIDS / "validateMultipleInvalidFlows.yaml")
    assert [
        [(p.message, p.line, p.column) for p in r.problems if p.severity == "error"]
        for r in results
    ] == [
        [("unknown property `unknownProp`", 7, 5)],
        [("unknown type `io.kestra.plugin.core.debug.UnknownTask`", 15, 11)],
    ]


@pytest.mark.parametrize(
    ("name", "needle"),
    [
        ("dag-cyclicdependency.yaml", "cyclic dependency"),
        ("dag-notexist-task.yaml", "unknown task"),
        ("switch-invalid.yaml", "Switch"),
        ("workingdirectory-invalid.yaml", "runnable"),
        ("workingdirectory-no-tasks.yaml", "`tasks`"),
        ("inputs-bad-validator-syntax.yaml", "invalid regular expression"),
        ("invalid-parallel.yaml", "must not be empty"),
    ],
)
def test_flowable_and_input_validators_become_positioned_problems(name: str, needle: str) -> None:
    results = validate_file(INVALIDS / name)
    found = [p for r in results for p in r.problems if p.severity == "error"]
    assert any(needle in p.message for p in found), found
    assert all(p.line > 0 and p.column > 0 for p in found)
