"""The engine's small parts: precedence, allowances, retry delays, loop values, outputs tree."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tercel.engine.outputs import put_outputs
from tercel.engine.retry import delay_for, next_attempt_at
from tercel.engine.state import State
from tercel.engine.states import allow, subflow_state, worst_state
from tercel.engine.typed import parse_typed
from tercel.model.durations import parse_duration
from tercel.model.task import Retry
from tercel.plugins.core.flow.foreach_item import (
    Batch,
    ForEachItemMergeOutputs,
    ForEachItemSplit,
    split_content,
)
from tercel.testing import FakeTaskContext

T0 = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("states", "expected"),
    [
        ([State.SUCCESS, State.KILLED, State.FAILED], State.KILLED),
        ([State.WARNING, State.FAILED, State.SUCCESS], State.FAILED),
        ([State.SUCCESS, State.WARNING], State.WARNING),
        ([State.PAUSED, State.SUCCESS], State.PAUSED),
        ([State.SKIPPED, State.CANCELLED, State.SUCCESS], State.SUCCESS),
        ([], State.SUCCESS),
    ],
)
def test_final_state_precedence(states: list[State], expected: State) -> None:
    assert worst_state(states) is expected


def test_allow_failure_then_allow_warning() -> None:
    assert allow(State.FAILED, allow_failure=True, allow_warning=False) is State.WARNING
    assert allow(State.FAILED, allow_failure=True, allow_warning=True) is State.SUCCESS
    assert allow(State.WARNING, allow_failure=False, allow_warning=True) is State.SUCCESS
    assert allow(State.FAILED, allow_failure=False, allow_warning=True) is State.FAILED


def test_subflow_state_transmits_only_when_asked() -> None:
    assert subflow_state(State.FAILED, transmit_failed=True) is State.FAILED
    assert subflow_state(State.WARNING, transmit_failed=True) is State.WARNING
    assert subflow_state(State.FAILED, transmit_failed=False) is State.SUCCESS


def test_exponential_delay_grows_and_is_capped() -> None:
    retry = Retry(type="exponential", interval="PT1S", max_interval="PT5S", max_attempt=10)
    delays = [delay_for(retry, n, 0.0).total_seconds() for n in range(1, 6)]
    assert delays == [1.0, 2.0, 4.0, 5.0, 5.0]


def test_random_delay_uses_the_injected_draw() -> None:
    retry = Retry(type="random", min_interval="PT1S", max_interval="PT3S", max_attempt=3)
    assert delay_for(retry, 1, 0.0) == timedelta(seconds=1)
    assert delay_for(retry, 1, 0.5) == timedelta(seconds=2)


def test_max_attempt_counts_the_first_attempt() -> None:
    retry = Retry(type="constant", interval="PT1S", max_attempt=2)
    assert next_attempt_at(retry, attempts_done=1, first_started=T0, last_ended=T0, draw=0) == (
        T0 + timedelta(seconds=1)
    )
    assert next_attempt_at(retry, attempts_done=2, first_started=T0, last_ended=T0, draw=0) is None


def test_max_duration_bounds_the_next_attempt() -> None:
    retry = Retry(type="constant", interval="PT2S", max_duration="PT3S")
    later = T0 + timedelta(seconds=2)
    assert next_attempt_at(retry, attempts_done=1, first_started=T0, last_ended=T0, draw=0)
    assert (
        next_attempt_at(retry, attempts_done=2, first_started=T0, last_ended=later, draw=0) is None
    )


def test_outputs_tree_nests_by_loop_values_and_merges() -> None:
    tree: dict[str, Any] = {}
    put_outputs(tree, "t", ["a", "b"], {"value": 1})
    put_outputs(tree, "t", ["a", "c"], {"value": 2})
    put_outputs(tree, "u", [], {"x": {"y": 1}})
    put_outputs(tree, "u", [], {"x": {"z": 2}})
    assert tree == {
        "t": {"a": {"b": {"value": 1}, "c": {"value": 2}}},
        "u": {"x": {"y": 1, "z": 2}},
    }


def test_durations_parse_kestra_forms() -> None:
    assert parse_duration("PT0.2S") == timedelta(seconds=0.2)
    assert parse_duration("P1DT1H") == timedelta(days=1, hours=1)
    with pytest.raises(ValueError, match="ISO-8601"):
        parse_duration("5s")


def test_typed_outputs() -> None:
    assert parse_typed("INT", "42") == 42
    assert parse_typed("BOOLEAN", "TRUE") is True
    assert parse_typed("JSON", '{"a": 1}') == {"a": 1}
    assert parse_typed("ARRAY", ["x"]) == ["x"]
    with pytest.raises(ValueError, match="Expected `INT`"):
        parse_typed("INT", "abc")


def test_split_content_by_rows_bytes_and_partitions() -> None:
    text = "a\nb\nc\nd\ne\n"
    assert split_content(text, Batch(rows="2"), str) == ["a\nb\n", "c\nd\n", "e\n"]
    assert split_content(text, Batch(partitions="2"), str) == ["a\nb\nc\n", "d\ne\n"]
    assert split_content(text, Batch(bytes="4"), str) == ["a\nb\n", "c\nd\n", "e\n"]
    assert split_content("", Batch(), str) == []


def test_for_each_item_split_writes_batch_files(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path)
    source = ctx.storage.put(ctx.file_uri("items.txt"), b"1\n2\n3\n")
    task = ForEachItemSplit(id="each_split", type="x", items=source, batch=Batch(rows="2"))
    result = asyncio.run(task.run(ctx))  # type: ignore[arg-type]
    splits = result.outputs["splits"]  # type: ignore[index]
    assert [ctx.storage.get(uri) for uri in splits] == [b"1\n2\n", b"3\n"]


def test_for_each_item_merge_writes_outputs_in_iteration_order(tmp_path: Path) -> None:
    outputs = {"each_items": {"subflowOutputs": {"2": {"v": 2}, "10": {"v": 10}, "1": {"v": 1}}}}
    ctx = FakeTaskContext(tmp_path, variables={"outputs": outputs})
    task = ForEachItemMergeOutputs(id="each_merge", type="x", items_id="each_items")
    result = asyncio.run(task.run(ctx))  # type: ignore[arg-type]
    content = ctx.storage.get(result.outputs["subflowOutputs"])  # type: ignore[index]
    assert content.decode().splitlines() == ['{"v":1}', '{"v":2}', '{"v":10}']


def test_for_each_item_batches_live_under_the_split_folder_kestra_uses(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path, task_id="each_split")
    source = ctx.storage.put(ctx.file_uri("items.txt"), b"1\n")
    task = ForEachItemSplit(id="each_split", type="x", items=source)
    result = asyncio.run(task.run(ctx))  # type: ignore[arg-type]
    (uri,) = result.outputs["splits"]  # type: ignore[index]
    assert "/tasks/each-split/" in uri
    assert ctx.storage.get(uri) == b"1\n"
