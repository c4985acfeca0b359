"""UI server times: the executions list over 100,000 executions, an execution with 1,000 task runs.

    python bench/ui.py [--executions 100000] [--task-runs 1000] [--repeat 20]

Seeds a temp SQLite home through the store (executions spread over 30 days, 8 flows in 2
namespaces, mixed states, one task run each), starts `tercel server local` on it (127.0.0.1,
free port), then times the requests the UI's pages make, client-side over loopback:
  - Executions page: GET /executions/search page 1 (size 25), a deep page, and filtered by
    namespace + state (target < 300 ms each)
  - Execution page: GET /executions/{id} with 1,000 task runs (and its logs)
  - Dashboard: GET /ui/stats (7 days x 7 states)
Prints the median and p95 of each, in milliseconds. With Chromium installed, also the time a
browser takes to show the executions page and the 1,000-task execution (topology, Gantt).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from tercel.engine.execution import Attempt, Execution, Label, LogEntry, TaskRun
from tercel.engine.state import State, StateTrail
from tercel.ids import short_id
from tercel.model.loader import load_flow
from tercel.store.sql.store import SqlStore

STATES = (State.SUCCESS,) * 7 + (State.FAILED, State.WARNING, State.KILLED)
TARGET_MS = 300.0


def trail(start: datetime, end_state: State, seconds: float) -> StateTrail:
    """CREATED -> RUNNING -> end_state over `seconds`."""
    state = StateTrail.start(start)
    state.set(State.RUNNING, start + timedelta(milliseconds=5))
    state.set(end_state, start + timedelta(seconds=seconds))
    return state


def execution(n: int, now: datetime, task_runs: int = 1) -> Execution:
    """A terminated execution `n` (its flow, state and start date vary with n)."""
    namespace = f"bench.team{n % 2}"
    flow_id = f"flow{n % 8}"
    start = now - timedelta(seconds=(n * 26) % (30 * 86400))
    end_state = STATES[n % len(STATES)]
    execution_id = short_id()
    runs = []
    for index in range(task_runs):
        run_start = start + timedelta(milliseconds=10 * index)
        run_state = trail(run_start, end_state if index == task_runs - 1 else State.SUCCESS, 0.01)
        runs.append(
            TaskRun(
                id=short_id(),
                execution_id=execution_id,
                namespace=namespace,
                flow_id=flow_id,
                task_id=f"task{index}",
                state=run_state,
                attempts=[Attempt(state=trail(run_start, run_state.current, 0.01))],
                outputs={"value": index},
            )
        )
    return Execution(
        id=execution_id,
        namespace=namespace,
        flow_id=flow_id,
        flow_revision=1,
        state=trail(start, end_state, 0.01 * task_runs + 0.02),
        task_run_list=runs,
        labels=[Label("team", f"t{n % 4}")],
    )


def seed(store: SqlStore, count: int, task_runs: int) -> Execution:
    """Store `count` executions and one with `task_runs` task runs (its flow, its logs)."""
    now = datetime.now(UTC)
    batch = 2000
    for first in range(0, count, batch):
        with store.transaction():
            for n in range(first, min(count, first + batch)):
                store.executions.create(execution(n, now))
    big = execution(count + 1, now, task_runs)
    source = f"id: {big.flow_id}\nnamespace: {big.namespace}\ntasks:\n" + "".join(
        f"  - id: task{index}\n    type: io.kestra.plugin.core.log.Log\n    message: hi\n"
        for index in range(task_runs)
    )
    store.flows.save(source, load_flow(source))
    store.executions.create(big)
    store.logs.append(
        [
            LogEntry(
                namespace=big.namespace,
                flow_id=big.flow_id,
                execution_id=big.id,
                timestamp=now,
                level="INFO",
                message=f"line {index}",
                task_id=run.task_id,
                task_run_id=run.id,
                attempt_number=1,
            )
            for index, run in enumerate(big.task_run_list)
        ]
    )
    return big


def timed(client: httpx.Client, path: str, repeat: int) -> tuple[float, float, int]:
    """Median and p95 in ms of GET `path`, and the response size."""
    client.get(path).raise_for_status()  # warm caches once, as a user's second visit would
    times = []
    size = 0
    for _ in range(repeat):
        began = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - began) * 1000)
        response.raise_for_status()
        size = len(response.content)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.95))], size


def browser_times(url: str, execution_path: str, task_runs: int) -> None:
    """Seconds until Chromium shows the UI's heavy pages (skipped without Chromium)."""
    chromium = next(
        (p for p in ("/usr/lib/chromium/chromium", "/usr/bin/chromium") if Path(p).exists()), None
    )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        chromium = None
    if chromium is None:
        print("browser: Chromium or playwright missing, skipped (scripts/ci-chromium.sh)")
        return
    args = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=args)
        page = browser.new_page(viewport={"width": 1366, "height": 800})
        pages = [
            ("browser: executions page", "/ui/executions", "#executions-table tbody tr"),
            (
                f"browser: execution topology ({task_runs:,} tasks)",
                f"/ui/executions/{execution_path}",
                f"svg.topology [data-task='task{task_runs - 1}']",
            ),
            (
                f"browser: execution Gantt ({task_runs:,} runs)",
                f"/ui/executions/{execution_path}?tab=gantt",
                f"#gantt [data-task='task{task_runs - 1}']",
            ),
        ]
        for name, path, selector in pages:
            times = []
            for _ in range(3):
                began = time.perf_counter()
                page.goto(url + path)
                page.wait_for_selector(selector, state="attached", timeout=60_000)
                times.append((time.perf_counter() - began) * 1000)
            print(f"{name:45} {statistics.median(times):10.1f} {max(times):8.1f}")
        browser.close()


