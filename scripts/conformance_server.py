"""Drive every `manual` case of the corpus through Tercel's REST API, as Kestra's tests do.

    python scripts/conformance_server.py --corpus ../shared/kestra-corpus [--only ID...] [-v]

A `manual` case is one whose Kestra test does more than one plain run: resume with inputs,
restart, replay, concurrent executions, flow-trigger listeners, CREATE_NEW_EXECUTION
retries. Each case gets a full server (executor, workers, flow triggers) on a fresh SQLite
store and local storage in a temp dir; the case's flow and its `needs` are saved through
``POST /api/v1/main/flows`` and every step goes through the API: create, poll, resume,
restart, replay, search. Cases of one `sequence` share a server, in file order.
`scripts/conformance_run.py` calls `run_manual_cases()` and reports the pass rate next to
the plain runs.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from conformance_match import Ids, check_children, check_execution  # noqa: E402

Wire = dict[str, Any]
API = "/api/v1/main"
#: How long one wait (an execution to end, a listener to appear) may take.
WAIT_SECONDS = 30.0
#: How long "no listener execution within 1 s" is watched, as Kestra's tests do.
QUIET_SECONDS = 1.0


class CaseFailedError(Exception):
    """One difference from what Kestra's test asserts (the case stops there)."""


class Harness:
    """One server and an HTTP client of its API."""

    def __init__(self, corpus: Path, workdir: Path) -> None:
        self.corpus = corpus
        self.workdir = workdir
        self._stack = contextlib.ExitStack()
        self.client: Any = None
        self._saved: dict[str, Wire] = {}

    def __enter__(self) -> Harness:
        from tercel.config import Settings
        from tercel.runtime.local import LocalRuntime
        from tercel.server import Server
        from tercel.storage.local import LocalStorage
        from tercel.store.sql import SqlStore

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from fastapi.testclient import TestClient

        store = SqlStore.open(f"sqlite:///{self.workdir / 'tercel.db'}")
        runtime = LocalRuntime(
            store=store, storage=LocalStorage(self.workdir / "storage"), work_root=self.workdir
        )
        runtime._owned.append(store.close)
        server = Server(Settings(home=self.workdir), runtime)
        self.client = self._stack.enter_context(TestClient(server.app))
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    # -- API calls ---------------------------------------------------------------------------
    def save_flow(self, relative: str) -> Wire:
        """Save a corpus flow (once per server); its wire JSON."""
        if relative in self._saved:
            return self._saved[relative]
        source = (self.corpus / relative).read_text(encoding="utf-8")
        response = self.client.post(
            f"{API}/flows", content=source, headers={"Content-Type": "application/x-yaml"}
        )
        if response.status_code != 200:
            raise CaseFailedError(
                f"saving {relative}: {response.status_code} {response.text[:200]}"
            )
        flow: Wire = response.json()
        self._saved[relative] = flow
        return flow

    def start(self, flow: Wire, inputs: dict[str, str] | None = None) -> Wire:
        fields = {key: (None, value) for key, value in (inputs or {}).items()}
        response = self.client.post(
            f"{API}/executions/{flow['namespace']}/{flow['id']}", files=fields or None
        )
        if response.status_code != 200:
            raise CaseFailedError(f"create: {response.status_code} {response.text[:200]}")
        created: Wire = response.json()
        return created

    def get(self, execution_id: str) -> Wire:
        response = self.client.get(f"{API}/executions/{execution_id}")
        response.raise_for_status()
        found: Wire = response.json()
        return found

    def of_flow(self, flow_id: str) -> list[Wire]:
        response = self.client.get(
            f"{API}/executions/search", params={"flowId": flow_id, "size": 1000}
        )
        response.raise_for_status()
        results: list[Wire] = response.json()["results"]
        return sorted(results, key=lambda e: e["state"]["startDate"])

    def wait_for(self, what: str, probe: Callable[[], Any], timeout: float = WAIT_SECONDS) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = probe()
            if found:
                return found
            time.sleep(0.05)
        raise CaseFailedError(f"{what} within {timeout:.0f} s")

    def until(self, execution_id: str, states: tuple[str, ...]) -> Wire:
        def probe() -> Wire | None:
            wire = self.get(execution_id)
            return wire if wire["state"]["current"] in states else None

        ended: Wire = self.wait_for(f"execution {execution_id} not {'/'.join(states)}", probe)
        return ended


