"""Tercel's components as separate OS processes on one PostgreSQL: what an operator relies on.

Every component is a real ``tercel server <role>`` process (`tercel.cluster.localcluster`),
the database a throw-away PostgreSQL (`scripts/with-postgres.sh`), files a shared directory.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from tercel.cluster.localcluster import Component, LocalCluster
from tercel.engine.state import State
from tercel.store.sql import SqlStore

pytestmark = [pytest.mark.integration, pytest.mark.postgres]

PG_URL = os.environ.get("TEST_DATABASE_URL")
TERCEL = str(Path(sys.executable).parent / "tercel")
#: Exit codes of a clean stop: uvicorn re-raises SIGTERM once it has shut down gracefully.
STOPPED = (0, -signal.SIGTERM)
#: Short, so that a dead worker is noticed within the test's time.
LIVENESS = "4"

CHILD = """\
id: child
namespace: cluster.test
inputs:
  - id: n
    type: INT
tasks:
  - id: say
    type: io.kestra.plugin.core.log.Log
    message: "child {{ inputs.n }}"
outputs:
  - id: doubled
    type: INT
    value: "{{ inputs.n * 2 }}"
"""

PARENT = """\
id: parent
namespace: cluster.test
inputs:
  - id: n
    type: INT
tasks:
  - id: sub
    type: io.kestra.plugin.core.flow.Subflow
    namespace: cluster.test
    flowId: child
    inputs:
      n: "{{ inputs.n }}"
  - id: each
    type: io.kestra.plugin.core.flow.ForEach
    values: [1, 2, 3]
    tasks:
      - id: item
        type: io.kestra.plugin.core.log.Log
        message: "item {{ taskrun.value }}"
  - id: writer
    type: io.kestra.plugin.scripts.shell.Commands
    outputFiles: [out.txt]
    commands:
      - sleep 1
      - echo "value {{ outputs.sub.outputs.doubled }}" > out.txt
  - id: reader
    type: io.kestra.plugin.scripts.shell.Commands
    inputFiles:
      in.txt: "{{ outputs.writer.outputFiles['out.txt'] }}"
    commands:
      - echo "::{\\"outputs\\":{\\"read\\":\\"$(cat in.txt)\\"}}::"
  - id: wait
    type: io.kestra.plugin.core.flow.Pause
    pauseDuration: PT1S
  - id: gpu
    type: io.kestra.plugin.core.debug.Return
    format: "gpu {{ outputs.reader.vars.read }}"
    workerGroup:
      key: gpu
outputs:
  - id: result
    type: STRING
    value: "{{ outputs.gpu.value }}"
"""

#: Task runs of one `parent` execution: sub, each, 3 x item, writer, reader, wait, gpu.
PARENT_TASK_RUNS = 9

SLOW = """\
id: slow
namespace: cluster.test
tasks:
  - id: work
    type: io.kestra.plugin.scripts.shell.Commands
    commands:
      - sleep 3
      - echo done
"""

GROUPED = """\
id: grouped
namespace: cluster.test
tasks:
  - id: on-gpu
    type: io.kestra.plugin.core.log.Log
    message: ran on the gpu group
    workerGroup:
      key: nobody-yet
"""

EVERY_SECOND = """\
id: ticker
namespace: cluster.test
tasks:
  - id: tick
    type: io.kestra.plugin.core.log.Log
    message: "{{ trigger.date }}"
triggers:
  - id: each-second
    type: io.kestra.plugin.core.trigger.Schedule
    cron: "* * * * * *"
    withSeconds: true
