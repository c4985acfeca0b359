"""pluginDefaults: prefix matching, deep merge, forced, any depth, positions in the defaults."""

from __future__ import annotations

from typing import Any

from model_helpers import flow_with, problems

from tercel.model.defaults import PluginDefaultEntry, apply_plugin_defaults
from tercel.model.loader import load_flow


def test_default_fills_a_missing_property_of_a_matching_task() -> None:
    flow = load_flow(
        flow_with(
            "pluginDefaults:\n"
            "  - type: io.kestra.plugin.core.log.Log\n"
            "    values:\n      message: from default\n      level: WARN\n"
            "tasks:\n  - id: t\n    type: io.kestra.plugin.core.log.Log\n    level: ERROR\n"
        )
    )
    task: Any = flow.tasks[0]
    assert task.message == "from default"
    assert str(task.level).endswith("ERROR")


def test_prefix_matches_every_type_under_a_package() -> None:
    data = apply_plugin_defaults(
        {
            "pluginDefaults": [{"type": "io.kestra.plugin.core", "values": {"x": 1}}],
            "tasks": [{"id": "a", "type": "io.kestra.plugin.core.log.Log"}],
            "triggers": [
                {
                    "id": "s",
                    "type": "io.kestra.plugin.core.trigger.Schedule",
                    "conditions": [{"type": "io.kestra.plugin.core.condition.Weekend"}],
                }
            ],
        }
    )
    assert data["tasks"][0]["x"] == 1
    assert data["triggers"][0]["x"] == 1
    assert data["triggers"][0]["conditions"][0]["x"] == 1


def test_non_forced_default_deep_merges_and_the_task_wins() -> None:
    data = apply_plugin_defaults(
        {
            "pluginDefaults": [{"type": "t.X", "values": {"opts": {"a": 1, "b": 1}, "keep": "d"}}],
            "tasks": [{"id": "a", "type": "t.X", "opts": {"b": 2}, "keep": "task"}],
        }
    )
    assert data["tasks"][0]["opts"] == {"a": 1, "b": 2}
    assert data["tasks"][0]["keep"] == "task"


def test_forced_default_overrides_the_task() -> None:
    data = apply_plugin_defaults(
        {
            "pluginDefaults": [{"type": "t.X", "forced": True, "values": {"keep": "forced"}}],
            "tasks": [{"id": "a", "type": "t.X", "keep": "task"}],
        }
    )
    assert data["tasks"][0]["keep"] == "forced"


def test_first_declared_default_wins_and_extra_defaults_come_after_the_flow() -> None:
    data = apply_plugin_defaults(
        {
            "pluginDefaults": [{"type": "t.X", "values": {"v": "flow"}}],
            "tasks": [{"id": "a", "type": "t.X"}],
        },
        [PluginDefaultEntry("t", {"v": "namespace", "w": "namespace"})],
    )
    assert data["tasks"][0] == {"id": "a", "type": "t.X", "v": "flow", "w": "namespace"}


def test_defaults_reach_nested_tasks() -> None:
    data = apply_plugin_defaults(
        {
            "pluginDefaults": [{"type": "t.Leaf", "values": {"v": 1}}],
            "tasks": [{"id": "p", "type": "t.Parent", "tasks": [{"id": "c", "type": "t.Leaf"}]}],
        }
    )
    assert data["tasks"][0]["tasks"][0]["v"] == 1
    assert "v" not in data["tasks"][0]


def test_null_property_of_a_plugin_counts_as_not_set() -> None:
    data = apply_plugin_defaults(
        {"tasks": [{"id": "a", "type": "t.X", "gone": None, "kept": {"inner": None}}]}
    )
    assert data["tasks"][0] == {"id": "a", "type": "t.X", "kept": {"inner": None}}


def test_unknown_property_in_a_default_points_into_plugin_defaults() -> None:
    source = flow_with(
        "pluginDefaults:\n"
        "  - type: io.kestra.plugin.core.log.Log\n"
        "    values:\n      mesage: typo\n"
        "tasks:\n  - id: t\n    type: io.kestra.plugin.core.log.Log\n    message: hi\n"
    )
    assert problems(source) == [("unknown property `mesage`", 6, 7)]


def test_a_bad_default_shared_by_several_tasks_is_reported_once() -> None:
    source = flow_with(
        "pluginDefaults:\n"
        "  - type: io.kestra.plugin.core.log.Log\n"
        "    values:\n      levl: DEBUG\n"
        "tasks:\n"
        + "".join(
            f"  - id: t{n}\n    type: io.kestra.plugin.core.log.Log\n    message: hi\n"
            for n in range(3)
        )
    )
    assert problems(source) == [("unknown property `levl`", 6, 7)]


def test_deprecated_task_defaults_are_applied_too() -> None:
    flow = load_flow(
        flow_with(
            "taskDefaults:\n"
            "  - type: io.kestra.plugin.core.log.Log\n    values:\n      message: d\n"
            "tasks:\n  - id: t\n    type: io.kestra.plugin.core.log.Log\n"
        )
    )
    task: Any = flow.tasks[0]
    assert task.message == "d"


def test_namespace_defaults_given_as_a_list_apply_after_the_flows() -> None:
    from tercel.model.defaults import plugin_default_entries

    namespace = plugin_default_entries(
        [
            {"type": "io.kestra.plugin.core.log.Log", "values": {"message": "ns", "level": "WARN"}},
            "not a default",
        ]
    )
    flow = load_flow(
        flow_with(
            "pluginDefaults:\n  - type: io.kestra.plugin.core.log\n    values:\n      level: ERROR\n"
            "tasks:\n  - id: t\n    type: io.kestra.plugin.core.log.Log\n"
        ),
        extra_defaults=namespace,
    )
    task: Any = flow.tasks[0]
    assert (task.message, str(task.level).rsplit(".", 1)[-1]) == ("ns", "ERROR")