TERMINAL = ("SUCCESS", "WARNING", "FAILED", "KILLED", "CANCELLED", "SKIPPED", "RETRIED")


def _expect(problems: list[str], what: str = "") -> None:
    if problems:
        raise CaseFailedError(f"{what}{problems[0]}" if what else problems[0])


def _plain(h: Harness, case: dict[str, Any], flow: Wire) -> Wire:
    """Run the case's flow with its inputs and compare the plain-run part."""
    created = h.start(flow, case.get("inputs"))
    if case.get("state") == "PAUSED":
        ended = h.until(created["id"], ("PAUSED", *TERMINAL))
    else:
        ended = h.until(created["id"], TERMINAL)
    _expect(check_execution(ended, case, Ids(ended, [])))
    return ended


# -- one driver per kind of manual step ------------------------------------------------------
def pause_resume(h: Harness, case: dict[str, Any], flow: Wire) -> None:
    """Paused run; resume (checking refused inputs first); compare the end."""
    paused = _plain(h, case, flow)
    spec = case["after_manual"]
    url = f"{API}/executions/{paused['id']}/resume"
    if case["id"] == "pause-on-resume":
        refused = h.client.post(url)
        if refused.status_code < 400 or refused.status_code >= 500:
            raise CaseFailedError(
                f"resume without `asked` answered {refused.status_code}, expected 4xx"
            )
        if "Invalid input for `asked`, missing required input" not in refused.text:
            raise CaseFailedError(f"resume without `asked`: reason {refused.text[:200]!r}")
    fields: dict[str, Any] = {}
    for key, value in (spec.get("resume_inputs") or {}).items():
        if key.startswith("file:"):
            content = paused["id"] if value == "<execution id>" else value
            fields[key[len("file:") :]] = ("data.txt", content.encode(), "text/plain")
        else:
            fields[key] = (None, value)
    response = h.client.post(url, files=fields or None)
    if response.status_code != 204:
        raise CaseFailedError(f"resume answered {response.status_code}: {response.text[:200]}")
    ended = h.until(paused["id"], TERMINAL)
    _expect(check_execution(ended, spec, Ids(ended, [])), "after resume: ")
    if case["id"] == "pause-on-resume":
        run = next(r for r in ended["taskRunList"] if r["taskId"] == "last")
        uri = run["outputs"]["values"]["data"]
        body = h.client.get(f"{API}/executions/{paused['id']}/file", params={"path": uri})
        if body.status_code != 200 or body.text != paused["id"]:
            raise CaseFailedError(f"resumed FILE input: {body.status_code} {body.text[:80]!r}")


def restart(h: Harness, case: dict[str, Any], flow: Wire) -> None:
    """Restart a failed run: check the answer as Kestra's tests do, then the end."""
    failed = _plain(h, case, flow)
    response = h.client.post(f"{API}/executions/{failed['id']}/restart")
    if response.status_code != 200:
        raise CaseFailedError(f"restart answered {response.status_code}: {response.text[:200]}")
    answer = response.json()
    problems = []
    if answer["id"] != failed["id"] or answer.get("parentId"):
        problems.append("the restarted execution must keep its id and have no parentId")
    if answer["state"]["current"] != "RESTARTED":
        problems.append(f"restart answer is {answer['state']['current']}, expected RESTARTED")
    histories = len(answer["state"]["histories"])
    if histories != 4:
        problems.append(f"restart answer has {histories} state histories, expected 4")
    runs = answer["taskRunList"]
    expected_runs = RESTART_RUNS.get(case["id"])
    if expected_runs is not None and len(runs) != expected_runs:
        problems.append(f"restart answer has {len(runs)} task runs, expected {expected_runs}")
    if case["id"].startswith("restart-each-failed"):
        restarted = sum(1 for r in runs if r["state"]["current"] == "RESTARTED")
        running = sum(1 for r in runs if r["state"]["current"] == "RUNNING")
        if restarted <= 1 or running <= 1:
            problems.append(
                f"restart answer has {restarted} RESTARTED and {running} RUNNING task runs,"
                " expected more than one of each"
            )
    if case["id"] == "restart-last-failed":
        third = runs[2]
        if third["state"]["current"] != "RESTARTED" or len(third["state"]["histories"]) != 4:
            problems.append("taskRunList[2] must be RESTARTED with 4 histories")
    _expect(problems, "restart answer: ")
    spec = case.get("after_manual")
    ended = h.until(failed["id"], TERMINAL)
    if spec is not None:
        _expect(check_execution(ended, spec, Ids(ended, [])), "after restart: ")


