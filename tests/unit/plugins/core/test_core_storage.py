"""storage.* tasks on files of internal storage."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from tercel.engine.execution import Execution
from tercel.engine.state import StateTrail
from tercel.errors import TaskError
from tercel.plugins.core.storage import ion
from tercel.testing import FakeTaskContext, parse_task, run_task

S = "io.kestra.plugin.core.storage."


def _task(kind: str, **props: Any) -> dict[str, Any]:
    return {"id": kind.lower(), "type": S + kind, **props}


def _put(ctx: FakeTaskContext, name: str, content: bytes) -> str:
    return ctx.storage.put(ctx.file_uri(name), content)


def _text(ctx: FakeTaskContext, uri: str) -> str:
    return ctx.storage.get(uri).decode()


@pytest.fixture
def ctx(tmp_path: Path) -> FakeTaskContext:
    return FakeTaskContext(tmp_path)


async def test_size(ctx: FakeTaskContext) -> None:
    uri = _put(ctx, "a.txt", b"12345")
    result = await run_task(
        {"id": "s", "type": "io.kestra.core.tasks.storages.Size", "uri": uri}, ctx
    )
    assert result.outputs == {"size": 5}


async def test_size_of_a_missing_file_fails(ctx: FakeTaskContext) -> None:
    with pytest.raises(TaskError, match=r"missing\.txt"):
        await run_task(_task("Size", uri=ctx.file_uri("missing.txt")), ctx)


async def test_uri_must_be_internal(ctx: FakeTaskContext) -> None:
    with pytest.raises(TaskError, match="kestra:///"):
        await run_task(_task("Size", uri="/etc/passwd"), ctx)


async def test_delete(ctx: FakeTaskContext) -> None:
    uri = _put(ctx, "a.txt", b"x")
    assert (await run_task(_task("Delete", uri=uri), ctx)).outputs == {"uri": uri, "deleted": True}
    assert not ctx.storage.exists(uri)
    assert (await run_task(_task("Delete", uri=uri), ctx)).outputs == {
        "uri": uri,
        "deleted": False,
    }
    with pytest.raises(TaskError, match="does not exist"):
        await run_task(_task("Delete", uri=uri, errorOnMissing=True), ctx)


async def test_concat_with_separator_and_extension(ctx: FakeTaskContext) -> None:
    a, b = _put(ctx, "a.txt", b"A"), _put(ctx, "b.txt", b"B")
    result = await run_task(_task("Concat", files=[a, b], separator="\n", extension=".csv"), ctx)
    assert result.outputs is not None
    assert result.outputs["uri"].endswith(".csv")
    assert _text(ctx, result.outputs["uri"]) == "A\nB\n"


async def test_concat_files_from_a_json_string(ctx: FakeTaskContext) -> None:
    a, b = _put(ctx, "a.txt", b"A"), _put(ctx, "b.txt", b"B")
    ctx.variables["outputs"]["first"] = {"uri": a}
    result = await run_task(_task("Concat", files=f'["{{{{ outputs.first.uri }}}}", "{b}"]'), ctx)
    assert result.outputs is not None
    assert result.outputs["uri"].endswith(".tmp")
    assert _text(ctx, result.outputs["uri"]) == "AB"


async def test_reverse_lines(ctx: FakeTaskContext) -> None:
    uri = _put(ctx, "lines.txt", b"1\n2\n3\n")
    result = await run_task(_task("Reverse", **{"from": uri}), ctx)
    assert result.outputs is not None
    assert result.outputs["uri"].endswith(".txt")
    assert _text(ctx, result.outputs["uri"]) == "3\n2\n1\n"


async def test_split_by_rows(ctx: FakeTaskContext) -> None:
    uri = _put(ctx, "rows.csv", b"".join(f"{i}\n".encode() for i in range(5)))
    result = await run_task(_task("Split", rows=2, **{"from": uri}), ctx)
    assert result.outputs is not None
    assert [_text(ctx, u) for u in result.outputs["uris"]] == ["0\n1\n", "2\n3\n", "4\n"]
    assert all(u.endswith(".csv") for u in result.outputs["uris"])


async def test_split_by_partitions_deals_rows_in_turn(ctx: FakeTaskContext) -> None:
    uri = _put(ctx, "rows.txt", b"a\nb\nc\nd\ne\n")
    result = await run_task(_task("Split", partitions=2, **{"from": uri}), ctx)
    assert result.outputs is not None
    assert [_text(ctx, u) for u in result.outputs["uris"]] == ["a\nc\ne\n", "b\nd\n"]


async def test_split_by_bytes_keeps_rows_whole(ctx: FakeTaskContext) -> None:
    uri = _put(ctx, "rows.txt", b"aaaa\nbbbb\ncccc\n")
    result = await run_task(_task("Split", bytes="10B", **{"from": uri}), ctx)
    assert result.outputs is not None
    assert [_text(ctx, u) for u in result.outputs["uris"]] == ["aaaa\nbbbb\n", "cccc\n"]


def test_split_needs_exactly_one_way() -> None:
    with pytest.raises(ValidationError, match="exactly one"):
        parse_task(_task("Split", rows=1, partitions=2, **{"from": "kestra:///x"}))
    with pytest.raises(ValidationError, match="exactly one"):
        parse_task(_task("Split", **{"from": "kestra:///x"}))


async def test_split_refuses_a_bad_size(ctx: FakeTaskContext) -> None:
    uri = _put(ctx, "rows.txt", b"a\n")
    with pytest.raises(TaskError, match="bytes"):
        await run_task(_task("Split", bytes="lots", **{"from": uri}), ctx)


def _ion(ctx: FakeTaskContext, rows: list[Any]) -> str:
    path = ctx.working_dir / "in.ion"
    ion.write_rows(path, rows)
    return ctx.storage.put(ctx.file_uri("in.ion"), path)


def _rows(ctx: FakeTaskContext, uri: str) -> list[Any]:
    return ion.loads(_text(ctx, uri))


async def test_filter_items_includes_matching_rows(ctx: FakeTaskContext) -> None:
    uri = _ion(ctx, [{"n": 1}, {"n": 5}, {"n": 10}])
    result = await run_task(
        _task("FilterItems", filterCondition="{{ n > 2 }}", **{"from": uri}), ctx
    )
    assert result.outputs is not None
    assert _rows(ctx, result.outputs["uri"]) == [{"n": 5}, {"n": 10}]
    assert result.outputs["processedItemsTotal"] == 3
    assert result.outputs["droppedItemsTotal"] == 1


async def test_filter_items_exclude(ctx: FakeTaskContext) -> None:
    uri = _ion(ctx, [{"value": None}, {"value": 2}])
    task = _task(
        "FilterItems", filterCondition="{{ value == null }}", filterType="EXCLUDE", **{"from": uri}
    )
    result = await run_task(task, ctx)
    assert result.outputs is not None
    assert _rows(ctx, result.outputs["uri"]) == [{"value": 2}]


async def test_filter_items_error_behaviour(ctx: FakeTaskContext) -> None:
    uri = _ion(ctx, [{"n": 1}, {"other": 2}])
    failing = _task("FilterItems", filterCondition="{{ n > 0 }}", **{"from": uri})
    with pytest.raises(TaskError, match="item 2"):
        await run_task(failing, ctx)
    result = await run_task({**failing, "errorOrNullBehavior": "EXCLUDE"}, ctx)
    assert result.outputs is not None
    assert _rows(ctx, result.outputs["uri"]) == [{"n": 1}]
    result = await run_task({**failing, "errorOrNullBehavior": "INCLUDE"}, ctx)
    assert result.outputs is not None
    assert _rows(ctx, result.outputs["uri"]) == [{"n": 1}, {"other": 2}]


async def test_deduplicate_items_keeps_the_last_row_per_key(ctx: FakeTaskContext) -> None:
    uri = _ion(ctx, [{"k": "a", "v": 1}, {"k": "b", "v": 2}, {"k": "a", "v": 3}])
    task = _task("DeduplicateItems", expr="{{ k }}", **{"from": uri})
    result = await run_task(task, ctx)
    assert result.outputs is not None
    assert _rows(ctx, result.outputs["uri"]) == [{"k": "b", "v": 2}, {"k": "a", "v": 3}]
    assert result.outputs["numKeys"] == 2
    assert result.outputs["processedItemsTotal"] == 3
    assert result.outputs["droppedItemsTotal"] == 1


async def test_local_files_writes_inputs_and_stores_outputs(ctx: FakeTaskContext) -> None:
    stored = _put(ctx, "source.txt", b"from storage")
    task = _task(
        "LocalFiles",
        inputs={"hello.txt": "Hello {{ flow.id }}", "sub/copy.txt": stored},
        outputs=["*.txt", "sub/*"],
    )
    result = await run_task(task, ctx)
    assert (ctx.working_dir / "hello.txt").read_text() == "Hello flow"
    assert result.outputs is not None
    uris = result.outputs["uris"]
    assert sorted(uris) == ["hello.txt", "sub/copy.txt"]
    assert _text(ctx, uris["sub/copy.txt"]) == "from storage"


async def test_local_files_refuses_paths_outside_the_directory(ctx: FakeTaskContext) -> None:
    with pytest.raises(TaskError, match="outside"):
        await run_task(_task("LocalFiles", inputs={"../escape.txt": "x"}), ctx)


async def test_purge_current_execution_files(ctx: FakeTaskContext) -> None:
    mine = _put(ctx, "a.txt", b"x")
    other = ctx.storage.put("kestra:///company/team/flow/executions/other/tasks/t/r/b.txt", b"y")
    task = {"id": "p", "type": "io.kestra.core.tasks.storages.PurgeExecution"}
    result = await run_task(task, ctx)
    assert result.outputs == {"uris": [mine]}
    assert not ctx.storage.exists(mine)
    assert ctx.storage.exists(other)


async def test_files_of_another_execution_are_refused(ctx: FakeTaskContext) -> None:
    other = ctx.storage.put("kestra:///company/team/flow/executions/other/tasks/t/r/a.txt", b"x")
    with pytest.raises(TaskError, match="belongs to execution `other`"):
        await run_task(_task("Size", uri=other), ctx)
    with pytest.raises(TaskError, match="belongs to execution `other`"):
        await run_task(_task("Concat", files=[other]), ctx)


async def test_files_of_the_triggering_execution_are_allowed(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path, variables={"trigger": {"executionId": "parent"}})
    uri = ctx.storage.put("kestra:///company/team/flow/executions/parent/tasks/t/r/a.txt", b"xy")
    assert (await run_task(_task("Size", uri=uri), ctx)).outputs == {"size": 2}


async def test_split_reads_lines_and_writes_the_separator_after_each(
    ctx: FakeTaskContext,
) -> None:
    uri = _put(ctx, "rows", b"a\r\nb\r\nc")
    result = await run_task(_task("Split", rows=2, separator=";", **{"from": uri}), ctx)
    assert result.outputs is not None
    assert [_text(ctx, u) for u in result.outputs["uris"]] == ["a;b;", "c;"]
    assert all(u.endswith(".tmp") for u in result.outputs["uris"])


async def test_split_by_bytes_starts_a_new_file_once_the_limit_is_reached(
    ctx: FakeTaskContext,
) -> None:
    uri = _put(ctx, "rows.txt", b"aaaa\nbb\ncccccc\nd\n")
    result = await run_task(_task("Split", bytes=6, **{"from": uri}), ctx)
    assert result.outputs is not None
    assert [_text(ctx, u) for u in result.outputs["uris"]] == ["aaaa\nbb\n", "cccccc\n", "d\n"]


async def test_split_by_regex_routes_lines_by_the_first_group(ctx: FakeTaskContext) -> None:
    uri = _put(ctx, "rows.csv", b"eu,1\nus,2\neu,3\nnoise\n")
    result = await run_task(_task("Split", regexPattern=r"^(\w+),", **{"from": uri}), ctx)
    assert result.outputs is not None
    assert [_text(ctx, u) for u in result.outputs["uris"]] == ["eu,1\neu,3\n", "us,2\n"]


async def test_split_regex_needs_a_group(ctx: FakeTaskContext) -> None:
    uri = _put(ctx, "rows.csv", b"a\n")
    with pytest.raises(TaskError, match="capture group"):
        await run_task(_task("Split", regexPattern="a", **{"from": uri}), ctx)


async def test_reverse_with_a_separator(ctx: FakeTaskContext) -> None:
    uri = _put(ctx, "lines.txt", b"1\r\n2\r\n3")
    result = await run_task(_task("Reverse", separator=",", **{"from": uri}), ctx)
    assert result.outputs is not None
    assert _text(ctx, result.outputs["uri"]) == "3,2,1,"


async def test_filter_items_writes_kept_lines_back_unchanged(ctx: FakeTaskContext) -> None:
    uri = _put(ctx, "in.ion", b'{ n: 1, note: "a" }\n\n{n:5,amount:12.30}\n')
    result = await run_task(
        _task("FilterItems", filterCondition="{{ n > 2 }}", **{"from": uri}), ctx
    )
    assert result.outputs is not None
    assert _text(ctx, result.outputs["uri"]) == "{n:5,amount:12.30}\n"
    assert result.outputs["processedItemsTotal"] == 2


async def test_row_files_need_one_value_per_line(ctx: FakeTaskContext) -> None:
    uri = _put(ctx, "in.ion", b"{n:1} {n:2}\n")
    with pytest.raises(TaskError, match="one value per line"):
        await run_task(_task("DeduplicateItems", expr="{{ n }}", **{"from": uri}), ctx)


async def test_purge_can_include_states_and_child_executions(ctx: FakeTaskContext) -> None:
    child = Execution(
        id="child",
        namespace="company.sub",
        flow_id="kid",
        flow_revision=1,
        state=StateTrail.start(datetime(2024, 1, 1, tzinfo=UTC)),
        parent_id=ctx.execution_id,
    )
    ctx.store.executions.create(child)
    state = ctx.storage.put("kestra:///company/team/flow/states/default/_.json", b"{}")
    child_file = ctx.storage.put("kestra:///company/sub/kid/executions/child/tasks/t/r/x", b"x")
    task = _task("PurgeCurrentExecutionFiles", includeStates=True, includeChildExecutions=True)
    result = await run_task(task, ctx)
    assert result.outputs == {"uris": [child_file, state]}