def wait_ready(url: str, process: subprocess.Popen[bytes]) -> None:
    """Until `GET /health` answers."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("the server exited")
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit("the server did not start")


def main() -> None:
    """Seed, serve, time, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--executions", type=int, default=100_000)
    parser.add_argument("--task-runs", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tercel-bench-ui-") as tmp:
        home = Path(tmp)
        began = time.perf_counter()
        store = SqlStore.open_home(home)
        big = seed(store, args.executions, args.task_runs)
        big_id = big.id
        store.close()
        print(
            f"seeded {args.executions:,} executions + 1 with {args.task_runs:,} task runs "
            f"in {time.perf_counter() - began:.1f} s"
        )
        import socket

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from tercel.cli.app import main; main()",
                "server",
                "local",
                "--port",
                str(port),
                "--home",
                str(home),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=dict(os.environ),
        )
        url = f"http://127.0.0.1:{port}"
        try:
            wait_ready(url, process)
            deep = max(1, args.executions // 25 // 2)
            cases = [
                ("executions list, page 1 (25)", "/api/v1/main/executions/search?page=1&size=25"),
                (
                    f"executions list, page {deep:,}",
                    f"/api/v1/main/executions/search?page={deep}&size=25",
                ),
                (
                    "executions list, namespace+state filter",
                    "/api/v1/main/executions/search?namespace=bench.team1&state=FAILED&size=25",
                ),
                (
                    "executions list, label filter",
                    "/api/v1/main/executions/search?labels=team:t3&size=25",
                ),
                (
                    f"execution page ({args.task_runs:,} task runs)",
                    f"/api/v1/main/executions/{big_id}",
                ),
                (f"execution logs ({args.task_runs:,} lines)", f"/api/v1/main/logs/{big_id}"),
                ("dashboard stats (7 days x 7 states)", "/api/v1/main/ui/stats?days=7"),
                ("UI shell (/ui/executions)", "/ui/executions"),
            ]
            print(f"{'request':45} {'median ms':>10} {'p95 ms':>8} {'bytes':>10}")
            with httpx.Client(base_url=url, timeout=60) as client:
                for name, path in cases:
                    median, p95, size = timed(client, path, args.repeat)
                    flag = ""
                    if name.startswith("executions list"):
                        flag = "  ok" if p95 < TARGET_MS else f"  OVER {TARGET_MS:.0f} ms target"
                    print(f"{name:45} {median:10.1f} {p95:8.1f} {size:10,}{flag}")
            browser_times(url, f"{big.namespace}/{big.flow_id}/{big_id}", args.task_runs)
        finally:
            process.terminate()
            process.wait(timeout=30)


if __name__ == "__main__":
    main()
