"""Stored flow unit tests and their run results: the same behaviour on every backend."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tercel.store.api import Store
from tercel.store.records import TestRunRecord, TestSuiteRecord

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def _suite(namespace: str, suite_id: str, flow_id: str = "etl") -> TestSuiteRecord:
    return TestSuiteRecord("main", namespace, suite_id, flow_id, f"id: {suite_id}\n")


def _run(run_id: str, suite_id: str, minutes: int, state: str = "SUCCESS") -> TestRunRecord:
    start = T0 + timedelta(minutes=minutes)
    return TestRunRecord(
        "main",
        run_id,
        "company.team",
        suite_id,
        "etl",
        state,
        start,
        start,
        {"id": run_id, "state": state, "results": [{"testId": "a"}]},
    )


def test_suites_are_replaced_found_listed_and_deleted(store: Store) -> None:
    store.tests.put(_suite("company.team", "b"))
    store.tests.put(_suite("company.team", "a", "other"))
    store.tests.put(_suite("company.team.sub", "c"))
    store.tests.put(_suite("company.teams", "d"))
    replaced = store.tests.put(
        TestSuiteRecord("main", "company.team", "b", "etl", "id: b\n# v2\n", disabled=True)
    )
    assert replaced.updated is not None
    found = store.tests.find("company.team", "b")
    assert found is not None
    assert (found.source, found.disabled) == ("id: b\n# v2\n", True)
    listed = store.tests.list(namespace="company.team")
    assert [(s.namespace, s.id) for s in listed] == [
        ("company.team", "a"),
        ("company.team", "b"),
        ("company.team.sub", "c"),
    ]
    assert [s.id for s in store.tests.list(flow_id="etl")] == ["b", "c", "d"]
    assert store.tests.find("company.team", "b", tenant="other") is None
    assert store.tests.delete("company.team", "b")
    assert not store.tests.delete("company.team", "b")
    assert store.tests.find("company.team", "b") is None


def test_runs_are_kept_newest_first(store: Store) -> None:
    store.tests.add_run(_run("r1", "suite", 0, "FAILED"))
    store.tests.add_run(_run("r2", "suite", 5))
    store.tests.add_run(_run("r3", "other", 3))
    found = store.tests.find_run("r1")
    assert found is not None
    assert (found.state, found.result["results"]) == ("FAILED", [{"testId": "a"}])
    assert found.start_date == T0
    assert [r.id for r in store.tests.runs(namespace="company.team", suite_id="suite")] == [
        "r2",
        "r1",
    ]
    assert [r.id for r in store.tests.runs(limit=2)] == ["r2", "r3"]
    assert store.tests.find_run("r1", tenant="other") is None
