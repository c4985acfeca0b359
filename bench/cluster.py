"""Split components on PostgreSQL: worker scaling, webhook latency, dead-worker resubmission.

    scripts/with-postgres.sh .venv/bin/python bench/cluster.py [--tasks 200] [--threads 4]
        [--rates 25,50,100] [--seconds 10] [--liveness 30]

Every component is a separate ``tercel server <role>`` process on one PostgreSQL
(TEST_DATABASE_URL or TERCEL_DATABASE_URL) and one storage directory. Prints:
  (a) scaling: one execution whose ForEach runs `--tasks` tasks that sleep 1 s
      (`flow.Sleep`, all at once), with 1, 2 and 4 workers of `--threads` threads each:
      seconds from RUNNING to SUCCESS, speed-up over one worker (goal: 4 workers >= 3.5x)
  (b) a webhook-triggered 2-task flow (OutputValues then Log) driven open-loop at each
      rate for `--seconds`: achieved rate, p50 and p99 from request to SUCCESS
      (goal: >= 100/s with p50 <= 150 ms)
  (c) a worker SIGKILLed while it runs a task: seconds until the task's next attempt is
      created on another worker (goal: <= liveness timeout + 5 s)
Latency uses the server's own SUCCESS timestamp (same machine, same clock).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.server import drive, percentile
from tercel.cluster.localcluster import LocalCluster
from tercel.store.sql import SqlStore


def sleeper(tasks: int) -> str:
    """One execution whose ForEach runs `tasks` 1-second sleeps, all at once."""
    values = ", ".join(str(i) for i in range(tasks))
    return f"""\
id: sleeper
namespace: bench
tasks:
  - id: each
    type: io.kestra.plugin.core.flow.ForEach
    values: [{values}]
    concurrencyLimit: 0
    tasks:
      - id: nap
        type: io.kestra.plugin.core.flow.Sleep
        duration: PT1S
"""


HOOKED = """\
id: hooked
namespace: bench
tasks:
  - id: values
    type: io.kestra.plugin.core.output.OutputValues
    values:
      n: "{{ trigger.body.n }}"
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: "got {{ outputs.values.values.n }}"
triggers:
  - id: hook
    type: io.kestra.plugin.core.trigger.Webhook
    key: bench-key
"""

LONG = """\
id: long
namespace: bench
tasks:
  - id: work
    type: io.kestra.plugin.scripts.shell.Commands
    commands:
      - sleep 60