"""


@pytest.fixture
def database_url() -> Iterator[str]:
    """A new, empty PostgreSQL database for one test (dropped afterwards)."""
    if not PG_URL:
        pytest.skip("TEST_DATABASE_URL is not set: run under scripts/with-postgres.sh")
    name = f"tercel_cluster_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f"CREATE DATABASE {name}"))
        url = PG_URL.rsplit("/", 1)[0] + "/" + name
        SqlStore.open(url).close()  # migrated once, before processes race to do it
        yield url
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    finally:
        admin.dispose()


@pytest.fixture
def store(database_url: str) -> Iterator[SqlStore]:
    opened = SqlStore.open(database_url)
    yield opened
    opened.close()


@pytest.fixture
def cluster(database_url: str, tmp_path: Path) -> Iterator[LocalCluster]:
    with LocalCluster(database_url, tmp_path / "storage", logs_dir=tmp_path / "logs") as running:
        yield running


def push(web: Component, *sources: str) -> None:
    for source in sources:
        answer = httpx.post(
            f"{web.url}/api/v1/main/flows",
            content=source,
            headers={"Content-Type": "application/x-yaml"},
            timeout=30,
        )
        assert answer.status_code == 200, answer.text


def start(web: Component, flow: str, **inputs: str) -> str:
    answer = httpx.post(
        f"{web.url}/api/v1/main/executions/cluster.test/{flow}",
        files={name: (None, value) for name, value in inputs.items()} or None,
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    return str(answer.json()["id"])


def wait_ended(store: SqlStore, ids: list[str], timeout: float) -> dict[str, Any]:
    """Executions by id once every one is terminated (AssertionError naming the others)."""
    deadline = time.monotonic() + timeout
    while True:
        found = {i: store.executions.get(i) for i in ids}
        left = [i for i, e in found.items() if not e.state.current.is_terminated]
        if not left:
            return found
        if time.monotonic() > deadline:
            states = Counter(found[i].state.current.value for i in left)
            raise AssertionError(f"{len(left)} execution(s) did not end: {dict(states)}")
        time.sleep(0.5)


def logs_text(store: SqlStore, execution_id: str) -> str:
    return "\n".join(entry.message for entry in store.logs.list(execution_id))


def attempts_of(execution: Any, task_id: str) -> list[State]:
    run = next(t for t in execution.task_run_list if t.task_id == task_id)
    return [attempt.state.current for attempt in run.attempts]


def test_mixed_flows_end_as_on_one_process_when_a_worker_and_an_executor_are_killed(
    cluster: LocalCluster, store: SqlStore
) -> None:
    webs = [cluster.start("webserver") for _ in range(2)]
    executors = [cluster.start("executor", "--liveness-timeout", LIVENESS) for _ in range(2)]
    workers = [
        cluster.start("worker", "--threads", "4", "--liveness-timeout", LIVENESS) for _ in range(2)
    ]
    cluster.start("worker", "--worker-group", "gpu", "--threads", "2")
    for _ in range(2):
        cluster.start("scheduler")
    cluster.wait_healthy()
    push(webs[0], CHILD, PARENT)
    count = 24
    ids = [start(webs[i % 2], "parent", n=str(i)) for i in range(count)]
    # Mid-run: the victims hold work (a script running, executions being driven).
    victim = f"worker-{os.uname().nodename}-{workers[0].pid}"
    deadline = time.monotonic() + 60
    while not any(job.claimed_by == victim for i in ids for job in store.cluster.jobs_of(i)):
        assert time.monotonic() < deadline, "the first worker never got a task"
        time.sleep(0.05)
    while "(0 driven here)" in str((executors[0].health() or {}).get("waitingFor")):
        assert time.monotonic() < deadline, "the first executor never drove an execution"
        time.sleep(0.05)
    workers[0].signal(signal.SIGKILL)
    executors[0].signal(signal.SIGKILL)

    ended = wait_ended(store, ids, timeout=180)

    for n, execution_id in enumerate(ids):
        execution = ended[execution_id]
        assert execution.state.current is State.SUCCESS, logs_text(store, execution_id)
        assert execution.outputs == {"result": f"gpu value {2 * n}"}
        # No task run created twice (an event applied twice would add one).
        assert len(execution.task_run_list) == PARENT_TASK_RUNS
        for task_run in execution.task_run_list:
            states = [attempt.state.current for attempt in task_run.attempts]
            # At most one attempt ends; earlier ones are the documented resubmissions.
            assert states.count(State.SUCCESS) <= 1, (task_run.task_id, states)
            assert all(s is State.RESUBMITTED for s in states[:-1]), (task_run.task_id, states)
        child = store.executions.get(str(execution.task_run_list[0].outputs["executionId"]))
        assert child.state.current is State.SUCCESS
    # The killed worker's task ran again, and its logs say why.
    assert any("declared dead" in logs_text(store, i) for i in ids)
    # The survivors are still up and say what they wait for.
    health = executors[1].health()
    assert health is not None
    assert health["role"] == "executor"


def test_a_frozen_worker_is_declared_dead_and_its_task_runs_again(
    cluster: LocalCluster, store: SqlStore
) -> None:
    web = cluster.start("webserver")
    cluster.start("executor", "--liveness-timeout", LIVENESS)
    first = cluster.start("worker", "--threads", "1", "--liveness-timeout", LIVENESS)
    cluster.wait_healthy()
    push(web, SLOW)
    execution_id = start(web, "slow")
    deadline = time.monotonic() + 30
    while not (jobs := store.cluster.jobs_of(execution_id)) or jobs[0].claimed_by is None:
        assert time.monotonic() < deadline, "the job was never claimed"
        time.sleep(0.1)
    assert jobs[0].claimed_by == f"worker-{os.uname().nodename}-{first.pid}"
    first.signal(signal.SIGSTOP)
    frozen_at = time.monotonic()
    second = cluster.start("worker", "--threads", "1", "--liveness-timeout", LIVENESS)
    cluster.wait_healthy(second)
    execution = wait_ended(store, [execution_id], timeout=60)[execution_id]
    took = time.monotonic() - frozen_at
    first.signal(signal.SIGCONT)

    assert execution.state.current is State.SUCCESS
    assert attempts_of(execution, "work") == [State.RESUBMITTED, State.SUCCESS]
    assert "declared dead" in logs_text(store, execution_id)
    assert took >= float(LIVENESS)
    # Thawed, the first worker's late result is refused: the attempts stay as they are.
    time.sleep(4)
    again = store.executions.get(execution_id)
    assert attempts_of(again, "work") == [State.RESUBMITTED, State.SUCCESS]
    assert second.health() is not None


def test_a_task_of_a_worker_group_without_worker_waits_and_says_why(
    cluster: LocalCluster, store: SqlStore
) -> None:
    web = cluster.start("webserver")
    cluster.start("executor")
    cluster.start("worker", "--threads", "2")
    cluster.wait_healthy()
    push(web, GROUPED)
    execution_id = start(web, "grouped")
    deadline = time.monotonic() + 30
    while "waiting for a worker of worker group `nobody-yet`" not in logs_text(store, execution_id):
        assert time.monotonic() < deadline, logs_text(store, execution_id)
        time.sleep(0.2)
    time.sleep(1.5)
    assert store.executions.get(execution_id).state.current is State.RUNNING

    cluster.start("worker", "--worker-group", "nobody-yet")
    execution = wait_ended(store, [execution_id], timeout=60)[execution_id]
    assert execution.state.current is State.SUCCESS
    assert "ran on the gpu group" in logs_text(store, execution_id)


def test_two_schedulers_fire_each_second_exactly_once(
    cluster: LocalCluster, store: SqlStore
) -> None:
    web = cluster.start("webserver")
    cluster.start("executor")
    cluster.start("worker", "--threads", "4")
    schedulers = [cluster.start("scheduler") for _ in range(2)]
    cluster.wait_healthy()
    push(web, EVERY_SECOND)
    time.sleep(12)
    for scheduler in schedulers:
        assert cluster.stop(scheduler) in STOPPED

    page = store.executions.search(flow_id="ticker", size=1000, with_task_runs=False)
    dates = Counter(str(e.trigger.variables["date"]) for e in page.items if e.trigger)
    assert dates, "nothing fired"
    twice = {date: n for date, n in dates.items() if n > 1}
    assert twice == {}
    seconds = sorted(int(_epoch(date)) for date in dates)
    assert len(seconds) >= 8
    missing = sorted(set(range(seconds[0], seconds[-1] + 1)) - set(seconds))
    assert missing == []


def _epoch(text: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(text).timestamp()


def test_components_report_their_health_and_status_lists_them(
    cluster: LocalCluster, database_url: str
) -> None:
    worker = cluster.start("worker", "--worker-group", "etl", "--threads", "3")
    executor = cluster.start("executor")
    cluster.wait_healthy()
    health = worker.health()
    assert health is not None
    assert health["role"] == "worker"
    assert health["id"] == f"worker-{os.uname().nodename}-{worker.pid}"
    assert health["workerGroup"] == "etl"
    assert "task:etl" in health["waitingFor"]

    shown = subprocess.run(
        [TERCEL, "server", "status", "--json"],
        env={**cluster.env, "TERCEL_DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    rows = {row["id"]: row for row in json.loads(shown.stdout)}
    assert rows[health["id"]]["workerGroup"] == "etl"
    assert rows[health["id"]]["threads"] == 3
    assert f"executor-{os.uname().nodename}-{executor.pid}" in rows

    # A clean stop removes the component from the list.
    assert cluster.stop(worker) in STOPPED
    shown = subprocess.run(
        [TERCEL, "server", "status", "--json"],
        env=cluster.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert health["id"] not in {row["id"] for row in json.loads(shown.stdout)}


def test_standalone_refuses_sqlite_and_components_exit_when_the_database_is_unreachable(
    tmp_path: Path,
) -> None:
    env = {**os.environ, "TERCEL_STORAGE_DIR": str(tmp_path / "storage")}
    refused = subprocess.run(
        [TERCEL, "server", "standalone"],
        env={**env, "TERCEL_DATABASE_URL": f"sqlite:///{tmp_path / 'tercel.db'}"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert refused.returncode == 1
    assert "PostgreSQL" in refused.stderr
    assert "tercel server local" in refused.stderr

    unreachable = subprocess.run(
        [TERCEL, "server", "executor"],
        env={**env, "TERCEL_DATABASE_URL": "postgresql://tercel@127.0.0.1:9/tercel"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert unreachable.returncode == 1
    assert "cannot open the database" in unreachable.stderr


def test_standalone_runs_every_component_in_one_process(
    cluster: LocalCluster, store: SqlStore
) -> None:
    standalone = cluster.start("standalone", "--threads", "2")
    cluster.wait_healthy()
    health = standalone.health()
    assert health is not None
    assert health["role"] == "standalone"
    push(standalone, CHILD)
    answer = httpx.post(
        f"{standalone.url}/api/v1/main/executions/cluster.test/child?wait=true",
        files={"n": (None, "21")},
        timeout=60,
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["state"]["current"] == "SUCCESS"
    assert answer.json()["outputs"] == {"doubled": 42}
    roles = {c.role for c in store.cluster.live(since=_long_ago())}
    assert roles == {"executor", "worker", "scheduler", "webserver"}


def _long_ago() -> Any:
    from datetime import UTC, datetime, timedelta

    return datetime.now(UTC) - timedelta(minutes=5)