#: Task runs in the restart answer (Kestra's tests assert them).
RESTART_RUNS = {"restart-last-failed": 3, "restart-always-failed": 1, "restart-local-errors": 4}


def replay(h: Harness, case: dict[str, Any], flow: Wire) -> None:
    """Replay from a task run: a new execution, child of the original."""
    original = _plain(h, case, flow)
    task_id = case["after_manual"]["action"].removeprefix("replay from ")
    run = next(r for r in original["taskRunList"] if r["taskId"] == task_id)
    response = h.client.post(
        f"{API}/executions/{original['id']}/replay", params={"taskRunId": run["id"]}
    )
    if response.status_code != 200:
        raise CaseFailedError(f"replay answered {response.status_code}: {response.text[:200]}")
    answer = response.json()
    runs = answer["taskRunList"]
    problems = []
    if answer["id"] == original["id"] or answer.get("parentId") != original["id"]:
        problems.append(f"parentId {answer.get('parentId')}, expected the original's id")
    if answer["state"]["current"] != "RESTARTED" or len(answer["state"]["histories"]) != 4:
        problems.append(
            f"state {answer['state']['current']} with {len(answer['state']['histories'])}"
            " histories, expected RESTARTED with 4"
        )
    if len(runs) != 20:
        problems.append(f"{len(runs)} task runs, expected 20")
    elif (
        runs[19]["state"]["current"] != "RESTARTED"
        or runs[1]["id"] == original["taskRunList"][1]["id"]
    ):
        problems.append("taskRunList[19] must be RESTARTED and taskRunList[1] have a new id")
    _expect(problems, "replay answer: ")
    ended = h.until(answer["id"], TERMINAL)
    _expect(check_execution(ended, case["after_manual"], Ids(ended, [])), "after replay: ")


def sequence(h: Harness, case: dict[str, Any], flow: Wire) -> None:
    """One run of a sequence (the server carries the state over)."""
    _plain(h, case, flow)


def concurrency(h: Harness, case: dict[str, Any], flow: Wire) -> None:
    """A second execution while the first runs: queued, cancelled or failed."""
    first = h.start(flow, case.get("inputs"))

    def running() -> bool:
        wire = h.get(first["id"])
        return wire["state"]["current"] in ("RUNNING", "PAUSED") and any(
            r["state"]["current"] in ("RUNNING", "PAUSED") for r in wire["taskRunList"] or []
        )

    h.wait_for("execution 1 RUNNING", running)
    second = h.start(flow, case.get("inputs"))
    kind = case["id"].removeprefix("flow-concurrency-")
    if kind.startswith("queue"):
        h.wait_for(
            "execution 2 QUEUED while 1 runs",
            lambda: h.get(second["id"])["state"]["current"] == "QUEUED",
        )
    ended_second = h.until(second["id"], TERMINAL)
    ended_first = h.until(first["id"], TERMINAL)
    _expect(check_execution(ended_first, case, Ids(ended_first, [])), "execution 1: ")
    expected = {"queue": "SUCCESS", "cancel": "CANCELLED", "fail": "FAILED"}[kind.split("-")[0]]
    history = [h["state"] for h in ended_second["state"]["histories"]]
    if ended_second["state"]["current"] != expected:
        raise CaseFailedError(
            f"execution 2 {ended_second['state']['current']}, expected {expected}"
        )
    if kind.startswith("queue") and history[:3] != ["CREATED", "QUEUED", "RUNNING"]:
        raise CaseFailedError(f"execution 2 histories start {history[:3]}")
    if kind == "cancel-pause" and history[:2] != ["CREATED", "CANCELLED"]:
        raise CaseFailedError(f"execution 2 histories start {history[:2]}")


