"""KV, namespaces, secrets, triggers, jobs and timers: the same behaviour on every backend."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from store_builders import T0

from tercel.errors import ConflictError, InvalidNameError
from tercel.store.api import Store
from tercel.store.records import JOB_FAILED, JOB_QUEUED, JOB_RUNNING, NamespaceRecord, TriggerState


def test_kv_values_keep_their_type(store: Store) -> None:
    store.kv.set("company", "s", "text")
    store.kv.set("company", "n", 42)
    store.kv.set("company", "j", {"a": [1, 2]})
    store.kv.set("company", "forced", "12.5", kv_type="NUMBER")
    assert store.kv.get("company", "s") == "text"
    assert store.kv.get("company", "n") == 42
    assert store.kv.get("company", "j") == {"a": [1, 2]}
    assert store.kv.get("company", "forced") == 12.5
    entry = store.kv.entry("company", "j")
    assert entry is not None
    assert entry.type == "JSON"
    assert store.kv.get("company.team", "s") is None, "KV is per namespace"
    assert store.kv.get("company", "s", tenant="other") is None


def test_kv_purge_deletes_expired_entries_the_selector_accepts(store: Store) -> None:
    past = datetime.now(UTC) - timedelta(hours=1)
    store.kv.set("company", "old", 1, ttl_seconds=60, now=past)
    store.kv.set("company.team", "old", 2, ttl_seconds=60, now=past)
    store.kv.set("other", "old", 3, ttl_seconds=60, now=past)
    store.kv.set("company", "live", 4)
    store.kv.set("company", "old", 5, ttl_seconds=60, now=past, tenant="t2")
    purged = store.kv.purge(lambda namespace, key: namespace.startswith("company"))
    assert purged == 2
    assert store.kv.purge(lambda namespace, key: True, expired_only=False) == 2
    assert store.kv.keys("company") == []
    assert store.kv.purge(lambda namespace, key: True, tenant="t2") == 1


def test_kv_expired_entries_behave_as_absent(store: Store) -> None:
    past = datetime.now(UTC) - timedelta(hours=1)
    store.kv.set("ns", "old", 1, ttl_seconds=60, now=past)
    store.kv.set("ns", "fresh", 2, ttl_seconds=3600)
    assert store.kv.get("ns", "old") is None
    assert store.kv.keys("ns") == ["fresh"]
    assert [e.key for e in store.kv.list("ns")] == ["fresh"]
    store.kv.set("ns", "old", 3, overwrite=False)
    assert store.kv.get("ns", "old") == 3
    assert not store.kv.delete("ns", "missing")


def test_kv_overwrite_false_refuses_an_existing_key(store: Store) -> None:
    store.kv.set("ns", "k", "v1")
    with pytest.raises(ConflictError):
        store.kv.set("ns", "k", "v2", overwrite=False)
    assert store.kv.get("ns", "k") == "v1"


def test_kv_keys_are_sorted_filtered_by_prefix_and_validated(store: Store) -> None:
    for key in ["b_2", "b_1", "bx"]:
        store.kv.set("ns", key, key)
    store.kv.set("ns", "a1", "x")
    assert store.kv.keys("ns") == ["a1", "b_1", "b_2", "bx"]
    assert store.kv.keys("ns", "b_") == ["b_1", "b_2"]
    with pytest.raises(InvalidNameError):
        store.kv.set("ns", "bad key", 1)
    assert store.kv.delete("ns", "a1")
    assert store.kv.get("ns", "a1") is None


def test_namespaces_inherit_variables_and_plugin_defaults(store: Store) -> None:
    store.namespaces.put(
        NamespaceRecord(
            "main",
            "data",
            "root",
            {"db": {"host": "h", "port": 1}, "x": 1},
            [{"type": "io.kestra.plugin.core.log.Log", "values": {"level": "WARN"}}],
        )
    )
    store.namespaces.put(
        NamespaceRecord(
            "main",
            "data.sources",
            "child",
            {"db": {"port": 2}},
            [{"type": "io.kestra.plugin.core", "values": {}}],
        )
    )
    effective = store.namespaces.effective("data.sources.api")
    assert effective.variables == {"db": {"host": "h", "port": 2}, "x": 1}
    assert [d["type"] for d in effective.plugin_defaults] == [
        "io.kestra.plugin.core",
        "io.kestra.plugin.core.log.Log",
    ]
    assert store.namespaces.effective("data.sources").description == "child"
    assert [n.id for n in store.namespaces.list("data")] == ["data", "data.sources"]
    found = store.namespaces.find("data")
    assert found is not None
    assert found.updated is not None
    assert store.namespaces.delete("data")
    assert store.namespaces.find("data") is None
    assert store.namespaces.effective("data.sources").variables == {"db": {"port": 2}}


def _trigger(next_date: datetime | None, **extra: object) -> TriggerState:
    return TriggerState(
        "main", "company", "daily", "schedule", next_execution_date=next_date, **extra
    )  # type: ignore[arg-type]


def test_a_schedule_date_is_fired_by_only_one_scheduler(store: Store) -> None:
    store.triggers.save(_trigger(T0))
    first = _trigger(T0 + timedelta(days=1), date=T0, execution_id="e1")
    second = _trigger(T0 + timedelta(days=1), date=T0, execution_id="e2")
    assert store.triggers.advance(first, T0)
    assert not store.triggers.advance(second, T0), "the date was already fired"
    stored = store.triggers.find("company", "daily", "schedule")
    assert stored is not None
    assert stored.execution_id == "e1"
    assert stored.next_execution_date == T0 + timedelta(days=1)
    fresh = TriggerState("main", "company", "other", "schedule", next_execution_date=T0)
    assert store.triggers.advance(fresh, None)
    assert not store.triggers.advance(fresh, None)


def test_due_triggers_skip_disabled_and_locked_ones(store: Store) -> None:
    store.triggers.save(TriggerState("main", "a", "f1", "s", next_execution_date=T0))
    store.triggers.save(TriggerState("main", "a", "f2", "s", next_execution_date=T0, disabled=True))
    store.triggers.save(
        TriggerState("main", "a", "f3", "s", next_execution_date=T0 + timedelta(hours=1))
    )
    store.triggers.save(
        TriggerState(
            "t2",
            "b",
            "f4",
            "s",
            next_execution_date=T0 - timedelta(hours=1),
            backfill={"start": "2024-01-01"},
            extra={"seen": ["x"]},
        )
    )
    due = store.triggers.due(T0)
    assert [t.flow_id for t in due] == ["f4", "f1"]
    assert due[0].backfill == {"start": "2024-01-01"}
    assert due[0].extra == {"seen": ["x"]}
    assert store.triggers.lock("a", "f1", "s", owner="s1", until=T0 + timedelta(minutes=1), now=T0)
    assert not store.triggers.lock(
        "a", "f1", "s", owner="s2", until=T0 + timedelta(minutes=1), now=T0
    )
    assert [t.flow_id for t in store.triggers.due(T0)] == ["f4"]
    later = T0 + timedelta(minutes=2)
    assert store.triggers.lock(
        "a", "f1", "s", owner="s2", until=later + timedelta(minutes=1), now=later
    ), "lease expired"
    assert not store.triggers.unlock("a", "f1", "s", owner="s1")
    assert store.triggers.unlock("a", "f1", "s")
    assert [t.flow_id for t in store.triggers.list(namespace="a")] == ["f1", "f2", "f3"]
    assert len(store.triggers.list(tenant=None)) == 4
    assert store.triggers.delete("a", "f1", "s")
    assert store.triggers.find("a", "f1", "s") is None


def test_locking_an_unknown_trigger_creates_its_state(store: Store) -> None:
    assert store.triggers.lock("n", "f", "t", owner="me", until=T0 + timedelta(minutes=1), now=T0)
    state = store.triggers.find("n", "f", "t")
    assert state is not None
    assert state.locked_by == "me"


def test_jobs_are_claimed_oldest_first_heartbeated_and_completed(store: Store) -> None:
    ids = [store.jobs.enqueue("task", {"n": n}, key=f"e{n}") for n in range(3)]
    store.jobs.enqueue("other", {})
    claimed = store.jobs.claim("w1", kinds=["task"], limit=2, now=T0)
    assert [job.id for job in claimed] == ids[:2]
    assert claimed[0].status == JOB_RUNNING
    assert claimed[0].payload == {"n": 0}
    assert claimed[0].attempts == 1
    assert claimed[0].claimed_by == "w1"
    assert store.jobs.heartbeat([ids[0], ids[2]], "w1", T0 + timedelta(seconds=5)) == 1
    assert store.jobs.complete(ids[0])
    assert store.jobs.get(ids[0]) is None
    assert store.jobs.fail(ids[1], "boom")
    failed = store.jobs.get(ids[1])
    assert failed is not None
    assert failed.status == JOB_FAILED
    assert failed.payload["error"] == "boom"
    assert store.jobs.count(JOB_QUEUED) == 2
    assert store.jobs.count(JOB_QUEUED, kind="other") == 1


def test_a_dead_workers_jobs_are_requeued_and_claimed_again(store: Store) -> None:
    job_id = store.jobs.enqueue("task", {})
    keep_id = store.jobs.enqueue("task", {})
    store.jobs.claim("dead", limit=1, now=T0)
    store.jobs.claim("alive", limit=1, now=T0 + timedelta(minutes=5))
    requeued = store.jobs.requeue_stale(T0 + timedelta(minutes=1))
    assert [job.id for job in requeued] == [job_id]
    again = store.jobs.claim("w2", now=T0 + timedelta(minutes=6))
    assert [job.id for job in again] == [job_id]
    assert again[0].attempts == 2
    kept = store.jobs.get(keep_id)
    assert kept is not None
    assert kept.claimed_by == "alive"
    assert store.jobs.release(job_id)
    released = store.jobs.get(job_id)
    assert released is not None
    assert released.status == JOB_QUEUED
    assert released.attempts == 1


def test_timers_come_due_in_order_and_can_be_cancelled(store: Store) -> None:
    late = store.delays.schedule("e1", "retry", T0 + timedelta(seconds=10), {"taskRunId": "tr"})
    early = store.delays.schedule("e1", "pause", T0)
    other = store.delays.schedule("e2", "retry", T0 + timedelta(seconds=5))
    assert [d.id for d in store.delays.due(T0 + timedelta(seconds=10))] == [early, other, late]
    assert store.delays.due(T0 + timedelta(seconds=10))[2].payload == {"taskRunId": "tr"}
    assert [d.id for d in store.delays.due(T0)] == [early]
    assert store.delays.delete(early)
    assert store.delays.cancel("e1", "retry") == 1
    assert store.delays.list("e1") == []
    assert [d.id for d in store.delays.list("e2")] == [other]


def test_a_transaction_groups_writes(store: Store) -> None:
    with store.transaction():
        store.kv.set("ns", "a", 1)
        store.jobs.enqueue("task", {"x": 1})
        with store.transaction():
            store.kv.set("ns", "b", 2)
    assert store.kv.keys("ns") == ["a", "b"]
    assert store.jobs.count() == 1


def test_an_idle_worker_is_woken_by_an_enqueue(store: Store) -> None:
    while store.jobs.wait(0.05):
        pass  # forget wake-ups left by earlier tests on a shared database: then it times out
    woken: list[bool] = []
    waiter = threading.Thread(target=lambda: woken.append(store.jobs.wait(30)))
    waiter.start()
    time.sleep(0.1)
    store.jobs.enqueue("task", {})
    waiter.join(timeout=30)
    assert woken == [True]


def test_a_job_queued_before_the_wait_is_not_missed(store: Store) -> None:
    store.jobs.wait(0.01)
    store.jobs.enqueue("task", {})
    assert store.jobs.wait(0.01)


def test_due_timers_are_taken_once(store: Store) -> None:
    first = store.delays.schedule("e1", "retry", T0)
    second = store.delays.schedule("e2", "pause", T0 + timedelta(seconds=1))
    store.delays.schedule("e3", "retry", T0 + timedelta(hours=1))
    taken = store.delays.take_due(T0 + timedelta(seconds=1))
    assert [d.id for d in taken] == [first, second]
    assert taken[1].kind == "pause"
    assert store.delays.take_due(T0 + timedelta(seconds=1)) == []
    assert len(store.delays.list("e3")) == 1
