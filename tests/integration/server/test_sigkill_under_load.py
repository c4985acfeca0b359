"""SIGKILL under load: a real server killed three times while scripts, pauses and subflows run.

Every script appends ``<task run id> <pid> <clock>`` lines to a marker file while it runs,
and writes nothing else (a script that writes to its closed stdout would die of SIGPIPE and
hide the defect). Two processes of the same task run with overlapping lines in the marker
file are the same script running twice at once: the old attempt, orphaned by the SIGKILL,
beside the attempt recovery resubmitted.
"""

from __future__ import annotations

import itertools
import time
from collections import defaultdict
from pathlib import Path

import httpx

from tests.integration.server.test_server_process import RunningServer, free_port

TERMINAL = ("SUCCESS", "WARNING", "FAILED", "KILLED", "CANCELLED")


def script_flow(marker: Path) -> str:
    # 10 s of work in 0.25 s ticks (longer than a restart takes on a loaded machine); each
    # tick is a line of its own, written by this shell's pid.
    return f"""\
id: ticker
namespace: probe.sigkill
tasks:
  - id: work
    type: io.kestra.plugin.scripts.shell.Commands
    taskRunner:
      type: io.kestra.plugin.core.runner.Process
    commands:
      - for i in $(seq 40); do echo "{{{{ taskrun.id }}}} $$ $(date +%s.%N)" >> {marker}; sleep 0.25; done
  - id: after
    type: io.kestra.plugin.core.log.Log
    message: done
"""


PAUSER = """\
id: pauser
namespace: probe.sigkill
tasks:
  - id: wait
    type: io.kestra.plugin.core.flow.Pause
    delay: PT2S
  - id: after
    type: io.kestra.plugin.core.debug.Return
    format: resumed
"""

PARENT = """\
id: parent
namespace: probe.sigkill
tasks:
  - id: call
    type: io.kestra.plugin.core.flow.Subflow
    namespace: probe.sigkill
    flowId: ticker
    wait: true
    transmitFailed: true
"""


def overlapping_runs(marker: Path) -> list[str]:
    """Task runs whose marker lines come from two processes at overlapping times."""
    spans: dict[str, dict[str, list[float]]] = defaultdict(dict)
    for line in marker.read_text().splitlines():
        parts = line.split()
        if len(parts) != 3:
            continue  # a line cut short by a SIGKILL
        task_run, pid, moment = parts
        span = spans[task_run].setdefault(pid, [float(moment), float(moment)])
        span[0] = min(span[0], float(moment))
        span[1] = max(span[1], float(moment))
    found = []
    for task_run, by_pid in spans.items():
        ordered = sorted(by_pid.values())
        for earlier, later in itertools.pairwise(ordered):
            if earlier[1] >= later[0]:
                found.append(f"{task_run}: {earlier} overlaps {later}")
    return found


def test_three_sigkills_under_load_lose_nothing_and_never_run_a_script_twice_at_once(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    marker = tmp_path / "marker.txt"
    marker.touch()
    running = RunningServer(home, free_port(), {"TERCEL_WORKERS": "16"})
    running.start()
    try:
        api = f"{running.url}/api/v1/main"
        for source in (script_flow(marker), PAUSER, PARENT):
            created = httpx.post(
                f"{api}/flows", content=source, headers={"Content-Type": "application/x-yaml"}
            )
            assert created.status_code == 200, created.text
        ids = []
        for flow_id, count in (("ticker", 12), ("pauser", 8), ("parent", 10)):
            for _ in range(count):
                started = httpx.post(f"{api}/executions/probe.sigkill/{flow_id}", timeout=10)
                assert started.status_code == 200, started.text
                ids.append(started.json()["id"])

        for _round in range(3):
            # Kill while scripts are mid-way: some lines written, the rest still to come.
            time.sleep(2.0)
            running.kill()
            running.start()

        deadline = time.monotonic() + 90
        states: dict[str, str] = {}
        while time.monotonic() < deadline:
            states = {
                i: httpx.get(f"{api}/executions/{i}", timeout=10).json()["state"]["current"]
                for i in ids
            }
            if all(state in TERMINAL for state in states.values()):
                break
            time.sleep(0.3)
        assert sorted(set(states.values())) == ["SUCCESS"], states
        # None lost: every execution, and every child of a subflow, is stored and ended.
        found = httpx.get(
            f"{api}/executions/search", params={"namespace": "probe.sigkill", "size": 100}
        ).json()
        assert found["total"] == 30 + 10, found["total"]
        assert {e["state"]["current"] for e in found["results"]} == {"SUCCESS"}
        # Give an orphan that escaped the clean-up the time to write one more line.
        time.sleep(0.5)
        assert overlapping_runs(marker) == []
        resubmitted = [
            attempt
            for execution_id in ids
            for run in httpx.get(f"{api}/executions/{execution_id}").json()["taskRunList"]
            for attempt in run.get("attempts") or []
            if attempt["state"]["current"] == "RESUBMITTED"
        ]
        assert resubmitted, "no attempt was interrupted: the probe did not probe"
        # The new attempt's log says the old one was still running and was stopped first.
        logs = " ".join(httpx.get(f"{api}/logs/{i}").text for i in ids)
        assert "still running, was stopped first" in logs
        assert not list((home / "run" / "processes").glob("*.json"))
    finally:
        running.stop()