def retry_new_execution(h: Harness, case: dict[str, Any], flow: Wire) -> None:
    """CREATE_NEW_EXECUTION: the executions of the flow end {RETRIED, RETRIED, FAILED}."""
    h.start(flow, case.get("inputs"))

    def states() -> list[str] | None:
        found = [e["state"]["current"] for e in h.of_flow(flow["id"])]
        done = len(found) == 3 and all(s in TERMINAL for s in found)
        return sorted(found) if done else None

    got = h.wait_for("three terminated executions", states, 60.0)
    if got != ["FAILED", "RETRIED", "RETRIED"]:
        raise CaseFailedError(f"execution states {got}, expected RETRIED, RETRIED, FAILED")


def _listener(h: Harness, flow_id: str, count: int = 1) -> list[Wire]:
    def done() -> list[Wire] | None:
        ended = [e for e in h.of_flow(flow_id) if e["state"]["current"] in TERMINAL]
        return ended if len(ended) >= count else None

    found: list[Wire] = h.wait_for(f"{count} execution(s) of `{flow_id}`", done)
    return found


def _quiet(h: Harness, flow_id: str) -> None:
    time.sleep(QUIET_SECONDS)
    if h.of_flow(flow_id):
        raise CaseFailedError(f"`{flow_id}` was triggered too early")


def flow_trigger(h: Harness, case: dict[str, Any], flow: Wire) -> None:
    """Listener flows start when the upstream flow ends."""
    ended = _plain(h, case, flow)
    specs = case.get("children") or []
    children = [e for spec in specs for e in _listener(h, spec["flow"])[:1]]
    _expect(check_children(children, specs, Ids(ended, children)))


def flow_trigger_with_pause(h: Harness, case: dict[str, Any], flow: Wire) -> None:
    """A listener on non-terminal states sees RUNNING, PAUSED, RUNNING, SUCCESS."""
    _plain(h, case, flow)
    listener = "trigger-flow-listener-with-pause"
    found = _listener(h, listener, 4)
    time.sleep(QUIET_SECONDS)
    found = sorted(h.of_flow(listener), key=lambda e: e["state"]["startDate"])
    statuses = [(e.get("outputs") or {}).get("status") for e in found]
    states = {e["state"]["current"] for e in found}
    if statuses != ["RUNNING", "PAUSED", "RUNNING", "SUCCESS"] or states != {"SUCCESS"}:
        raise CaseFailedError(f"listener outputs.status {statuses} (states {sorted(states)})")


def multiple_condition(h: Harness, case: dict[str, Any], flow: Wire) -> None:
    """The listener fires only once every upstream flow of the window was seen."""
    upstream = [flow] + [h.save_flow(n) for n in case["needs"][:-1]]
    listener = h.save_flow(case["needs"][-1])["id"]
    last: Wire = {}
    if case["id"] == "flow-trigger-preconditions":
        runs = [upstream[0], upstream[0], upstream[1]]
    else:
        runs = upstream
    for number, step in enumerate(runs):
        step_case = case if step is flow else {"state": "SUCCESS", "taskruns": 1}
        last = _plain(h, step_case, step)
        if number < len(runs) - 1:
            _quiet(h, listener)
    found = _listener(h, listener)
    time.sleep(QUIET_SECONDS)
    found = h.of_flow(listener)
    if len(found) != 1:
        raise CaseFailedError(f"{len(found)} executions of `{listener}`, expected exactly 1")
    child = found[0]
    expected: dict[str, Any] = {"state": "SUCCESS", "taskruns": 1}
    if case["id"] == "multiplecondition-trigger":
        expected["trigger"] = {
            "variables": {
                "executionId": last["id"],
                "namespace": "io.kestra.tests.trigger",
                "flowId": "trigger-multiplecondition-flow-b",
            }
        }
    _expect(check_execution(child, expected, Ids(last, [])), f"`{listener}`: ")


