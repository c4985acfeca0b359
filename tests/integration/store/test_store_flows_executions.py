"""Flows, executions, logs and metrics: the same behaviour on every backend."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from store_builders import T0, finish, make_execution, make_task_run

from tercel.engine.execution import Label, LogEntry
from tercel.engine.state import State
from tercel.errors import ConflictError, NotFoundError
from tercel.store.api import Store, iter_pages
from tercel.store.records import MetricEntry


@dataclass
class FlowRef:
    namespace: str
    id: str


HELLO = "id: hello\nnamespace: company.team\ntasks:\n  - id: t\n    type: io.kestra.plugin.core.log.Log\n    message: hi # kept\n"


def test_saving_a_flow_keeps_its_source_verbatim_and_numbers_revisions(store: Store) -> None:
    first = store.flows.save(HELLO, FlowRef("company.team", "hello"))
    assert first.revision == 1
    assert store.flows.get("company.team", "hello").source == HELLO
    again = store.flows.save(HELLO, FlowRef("company.team", "hello"))
    assert again.revision == 1, "the same source adds no revision"
    changed = store.flows.save(HELLO + "# v2\n", FlowRef("company.team", "hello"))
    assert changed.revision == 2
    assert store.flows.get("company.team", "hello", 1).source == HELLO
    assert [r.revision for r in store.flows.revisions("company.team", "hello")] == [1, 2]


def test_deleted_flows_are_gone_but_their_revisions_remain(store: Store) -> None:
    store.flows.save(HELLO, FlowRef("company.team", "hello"))
    deleted = store.flows.delete("company.team", "hello")
    assert deleted.deleted
    assert deleted.revision == 2
    with pytest.raises(NotFoundError):
        store.flows.get("company.team", "hello")
    assert store.flows.find("company.team", "hello") is None
    assert store.flows.get("company.team", "hello", 1).source == HELLO
    assert store.flows.list() == []
    recreated = store.flows.save(HELLO, FlowRef("company.team", "hello"))
    assert recreated.revision == 3
    assert not recreated.deleted
    with pytest.raises(NotFoundError):
        store.flows.delete("nope", "nope")


def test_flows_are_listed_and_searched_by_namespace_prefix_and_text(store: Store) -> None:
    for ns, flow_id in [
        ("company", "a"),
        ("company.team", "b"),
        ("company.team.x", "c"),
        ("companyx", "d"),
        ("other", "report_daily"),
    ]:
        store.flows.save(f"id: {flow_id}\n", FlowRef(ns, flow_id))
    store.flows.save("id: t\n", FlowRef("company", "a"), tenant="other-tenant")
    assert [f.id for f in store.flows.list("company")] == ["a", "b", "c"]
    assert [f.id for f in store.flows.list("company.team")] == ["b", "c"]
    assert len(store.flows.list()) == 5
    assert len(store.flows.list(tenant=None)) == 6
    page = store.flows.search(query="DAILY")
    assert [f.id for f in page.items] == ["report_daily"]
    assert page.total == 1
    page = store.flows.search(namespace="company", size=2, page=2)
    assert [f.id for f in page.items] == ["c"]
    assert page.total == 3
    assert store.flows.namespaces() == [
        "company",
        "company.team",
        "company.team.x",
        "companyx",
        "other",
    ]


def test_namespace_prefix_does_not_treat_underscore_as_a_wildcard(store: Store) -> None:
    store.flows.save("x", FlowRef("a_b", "f1"))
    store.flows.save("x", FlowRef("axb", "f2"))
    assert [f.id for f in store.flows.list("a_b")] == ["f1"]


def test_an_execution_round_trips_with_its_task_runs_in_creation_order(store: Store) -> None:
    execution = make_execution(labels={"team": "data"}, tasks=3)
    store.executions.create(execution)
    loaded = store.executions.get(execution.id)
    assert loaded.to_wire() == execution.to_wire()
    assert [tr.task_id for tr in loaded.task_run_list] == ["t0", "t1", "t2"]
    with pytest.raises(ConflictError):
        store.executions.create(execution)
    with pytest.raises(NotFoundError):
        store.executions.get("missing")
    assert store.executions.find(execution.id, tenant="other") is None


def test_saved_executions_are_copies_not_live_objects(store: Store) -> None:
    execution = make_execution(tasks=1)
    store.executions.create(execution)
    execution.task_run_list[0].outputs = {"changed": True}
    assert store.executions.get(execution.id).task_run_list[0].outputs is None
    finish(execution.task_run_list[0], T0)
    execution.inputs = {"nested": {"list": [1]}}
    store.executions.save(execution, execution.task_run_list)
    execution.task_run_list[0].outputs["value"] = "mutated"  # type: ignore[index]
    execution.task_run_list[0].state.set(State.FAILED, T0 + timedelta(seconds=9))
    execution.task_run_list[0].attempts[0].state.set(State.FAILED, T0 + timedelta(seconds=9))
    execution.inputs["nested"]["list"].append(2)
    execution.state.set(State.KILLED, T0 + timedelta(seconds=9))
    loaded = store.executions.get(execution.id)
    assert loaded.task_run_list[0].outputs == {"value": "t0"}
    assert loaded.task_run_list[0].state.current is State.SUCCESS
    assert loaded.task_run_list[0].attempts[0].state.current is State.SUCCESS
    assert loaded.inputs == {"nested": {"list": [1]}}
    assert loaded.state.current is State.CREATED
    loaded.task_run_list[0].state.set(State.KILLED, T0 + timedelta(seconds=10))
    assert store.executions.get(execution.id).task_run_list[0].state.current is State.SUCCESS


def test_saving_changed_task_runs_updates_them_and_keeps_the_others(store: Store) -> None:
    execution = make_execution(tasks=2)
    store.executions.create(execution)
    execution.state.set(State.RUNNING, T0 + timedelta(seconds=1))
    finish(execution.task_run_list[1], T0 + timedelta(seconds=1))
    new = make_task_run(execution, "t2", at=T0 + timedelta(seconds=2))
    store.executions.save(execution, [new, execution.task_run_list[1]])
    loaded = store.executions.get(execution.id)
    assert loaded.state.current is State.RUNNING
    assert [tr.task_id for tr in loaded.task_run_list] == ["t0", "t1", "t2"]
    assert loaded.task_run_list[1].state.current is State.SUCCESS
    assert loaded.task_run_list[1].outputs == {"value": "t1"}
    assert loaded.to_wire() == execution.to_wire()


def test_saving_with_none_rewrites_every_task_run(store: Store) -> None:
    execution = make_execution(tasks=3)
    store.executions.create(execution)
    del execution.task_run_list[1]
    store.executions.save(execution, None)
    assert [tr.task_id for tr in store.executions.get(execution.id).task_run_list] == ["t0", "t2"]


def test_save_of_an_unknown_execution_writes_only_the_given_task_runs(store: Store) -> None:
    execution = make_execution(tasks=2)
    store.executions.save(execution, [execution.task_run_list[1]])
    assert [tr.task_id for tr in store.executions.get(execution.id).task_run_list] == ["t1"]


def test_executions_are_searched_by_namespace_flow_state_labels_and_dates(store: Store) -> None:
    a = make_execution("company.team", "a", state=State.SUCCESS, start=T0, labels={"env": "prod"})
    b = make_execution(
        "company.team.sub",
        "b",
        state=State.FAILED,
        start=T0 + timedelta(hours=1),
        labels={"env": "dev", "owner": "ada"},
    )
    c = make_execution("companyx", "a", state=State.RUNNING, start=T0 + timedelta(hours=2))
    d = make_execution(
        "company.team", "a", state=State.SUCCESS, start=T0 + timedelta(hours=3), tenant="t2"
    )
    for execution in (a, b, c, d):
        store.executions.create(execution)

    def ids(**filters: object) -> list[str]:
        return [e.id for e in store.executions.search(**filters).items]  # type: ignore[arg-type]

    assert ids() == [c.id, b.id, a.id], "newest first, one tenant"
    assert ids(namespace="company.team") == [b.id, a.id]
    assert ids(flow_id="a") == [c.id, a.id]
    assert ids(states=[State.FAILED, State.SUCCESS]) == [b.id, a.id]
    assert ids(labels={"env": "dev"}) == [b.id]
    assert ids(labels={"env": "dev", "owner": "bob"}) == []
    assert ids(start_from=T0 + timedelta(minutes=30), start_to=T0 + timedelta(hours=1)) == [b.id]
    assert ids(tenant="t2") == [d.id]
    assert ids(query="SUB") == [b.id]
    assert ids(query=a.id.lower()) == [a.id]
    assert ids(query="company_") == []
    page = store.executions.search(size=2, page=2)
    assert page.total == 3
    assert [e.id for e in page.items] == [a.id]
    light = store.executions.search(with_task_runs=False).items[0]
    assert light.task_run_list == []
    assert store.executions.count(flow_id="a", states=[State.SUCCESS]) == 1
    assert store.executions.ids_in_states([State.RUNNING, State.FAILED]) == [b.id, c.id]


def test_changed_labels_are_searchable_after_save(store: Store) -> None:
    execution = make_execution(labels={"env": "dev"})
    store.executions.create(execution)
    execution.labels.append(Label("env", "prod"))
    store.executions.save(execution, [])
    assert [e.id for e in store.executions.search(labels={"env": "prod"}).items] == [execution.id]
    assert store.executions.search(labels={"env": "dev"}).total == 0


def test_children_are_found_by_parent_id(store: Store) -> None:
    parent = make_execution()
    child = make_execution(parent_id=parent.id)
    store.executions.create(parent)
    store.executions.create(child)
    assert [e.id for e in store.executions.search(parent_id=parent.id).items] == [child.id]


def _log(
    execution_id: str,
    level: str,
    message: str,
    task_run_id: str | None = None,
    attempt: int | None = None,
    seconds: int = 0,
) -> LogEntry:
    return LogEntry(
        namespace="company.team",
        flow_id="hello",
        execution_id=execution_id,
        timestamp=T0 + timedelta(seconds=seconds),
        level=level,
        message=message,
        task_id="t" if task_run_id else None,
        task_run_id=task_run_id,
        attempt_number=attempt,
    )


def test_logs_are_listed_in_order_and_filtered(store: Store) -> None:
    store.logs.append(
        [
            _log("e1", "DEBUG", "one"),
            _log("e1", "INFO", "two", "tr1", 1, 1),
            _log("e1", "WARN", "three", "tr1", 2, 2),
            _log("e1", "ERROR", "four", "tr2", 1, 3),
            _log("e2", "ERROR", "other"),
        ]
    )
    store.logs.append([])

    def messages(**filters: object) -> list[str]:
        return [e.message for e in store.logs.list("e1", **filters)]  # type: ignore[arg-type]

    assert messages() == ["one", "two", "three", "four"]
    assert messages(min_level="WARNING") == ["three", "four"]
    assert messages(min_level="info", task_run_id="tr1") == ["two", "three"]
    assert messages(task_id="t", attempt=1) == ["two", "four"]
    assert messages(offset=1, limit=2) == ["two", "three"]
    entry = store.logs.list("e1")[1]
    assert entry.timestamp == T0 + timedelta(seconds=1)
    assert entry.attempt_number == 1
    assert store.logs.delete("e1", levels=["DEBUG", "WARNING"]) == 2
    assert messages() == ["two", "four"]
    assert store.logs.delete("e1", tenant="other") == 0
    assert store.logs.delete("e1") == 2
    assert store.logs.list("e1") == []


def test_deleting_an_execution_removes_its_logs_metrics_and_timers(store: Store) -> None:
    execution = make_execution(tasks=2)
    store.executions.create(execution)
    store.logs.append([_log(execution.id, "INFO", "hello")])
    store.metrics.append(
        [
            MetricEntry(
                "rows",
                "counter",
                3.0,
                T0,
                "company.team",
                "hello",
                execution.id,
                "t0",
                None,
                {"k": "v"},
            )
        ]
    )
    store.delays.schedule(execution.id, "retry", T0)
    assert store.metrics.list(execution.id)[0].tags == {"k": "v"}
    assert store.executions.delete(execution.id)
    assert store.executions.find(execution.id) is None
    assert store.logs.list(execution.id) == []
    assert store.metrics.list(execution.id) == []
    assert store.delays.list(execution.id) == []
    assert not store.executions.delete(execution.id)


def test_iterating_pages_survives_deleting_what_was_read(store: Store) -> None:
    executions = [make_execution(start=T0 + timedelta(seconds=n)) for n in range(7)]
    for execution in executions:
        store.executions.create(execution)
    seen = []
    for execution in iter_pages(store.executions.search, size=3, with_task_runs=False):
        seen.append(execution.id)
        store.executions.delete(execution.id)
    assert sorted(seen) == sorted(e.id for e in executions)
    assert store.executions.count() == 0
