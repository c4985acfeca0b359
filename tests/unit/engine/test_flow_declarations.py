"""The `io.kestra.plugin.core.flow.*` declarations accept Kestra YAML and refuse broken ones."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from tercel.errors import FlowValidationError
from tercel.model.flow import Flow
from tercel.model.loader import load_flow
from tercel.model.task import TaskKind


def flow(*tasks: dict[str, Any]) -> Flow:
    return Flow.model_validate({"id": "f", "namespace": "n", "tasks": list(tasks)})


def ret(task_id: str) -> dict[str, Any]:
    return {"id": task_id, "type": "io.kestra.plugin.core.debug.Return", "format": "x"}


def test_legacy_flowable_aliases_resolve_to_canonical_types() -> None:
    parsed = flow(
        {"id": "s", "type": "io.kestra.core.tasks.flows.Sequential", "tasks": [ret("a")]},
        {"id": "sub", "type": "io.kestra.core.tasks.flows.Flow", "namespace": "n", "flowId": "x"},
    )
    assert parsed.tasks[0].type == "io.kestra.plugin.core.flow.Sequential"
    assert parsed.tasks[0].kind is TaskKind.FLOWABLE
    assert parsed.tasks[1].type == "io.kestra.plugin.core.flow.Subflow"
    assert parsed.tasks[1].kind is TaskKind.EXECUTABLE


def test_dag_rejects_unknown_dependency() -> None:
    with pytest.raises(ValidationError, match="depends on unknown task"):
        flow(
            {
                "id": "dag",
                "type": "io.kestra.plugin.core.flow.Dag",
                "tasks": [{"task": ret("a"), "dependsOn": ["nope"]}],
            }
        )


def test_dag_rejects_cycles() -> None:
    with pytest.raises(ValidationError, match=r"cyclic dependency: (a -> b -> a|b -> a -> b)"):
        flow(
            {
                "id": "dag",
                "type": "io.kestra.plugin.core.flow.Dag",
                "tasks": [
                    {"task": ret("a"), "dependsOn": ["b"]},
                    {"task": ret("b"), "dependsOn": ["a"]},
                ],
            }
        )


def test_dag_reports_every_unknown_dependency_and_the_cycle_at_their_depends_on() -> None:
    source = """id: f
namespace: n
tasks:
  - id: dag
    type: io.kestra.plugin.core.flow.Dag
    tasks:
      - task: {id: a, type: io.kestra.plugin.core.log.Log, message: a}
        dependsOn: [b]
      - task: {id: b, type: io.kestra.plugin.core.log.Log, message: b}
        dependsOn: [a, zz]
      - task: {id: c, type: io.kestra.plugin.core.log.Log, message: c}
        dependsOn: [yy]
"""
    with pytest.raises(FlowValidationError) as caught:
        load_flow(source, "dag.yml")
    assert [(p.message, p.line, p.column) for p in caught.value.problems] == [
        ("Dag has a cyclic dependency: a -> b -> a", 8, 20),
        ("Dag task `b` depends on unknown task `zz`", 10, 24),
        ("Dag task `c` depends on unknown task `yy`", 12, 21),
    ]


def test_switch_needs_cases_or_defaults() -> None:
    with pytest.raises(ValidationError, match="needs `cases` or `defaults`"):
        flow({"id": "s", "type": "io.kestra.plugin.core.flow.Switch", "value": "x"})


def test_switch_case_keys_are_strings_even_when_yaml_reads_booleans() -> None:
    parsed = flow(
        {
            "id": "s",
            "type": "io.kestra.plugin.core.flow.Switch",
            "value": "x",
            "cases": {True: [ret("a")], 2: [ret("b")]},
        }
    )
    assert set(parsed.tasks[0].child_task_lists()) == {"cases.true", "cases.2"}


def test_working_directory_accepts_only_runnable_children() -> None:
    with pytest.raises(ValidationError, match="only contain runnable tasks"):
        flow(
            {
                "id": "wd",
                "type": "io.kestra.plugin.core.flow.WorkingDirectory",
                "tasks": [
                    {
                        "id": "s",
                        "type": "io.kestra.plugin.core.flow.Sequential",
                        "tasks": [ret("a")],
                    }
                ],
            }
        )


def test_template_is_refused_with_the_replacement_named() -> None:
    with pytest.raises(ValidationError, match="Subflow"):
        flow({"id": "t", "type": "io.kestra.plugin.core.flow.Template", "templateId": "x"})


def test_loop_interval_must_fit_in_max_duration() -> None:
    with pytest.raises(ValidationError, match="shorter than"):
        flow(
            {
                "id": "w",
                "type": "io.kestra.plugin.core.flow.LoopUntil",
                "condition": "true",
                "checkFrequency": {"interval": "PT2H", "maxDuration": "PT1H"},
                "tasks": [ret("a")],
            }
        )


def test_pause_rejects_a_malformed_static_delay() -> None:
    with pytest.raises(ValidationError, match="ISO-8601"):
        flow({"id": "p", "type": "io.kestra.plugin.core.flow.Pause", "delay": "5 seconds"})


def test_foreach_item_exposes_its_three_hidden_children() -> None:
    parsed = flow(
        {
            "id": "each",
            "type": "io.kestra.plugin.core.flow.ForEachItem",
            "items": "{{ inputs.file }}",
            "namespace": "n",
            "flowId": "child",
        }
    )
    ids = [t.id for t in parsed.tasks[0].child_task_lists()["tasks"]]
    assert ids == ["each_split", "each_items", "each_merge"]