def _driver(case: dict[str, Any]) -> Callable[[Harness, dict[str, Any], Wire], None]:
    manual: str = case["manual"]
    action = (case.get("after_manual") or {}).get("action", "")
    if action == "resume":
        return pause_resume
    if action == "restart" or case["id"].startswith("restart-each-failed"):
        return restart
    if action.startswith("replay from "):
        return replay
    if manual.startswith("sequence:"):
        return sequence
    if manual.startswith("concurrency"):
        return concurrency
    if manual.startswith("CREATE_NEW_EXECUTION"):
        return retry_new_execution
    if case["id"] in ("multiplecondition-trigger", "multiplecondition-failed"):
        return multiple_condition
    if case["id"] == "flow-trigger-preconditions":
        return multiple_condition
    if case["id"] == "flow-trigger-with-pause":
        return flow_trigger_with_pause
    return flow_trigger


def run_manual_cases(
    corpus: Path, only: list[str] | None = None, progress: Callable[[Any], None] | None = None
) -> list[Any]:
    """Drive every manual case (or `only` those) and return their outcomes, in order."""
    from conformance_run import Outcome

    cases = json_cases(corpus)
    cases = [c for c in cases if "manual" in c and (not only or c["id"] in only)]
    outcomes: list[Any] = []
    with (
        tempfile.TemporaryDirectory(prefix="tercel-conformance-server-") as tmp,
        contextlib.ExitStack() as shared,
    ):
        sequences: dict[str, Harness] = {}
        for number, case in enumerate(cases):
            started = time.perf_counter()
            problems: list[str] = []
            with contextlib.ExitStack() as own:
                key = case["flow"] if case["manual"].startswith("sequence:") else None
                harness = sequences.get(key) if key else None
                if harness is None:
                    workdir = Path(tmp) / f"case-{number}"
                    workdir.mkdir()
                    harness = Harness(corpus, workdir)
                    (shared if key else own).enter_context(harness)
                    if key:
                        sequences[key] = harness
                try:
                    flow = harness.save_flow(case["flow"])
                    if _driver(case) not in (multiple_condition,):
                        for need in case.get("needs") or []:
                            harness.save_flow(need)
                    _driver(case)(harness, case, flow)
                except CaseFailedError as failure:
                    problems = [str(failure)]
                except Exception as error:  # noqa: BLE001 - one broken case must not stop the run
                    problems = [f"crashed: {type(error).__name__}: {error}"]
            outcome = Outcome(case, problems, time.perf_counter() - started)
            outcomes.append(outcome)
            if progress is not None:
                progress(outcome)
    return outcomes


def json_cases(corpus: Path) -> list[dict[str, Any]]:
    """The cases of `expectations.json`."""
    import json

    cases: list[dict[str, Any]] = json.loads(
        (corpus / "expectations.json").read_text(encoding="utf-8")
    )["cases"]
    return cases


@contextlib.contextmanager
def quiet_logs() -> Iterator[None]:
    """Trigger and executor warnings are expected in failing cases: keep the output short."""
    import logging

    previous = logging.root.manager.disable
    logging.disable(logging.WARNING)
    try:
        yield
    finally:
        logging.disable(previous)


def main(argv: list[str] | None = None) -> int:
    """Command line entry point; returns 0 (the rate is checked by conformance_run)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "kestra-corpus")
    parser.add_argument("--only", nargs="*")
    parser.add_argument("--verbose", "-v", action="store_true")
    args = parser.parse_args(argv)

    def show(outcome: Any) -> None:
        if not outcome.passed or args.verbose:
            mark = "ok  " if outcome.passed else "FAIL"
            detail = "" if outcome.passed else " — " + "; ".join(outcome.problems)
            print(f"{mark} {outcome.case['id']} ({outcome.seconds:.2f}s){detail}", flush=True)

    with quiet_logs():
        outcomes = run_manual_cases(args.corpus, args.only, show)
    passed = sum(o.passed for o in outcomes)
    print(f"conformance --run (server): {passed}/{len(outcomes)} manual cases pass")
    return 0


if __name__ == "__main__":
    sys.exit(main())
