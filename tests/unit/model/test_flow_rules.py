"""Flow-wide rules: unique ids across the whole tree, input dependencies, subflows, labels."""

from __future__ import annotations

from model_helpers import LOG, flow_with, problems

from tercel.model.loader import load_flow


def test_task_ids_are_unique_across_tasks_errors_finally_and_after_execution() -> None:
    source = flow_with(
        "tasks:\n  - id: a\n"
        + LOG
        + "errors:\n  - id: a\n"
        + LOG
        + "finally:\n  - id: a\n"
        + LOG
        + "afterExecution:\n  - id: a\n"
        + LOG
    )
    assert problems(source) == [
        ("Duplicate task id with name [a]", 8, 9),
        ("Duplicate task id with name [a]", 12, 9),
        ("Duplicate task id with name [a]", 16, 9),
    ]


def test_nested_duplicate_task_id_points_at_the_second_occurrence() -> None:
    source = flow_with(
        "tasks:\n"
        "  - id: seq\n"
        "    type: io.kestra.plugin.core.flow.Sequential\n"
        "    tasks:\n"
        "      - id: seq\n"
        "        type: io.kestra.plugin.core.log.Log\n"
        "        message: hi\n"
    )
    assert problems(source) == [("Duplicate task id with name [seq]", 7, 13)]


def test_duplicate_output_ids_are_rejected() -> None:
    source = flow_with(
        "tasks:\n  - id: a\n" + LOG + "outputs:\n"
        "  - id: o\n    type: STRING\n    value: x\n"
        "  - id: o\n    type: STRING\n    value: y\n"
    )
    assert problems(source) == [("Duplicate output with name [o]", 11, 9)]


def test_input_depending_on_unknown_input_points_at_the_reference() -> None:
    source = flow_with(
        "inputs:\n"
        "  - id: a\n    type: STRING\n    dependsOn:\n      inputs: [nope]\n"
        "tasks:\n  - id: t\n" + LOG
    )
    assert problems(source) == [("input `a` depends on unknown input `nope`", 7, 16)]


def test_input_dependency_cycle_is_rejected_once() -> None:
    source = flow_with(
        "inputs:\n"
        "  - id: a\n    type: STRING\n    dependsOn:\n      inputs: [b]\n"
        "  - id: b\n    type: STRING\n    dependsOn:\n      inputs: [a]\n"
        "tasks:\n  - id: t\n" + LOG
    )
    assert problems(source) == [("cycle in input dependencies: a -> b -> a", 7, 7)]


def test_input_depending_on_itself_is_rejected() -> None:
    source = flow_with(
        "inputs:\n  - id: a\n    type: STRING\n    dependsOn:\n      inputs: [a]\n"
        "tasks:\n  - id: t\n" + LOG
    )
    assert problems(source) == [("input `a` cannot depend on itself", 7, 16)]


def test_subflow_calling_its_own_flow_is_recursive() -> None:
    source = flow_with(
        "tasks:\n"
        "  - id: call\n"
        "    type: io.kestra.plugin.core.flow.Subflow\n"
        "    namespace: company.team\n"
        "    flowId: f\n"
    )
    assert problems(source) == [("Recursive call to flow [company.team.f]", 7, 13)]


def test_subflow_with_templated_target_is_not_judged_recursive() -> None:
    flow = load_flow(
        flow_with(
            "tasks:\n"
            "  - id: call\n"
            "    type: io.kestra.plugin.core.flow.Subflow\n"
            "    namespace: company.team\n"
            '    flowId: "{{ flow.id }}"\n'
        )
    )
    assert flow.tasks[0].id == "call"


def test_system_label_in_list_form_points_at_its_key() -> None:
    source = flow_with("labels:\n  - key: system.x\n    value: 1\ntasks:\n  - id: t\n" + LOG)
    assert problems(source) == [
        ("System labels can only be set by Tercel itself: `system.x`", 4, 10)
    ]


def test_system_read_only_label_is_allowed_and_values_are_stringified() -> None:
    flow = load_flow(
        flow_with("labels:\n  system.readOnly: true\n  n: 42\n  f: 1.5\ntasks:\n  - id: t\n" + LOG)
    )
    assert flow.labels == {"system.readOnly": "true", "n": "42", "f": "1.5"}


def test_labels_in_list_form_become_a_map() -> None:
    flow = load_flow(
        flow_with("labels:\n  - key: team\n    value: data\ntasks:\n  - id: t\n" + LOG)
    )
    assert flow.labels == {"team": "data"}


def test_worker_group_on_a_task_or_trigger_is_accepted() -> None:
    # Kestra keeps worker groups to its Enterprise edition; Tercel's workers take them.
    source = flow_with(
        "tasks:\n  - id: t\n"
        + LOG
        + "    workerGroup:\n      key: gpu\n"
        + "triggers:\n  - id: s\n    type: io.kestra.plugin.core.trigger.Schedule\n"
        "    cron: '* * * * *'\n    workerGroup:\n      key: gpu\n"
    )
    flow = load_flow(source)
    assert flow.tasks[0].worker_group is not None
    assert flow.tasks[0].worker_group.key == "gpu"