"""


def fresh_database(base: str) -> tuple[str, sa.Engine, str]:
    name = f"tercel_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE {name}"))
    url = base.rsplit("/", 1)[0] + "/" + name
    SqlStore.open(url).close()
    return url, admin, name


def push(url: str, source: str) -> None:
    httpx.post(
        f"{url}/api/v1/main/flows",
        content=source,
        headers={"Content-Type": "application/x-yaml"},
        timeout=30,
    ).raise_for_status()


def run_once(url: str, store: SqlStore) -> float:
    """Run the sleeper once; seconds from RUNNING to its end (server timestamps)."""
    answer = httpx.post(f"{url}/api/v1/main/executions/bench/sleeper", timeout=60)
    execution_id = answer.json()["id"]
    while not (execution := store.executions.get(execution_id)).state.current.is_terminated:
        time.sleep(0.2)
    if execution.state.current.value != "SUCCESS":
        sys.exit(f"the sleeper ended {execution.state.current.value}")
    histories = execution.state.histories
    running = next(h.date for h in histories if h.state.value == "RUNNING")
    return (histories[-1].date - running).total_seconds()


def scaling(base: str, root: Path, tasks: int, threads: int) -> None:
    times: dict[int, float] = {}
    for workers in (1, 2, 4):
        url, admin, name = fresh_database(base)
        try:
            with LocalCluster(url, root / f"scale-{workers}" / "storage") as cluster:
                web = cluster.start("webserver")
                cluster.start("executor")
                for _ in range(workers):
                    cluster.start("worker", "--threads", str(threads))
                cluster.wait_healthy()
                push(web.url, sleeper(tasks))
                store = SqlStore.open(url)
                try:
                    times[workers] = run_once(web.url, store)
                finally:
                    store.close()
        finally:
            with admin.connect() as conn:
                conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            admin.dispose()
        ideal = tasks / (workers * threads)
        print(
            f"(a) {tasks} x 1 s tasks, {workers} worker(s) x {threads} threads: "
            f"{times[workers]:.1f} s (ideal {ideal:.1f} s), "
            f"speed-up {times[1] / times[workers]:.2f}x"
        )
    print(f"    goal: 4 workers >= 3.5x one -> {times[1] / times[4]:.2f}x")


def webhooks(base: str, root: Path, rates: list[float], seconds: float) -> None:
    url, admin, name = fresh_database(base)
    try:
        with LocalCluster(url, root / "hooks" / "storage") as cluster:
            web = cluster.start("webserver")
            cluster.start("executor")
            cluster.start("worker", "--threads", "16")
            cluster.wait_healthy()
            push(web.url, HOOKED)
            for rate in rates:
                achieved, latencies, errors = asyncio.run(drive(web.url, rate, seconds))
                if not latencies:
                    print(f"(b) {rate:>5.0f}/s: no execution succeeded ({errors} errors)")
                    continue
                p50 = statistics.median(latencies) * 1000
                p99 = percentile(latencies, 0.99) * 1000
                print(
                    f"(b) webhook -> 2 tasks, {rate:>5.0f}/s for {seconds:.0f} s: achieved "
                    f"{achieved:.1f}/s, p50 {p50:.0f} ms, p99 {p99:.0f} ms, errors {errors}"
                )
            print("    goal: >= 100/s with p50 <= 150 ms")
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


def resubmission(base: str, root: Path, liveness: float) -> None:
    url, admin, name = fresh_database(base)
    store = SqlStore.open(url)
    try:
        with LocalCluster(url, root / "dead" / "storage") as cluster:
            web = cluster.start("webserver")
            cluster.start("executor", "--liveness-timeout", str(liveness))
            workers = [
                cluster.start("worker", "--threads", "1", "--liveness-timeout", str(liveness))
                for _ in range(2)
            ]
            cluster.wait_healthy()
            push(web.url, LONG)
            answer = httpx.post(f"{web.url}/api/v1/main/executions/bench/long", timeout=30)
            execution_id = answer.json()["id"]
            while not (jobs := store.cluster.jobs_of(execution_id)) or not jobs[0].claimed_by:
                time.sleep(0.05)
            victim = next(w for w in workers if jobs[0].claimed_by.endswith(f"-{w.pid}"))
            victim.signal(signal.SIGKILL)
            died = time.monotonic()
            while True:
                execution = store.executions.get(execution_id)
                run = execution.task_run_list[0]
                if len(run.attempts) >= 2:
                    break
                time.sleep(0.05)
            took = time.monotonic() - died
            print(
                f"(c) worker SIGKILLed -> its task's next attempt: {took:.1f} s "
                f"(liveness timeout {liveness:g} s; goal <= {liveness + 5:g} s)"
            )
    finally:
        store.close()
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


def round_trip_ms(base: str) -> float:
    """Median of 50 `SELECT 1` round trips: how loaded the machine and database are."""
    engine = sa.create_engine(base)
    samples = []
    with engine.connect() as conn:
        for _ in range(50):
            began = time.perf_counter()
            conn.execute(sa.text("SELECT 1"))
            samples.append((time.perf_counter() - began) * 1000)
    engine.dispose()
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tasks", type=int, default=200)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--rates", default="25,50,100")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--liveness", type=float, default=30.0)
    parser.add_argument("--only", default="abc", help="which parts to run (a, b, c)")
    args = parser.parse_args()
    base = os.environ.get("TEST_DATABASE_URL") or os.environ.get("TERCEL_DATABASE_URL")
    if not base or not base.startswith("postgres"):
        sys.exit("set TEST_DATABASE_URL (run under scripts/with-postgres.sh)")
    load = os.getloadavg()[0]
    print(
        f"machine: {os.cpu_count()} cores, load average {load:.1f}, "
        f"PostgreSQL round trip {round_trip_ms(base):.2f} ms (median of SELECT 1)"
    )
    with tempfile.TemporaryDirectory(prefix="tercel-bench-cluster-") as tmp:
        root = Path(tmp)
        if "a" in args.only:
            scaling(base, root, args.tasks, args.threads)
        if "b" in args.only:
            webhooks(base, root, [float(r) for r in args.rates.split(",")], args.seconds)
        if "c" in args.only:
            resubmission(base, root, args.liveness)


if __name__ == "__main__":
    main()
