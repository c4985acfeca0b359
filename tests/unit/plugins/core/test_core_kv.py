"""kv.Set, kv.Get, kv.GetKeys and kv.Delete."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tercel.errors import TaskError
from tercel.testing import FakeTaskContext, run_task

KV = "io.kestra.plugin.core.kv."


def _task(kind: str, **props: Any) -> dict[str, Any]:
    return {"id": kind.lower(), "type": KV + kind, **props}


async def test_set_then_get_in_the_flow_namespace(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path, namespace="company.team")
    await run_task(_task("Set", key="my-key", value="hello"), ctx)
    assert ctx.kv.get("company.team", "my-key") == "hello"
    result = await run_task(_task("Get", key="my-key"), ctx)
    assert result.outputs == {"value": "hello"}


async def test_set_keeps_the_type_of_a_lone_expression(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path, variables={"inputs": {"list": [1, 2]}})
    await run_task(_task("Set", key="k", value="{{ inputs.list }}"), ctx)
    await run_task(_task("Set", key="n", value=3), ctx)
    await run_task(_task("Set", key="m", value={"a": "{{ flow.id }}"}), ctx)
    assert ctx.kv.get("company.team", "k") == [1, 2]
    assert ctx.kv.get("company.team", "n") == 3
    assert ctx.kv.get("company.team", "m") == {"a": "flow"}


async def test_set_in_another_namespace(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path)
    await run_task(_task("Set", key="k", value="v", namespace="other.ns"), ctx)
    assert ctx.kv.get("other.ns", "k") == "v"
    result = await run_task(_task("Get", key="k", namespace="other.ns"), ctx)
    assert result.outputs == {"value": "v"}


async def test_set_without_overwrite_fails_when_the_key_exists(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path)
    await run_task(_task("Set", key="k", value="v1"), ctx)
    with pytest.raises(TaskError, match="already exists"):
        await run_task(_task("Set", key="k", value="v2", overwrite=False), ctx)
    assert ctx.kv.get("company.team", "k") == "v1"


async def test_set_with_ttl_expires(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path)
    await run_task(_task("Set", key="k", value="v", ttl="PT1H"), ctx)
    assert ctx.kv.get("company.team", "k") == "v"
    with pytest.raises(TaskError, match="ttl"):
        await run_task(_task("Set", key="k", value="v", ttl="soon"), ctx)


async def test_set_refuses_an_unknown_kv_type(tmp_path: Path) -> None:
    with pytest.raises(TaskError, match="kvType"):
        await run_task(_task("Set", key="k", value="v", kvType="BLOB"), FakeTaskContext(tmp_path))


async def test_get_missing_outputs_null_or_fails_when_asked(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path)
    result = await run_task(_task("Get", key="nope"), ctx)
    assert result.outputs == {"value": None}
    with pytest.raises(TaskError, match="nope"):
        await run_task(_task("Get", key="nope", errorOnMissing=True), ctx)


async def test_get_keys_with_prefix(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path)
    for key in ("b.two", "a.one", "b.one"):
        ctx.kv.set("company.team", key, 1)
    assert (await run_task(_task("GetKeys"), ctx)).outputs == {"keys": ["a.one", "b.one", "b.two"]}
    assert (await run_task(_task("GetKeys", prefix="b."), ctx)).outputs == {
        "keys": ["b.one", "b.two"]
    }


async def test_delete_reports_whether_it_deleted(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path)
    ctx.kv.set("company.team", "k", 1)
    assert (await run_task(_task("Delete", key="k"), ctx)).outputs == {"deleted": True}
    assert (await run_task(_task("Delete", key="k"), ctx)).outputs == {"deleted": False}
    with pytest.raises(TaskError, match="does not exist"):
        await run_task(_task("Delete", key="k", errorOnMissing=True), ctx)


async def test_kv_type_forces_the_stored_type(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path)
    await run_task(_task("Set", key="n", value="42", kvType="NUMBER"), ctx)
    await run_task(_task("Set", key="j", value='{"a": [1]}', kvType="json"), ctx)
    assert ctx.kv.get("company.team", "n") == 42
    assert ctx.kv.get("company.team", "j") == {"a": [1]}
    with pytest.raises(TaskError, match="BOOLEAN"):
        await run_task(_task("Set", key="b", value="maybe", kvType="BOOLEAN"), ctx)


async def test_invalid_key_fails_with_what_is_allowed(tmp_path: Path) -> None:
    with pytest.raises(TaskError, match="letters, digits"):
        await run_task(_task("Set", key="bad key!", value=1), FakeTaskContext(tmp_path))


async def test_set_stores_a_description(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path)
    await run_task(_task("Set", key="k", value=1, kvDescription="the {{ flow.id }} key"), ctx)
    entry = ctx.store.kv.entry("company.team", "k")
    assert entry is not None
    assert entry.description == "the flow key"


@pytest.mark.parametrize("namespace", ["other..ns", "other.ns.", ".other", "a...b"])
async def test_a_namespace_with_an_empty_segment_fails_the_task(
    tmp_path: Path, namespace: str
) -> None:
    ctx = FakeTaskContext(tmp_path)
    with pytest.raises(TaskError, match="empty segment"):
        await run_task(_task("Set", key="k", value="v", namespace=namespace), ctx)
    with pytest.raises(TaskError, match="empty segment"):
        await run_task(_task("Get", key="k", namespace=namespace), ctx)


async def test_purge_kv_deletes_expired_keys_of_a_namespace_and_its_children(
    tmp_path: Path,
) -> None:
    from datetime import UTC, datetime, timedelta

    ctx = FakeTaskContext(tmp_path)
    past = datetime.now(UTC) - timedelta(days=1)
    store = ctx.store.kv
    for namespace, key in [("company", "a"), ("company.team", "b"), ("other", "c")]:
        store.set(namespace, key, 1, ttl_seconds=60, now=past)
    store.set("company", "AI_keep", 1)
    store.set("company", "AI_old", 1, ttl_seconds=60, now=past)
    result = await run_task(
        _task("PurgeKV", namespaces=["company"], keyPattern="AI_*", expiredOnly=True), ctx
    )
    assert result.outputs == {"size": 1}
    result = await run_task(_task("PurgeKV", namespaces=["company"]), ctx)
    assert result.outputs == {"size": 2}
    result = await run_task(
        _task("PurgeKV", namespacePattern="com*", behavior={"expiredOnly": False}), ctx
    )
    assert result.outputs == {"size": 1}
    assert ctx.kv.keys("company") == []
    assert ctx.kv.keys("other") == []
    assert store.purge(lambda namespace, key: True) == 1


async def test_purge_kv_refuses_namespaces_with_a_namespace_pattern(tmp_path: Path) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="not both"):
        await run_task(
            _task("PurgeKV", namespaces=["a"], namespacePattern="b*"), FakeTaskContext(tmp_path)
        )
