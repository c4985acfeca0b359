"""`execution.Assert`, `storage.Write` and `metric.Publish`, Kestra 1.x core tasks."""

from __future__ import annotations

from pathlib import Path

import pytest

from tercel.errors import TaskError
from tercel.testing import FakeTaskContext, run_task


async def test_assert_passes_when_every_condition_is_truthy(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path, variables={"inputs": {"param": "ok"}})
    task = {
        "id": "check",
        "type": "io.kestra.plugin.core.execution.Assert",
        "conditions": ["{{ inputs.param == 'ok' }}", "{{ 1 + 1 == 2 }}", "yes"],
    }
    await run_task(task, ctx)
    assert {m["name"]: m["value"] for m in ctx.metrics} == {"success": 3.0, "failed": 0.0}


async def test_assert_reports_every_failed_condition_then_fails(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path, variables={"inputs": {"param": "ko"}})
    task = {
        "id": "check",
        "type": "io.kestra.plugin.core.execution.Assert",
        "conditions": ["{{ inputs.param == 'ok' }}", "{{ 1 + 1 == 3 }}", "{{ 0 }}", "1"],
        "errorMessage": "param was {{ inputs.param }}",
    }
    with pytest.raises(TaskError) as raised:
        await run_task(task, ctx)
    assert str(raised.value) == "3 assertions failed!\nparam was ko"
    assert ctx.messages("ERROR") == [
        "Assertion `{{ inputs.param == 'ok' }}` failed!",
        "Assertion `{{ 1 + 1 == 3 }}` failed!",
        "Assertion `{{ 0 }}` failed!",
    ]
    assert {m["name"]: m["value"] for m in ctx.metrics} == {"success": 1.0, "failed": 3.0}


async def test_assert_counts_a_condition_that_cannot_render_as_failed(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path)
    task = {
        "id": "check",
        "type": "io.kestra.plugin.core.execution.Assert",
        "conditions": ["{{ outputs.missing.value == 1 }}"],
    }
    with pytest.raises(TaskError, match=r"^1 assertion failed!$"):
        await run_task(task, ctx)
    assert "failed to render" in ctx.messages("ERROR")[0]


async def test_write_stores_rendered_content_with_its_extension(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path, variables={"inputs": {"who": "Ada"}})
    task = {
        "id": "write",
        "type": "io.kestra.plugin.core.storage.Write",
        "content": "Hello {{ inputs.who }} ✓",
        "extension": ".txt",
    }
    outputs = (await run_task(task, ctx)).outputs
    assert outputs is not None
    assert outputs["uri"].startswith(f"kestra:///company/team/flow/executions/{ctx.execution_id}/")
    assert outputs["uri"].endswith(".txt")
    assert ctx.storage.get(outputs["uri"]).decode() == "Hello Ada ✓"
    bare = (await run_task({**task, "extension": None, "content": "x"}, ctx)).outputs
    assert bare is not None
    assert "." not in bare["uri"].rsplit("/", 1)[-1]


async def test_publish_records_counters_timers_and_gauges(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path)
    task = {
        "id": "metric",
        "type": "io.kestra.plugin.core.metric.Publish",
        "metrics": [
            {
                "type": "timer",
                "name": "duration",
                "value": "PT10M",
                "tags": {"flow": "{{ flow.id }}"},
            },
            {"type": "counter", "name": "number", "value": 42, "tags": {"project": "kestra"}},
            {"type": "gauge", "name": "ratio", "value": "{{ 1.0 / 4 }}"},
        ],
    }
    outputs = (await run_task(task, ctx)).outputs
    assert [(m["name"], m["type"], m["value"], m["tags"]) for m in ctx.metrics] == [
        ("duration", "timer", 600.0, {"flow": "flow"}),
        ("number", "counter", 42.0, {"project": "kestra"}),
        ("ratio", "gauge", 0.25, {}),
    ]
    assert outputs is not None
    assert outputs["metrics"][0] == {
        "type": "timer",
        "name": "duration",
        "value": "PT10M",
        "tags": {"flow": "flow"},
    }


async def test_publish_refuses_an_unknown_metric_type(tmp_path: Path) -> None:
    task = {
        "id": "metric",
        "type": "io.kestra.plugin.core.metric.Publish",
        "metrics": [{"type": "histogram", "name": "x", "value": 1}],
    }
    with pytest.raises(TaskError, match=r"metrics\[0\]\.type"):
        await run_task(task, FakeTaskContext(tmp_path))
