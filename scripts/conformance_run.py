"""Run every core flow of Kestra's test corpus in-process and compare with `expectations.json`.

    python scripts/conformance_run.py --corpus ../shared/kestra-corpus [--check] [--docs]
        [--update-baseline] [--only ID...] [--no-server]

Each case runs on a fresh in-process runtime (memory store, local storage in a temp dir)
except cases of a `manual: sequence` group, which share one runtime in file order (the state
they carry over is the point of the test). Then every case with a `manual` step is driven
again through the REST API of a full server (`scripts/conformance_server.py`) unless
`--no-server`. Prints one line per failing case and both pass rates; `--docs` rewrites
`docs/conformance.md` with every failing case and its reason; `--check` exits 1 when a
rate is below `scripts/conformance-run-baseline.json`.
`scripts/conformance.py --run` calls `main()`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from conformance_match import Ids, check_children, check_execution  # noqa: E402

from tercel.engine.execution import Execution, Label  # noqa: E402

BASELINE = ROOT / "scripts" / "conformance-run-baseline.json"
DOCS = ROOT / "docs" / "conformance.md"
CASE_TIMEOUT = 30.0
GLOBALS_KEY = "kestra.variables.globals"
#: Why a case is known to fail, in words (shown in docs/conformance.md next to the diff).
KNOWN_REASONS: dict[str, str] = {
    "allow-failure-success": (
        "Kestra's test starts the flow with no inputs at all and the required input `crash` is"
        " then left unset; Tercel validates inputs before an execution exists (issue 4) and"
        " refuses the missing required input. Deliberate difference."
    ),
}


@dataclass
class Outcome:
    """The result of one case."""

    case: dict[str, Any]
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return not self.problems


class Corpus:
    """The corpus folder: expectations and every valid flow, parsed once."""

    def __init__(self, path: Path) -> None:
        self.path = path
        data = json.loads((path / "expectations.json").read_text(encoding="utf-8"))
        self.cases: list[dict[str, Any]] = data["cases"]
        self._flows: dict[str, Any] = {}
        self._errors: dict[str, str] = {}

    def flow(self, relative: str) -> Any:
        """The parsed flow of a corpus file (FlowValidationError is remembered and re-raised)."""
        from tercel.errors import FlowValidationError
        from tercel.model.loader import load_flow

        if relative in self._errors:
            raise FlowValidationError([]) from ValueError(self._errors[relative])
        if relative not in self._flows:
            source = (self.path / relative).read_text(encoding="utf-8")
            try:
                self._flows[relative] = load_flow(source, relative)
            except FlowValidationError as error:
                self._errors[relative] = str(error)
                raise
        return self._flows[relative]

    def error(self, relative: str) -> str:
        """Why a flow did not load."""
        return self._errors.get(relative, "")

    def all_valid(self) -> list[Any]:
        """Every flow under core/flows/valids that loads (subflows resolve as in Kestra's tests)."""
        from tercel.errors import FlowValidationError

        flows = []
        for file in sorted((self.path / "core" / "flows" / "valids").glob("*.y*ml")):
            relative = str(file.relative_to(self.path))
            try:
                flows.append(self.flow(relative))
            except (FlowValidationError, UnicodeDecodeError):
                continue
        return flows


def _sequence_key(case: dict[str, Any]) -> str | None:
    manual = case.get("manual") or ""
    return case["flow"] if manual.startswith("sequence:") else None


def _inputs(case: dict[str, Any], workdir: Path) -> dict[str, Any]:
    values: dict[str, Any] = {}
    names = case.get("file_names") or {}
    for key, value in (case.get("inputs") or {}).items():
        if key.startswith("file:"):
            input_id = key[len("file:") :]
            folder = workdir / "uploads" / input_id
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / names.get(input_id, f"{input_id}.txt")
            path.write_text(value, encoding="utf-8")
            values[input_id] = str(path)
        else:
            values[key] = value
    return values


def _runtime(case: dict[str, Any], workdir: Path, flows: list[Any]) -> Any:
    from tercel.runtime.local import LocalRuntime
    from tercel.storage.local import LocalStorage
    from tercel.store.memory import MemoryStore

    config = case.get("config") or {}
    runtime = LocalRuntime(
        store=MemoryStore(),  # type: ignore[arg-type]
        storage=LocalStorage(workdir / "storage"),
        environ=dict(case.get("env") or {}),
        globals_=config.get(GLOBALS_KEY),
        work_root=workdir,
    )
    runtime.add_flows(flows)
    return runtime


def _setup(runtime: Any, case: dict[str, Any]) -> None:
    setup = case.get("setup") or {}
    if "kv" in setup:
        entries = setup["kv"]
        namespaces = {entry["namespace"] for entry in entries} or {"io.kestra.tests"}
        for namespace in namespaces:
            for key in runtime.store.kv.keys(namespace):
                runtime.store.kv.delete(namespace, key)
        for entry in entries:
            runtime.store.kv.set(entry["namespace"], entry["key"], entry["value"])


async def _settle_all(runtime: Any, deadline: float) -> None:
    """Wait for executions still running (e.g. subflows started with `wait: false`)."""
    while time.monotonic() < deadline:
        if not runtime.executor.active():
            return
        await asyncio.sleep(0.02)


def _children(runtime: Any, root: Execution) -> list[dict[str, Any]]:
    page = runtime.store.executions.search(size=10_000)
    return [e.to_wire() for e in page.items if e.id != root.id]


async def _run_case(runtime: Any, corpus: Corpus, case: dict[str, Any], workdir: Path) -> list[str]:
    from tercel.errors import FlowValidationError, InputError

    try:
        flow = corpus.flow(case["flow"])
    except FlowValidationError as error:
        return [f"flow does not load: {corpus.error(case['flow']) or error}".splitlines()[0]]
    labels = [Label(k, str(v)) for k, v in (case.get("run_labels") or {}).items()]
    _setup(runtime, case)
    try:
        execution = runtime.create(flow, _inputs(case, workdir), labels, local_files=True)
    except InputError as error:
        return [f"inputs refused: {error}"]
    tracked = runtime.submit(flow, execution)
    deadline = time.monotonic() + CASE_TIMEOUT
    try:
        await runtime.wait(tracked, CASE_TIMEOUT)
    except TimeoutError:
        runtime.kill(execution.id)
        return [f"did not end within {CASE_TIMEOUT:.0f} s (state {execution.state.current})"]
    await _settle_all(runtime, deadline)
    root = tracked.execution.to_wire()
    children = _children(runtime, tracked.execution)
    ids = Ids(root, children)
    problems = check_execution(root, case, ids)
    specs = [c for c in case.get("children") or [] if c.get("via") != "flow-trigger"]
    problems += check_children(children, specs, ids)
    if "after_manual" in case and not problems:
        problems += await _after_manual(runtime, tracked, case["after_manual"])
    return problems


async def _after_manual(runtime: Any, tracked: Any, spec: dict[str, Any]) -> list[str]:
    """Carry out the test's follow-up action (resume, restart, replay) and compare again."""
    from tercel.storage.uri import input_file

    execution = tracked.execution
    action = spec["action"]
    if action == "resume":
        inputs: dict[str, Any] = {}
        for key, value in (spec.get("resume_inputs") or {}).items():
            if key.startswith("file:"):
                input_id = key[len("file:") :]
                content = execution.id if value == "<execution id>" else value
                uri = input_file(
                    execution.namespace, execution.flow_id, execution.id, input_id, "data.txt"
                )
                inputs[input_id] = runtime.storage.put(uri, content.encode())
            else:
                inputs[key] = value
        runtime.executor.resume(execution.id, inputs)
        after = tracked
    elif action == "restart":
        runtime.restart(execution.id)
        after = runtime.executor.tracked(execution.id)
    elif action.startswith("replay from "):
        task_id = action[len("replay from ") :]
        run = next(tr for tr in execution.task_run_list if tr.task_id == task_id)
        after = runtime.executor.tracked(runtime.replay(execution.id, run.id).id)
    else:
        return [f"unsupported follow-up action `{action}`"]
    try:
        ended = await runtime.wait(after, CASE_TIMEOUT)
    except TimeoutError:
        return [f"after {action}: did not end within {CASE_TIMEOUT:.0f} s"]
    wire = ended.to_wire()
    return [f"after {action}: {p}" for p in check_execution(wire, spec, Ids(wire, []))]


async def run_cases(
    corpus: Corpus, cases: list[dict[str, Any]], progress: Any = None
) -> list[Outcome]:
    """Run `cases` and return their outcomes, in order."""
    flows = corpus.all_valid()
    outcomes: list[Outcome] = []
    shared: dict[str, Any] = {}
    verbose = progress is not None
    with tempfile.TemporaryDirectory(prefix="tercel-conformance-") as tmp:
        for number, case in enumerate(cases):
            workdir = Path(tmp) / f"case-{number}"
            workdir.mkdir()
            key = _sequence_key(case)
            runtime = shared.get(key) if key else None
            if runtime is None:
                runtime = _runtime(
                    case, Path(tmp) / (f"seq-{number}" if key else f"rt-{number}"), flows
                )
                if key:
                    shared[key] = runtime
            started = time.perf_counter()
            try:
                problems = await _run_case(runtime, corpus, case, workdir)
            except Exception as error:  # noqa: BLE001 - one broken case must not stop the run
                problems = [f"crashed: {type(error).__name__}: {error}"]
            outcome = Outcome(case, problems, time.perf_counter() - started)
            outcomes.append(outcome)
            if verbose:
                progress(outcome)
            if not key:
                await runtime.close()
        for runtime in shared.values():
            await runtime.close()
    return outcomes


#: The first hand-written heading of docs/conformance.md; `--docs` keeps it and what follows.
HAND_WRITTEN = "## Validation: flows `tercel validate` flags on purpose"


def _failing_rows(failing: list[Outcome]) -> list[str]:
    lines = ["| case | row | flow | reason |", "|---|---|---|---|"]
    for outcome in failing:
        case = outcome.case
        reason = "; ".join(outcome.problems).replace("|", "\\|")
        if case["id"] in KNOWN_REASONS:
            reason = f"{KNOWN_REASONS[case['id']]} (observed: {reason})"
        if len(reason) > 400:
            reason = reason[:397] + "..."
        flow = case["flow"].rsplit("/", 1)[-1]
        lines.append(f"| {case['id']} | {case['row']} | {flow} | {reason} |")
    return [*lines, ""]


def write_docs(outcomes: list[Outcome], rate: float, server: list[Outcome] | None) -> None:
    """Rewrite docs/conformance.md: both pass rates and every failing case with its reason."""
    failing = [o for o in outcomes if not o.passed]
    lines = [
        "# Conformance with Kestra's own tests (`tercel run` semantics)",
        "",
        "Generated by `python scripts/conformance_run.py --corpus ../shared/kestra-corpus --docs`.",
        "Every case of the corpus's `expectations.json` (Kestra's core test flows) runs in-process",
        "and its final state, task-run count, task states, attempts, outputs, labels and child",
        "executions are compared with what Kestra's tests assert. Follow-up actions that the",
        "expectations spell out (`after_manual`: resume with inputs, restart, replay) are carried",
        "out and compared too.",
        "",
        "Every case with a `manual` step (what Kestra's Java test does beyond a plain run:",
        "resume with inputs, restart, replay, concurrent executions, flow-trigger listeners,",
        "CREATE_NEW_EXECUTION retries) is then driven again through the REST API of a full",
        "server on SQLite (`scripts/conformance_server.py`), step by step as the test drives",
        "Kestra, and checked against what the test asserts, the API's answers included.",
        "",
        "| run | pass rate | cases |",
        "|---|---|---|",
        f"| plain runs (in-process) | **{rate:.1%}** | {len(outcomes) - len(failing)} of"
        f" {len(outcomes)} |",
    ]
    server_failing = [o for o in server or [] if not o.passed]
    if server:
        server_rate = (len(server) - len(server_failing)) / len(server)
        lines.append(
            f"| manual cases through the REST API | **{server_rate:.1%}** |"
            f" {len(server) - len(server_failing)} of {len(server)} |"
        )
    lines.append("")
    if failing:
        lines += ["## Failing cases", "", *_failing_rows(failing)]
    if server_failing:
        lines += ["## Failing manual cases (REST API)", "", *_failing_rows(server_failing)]
    DOCS.parent.mkdir(parents=True, exist_ok=True)
    # Sections from HAND_WRITTEN on are maintained by hand: keep them.
    kept = ""
    if DOCS.exists():
        text = DOCS.read_text(encoding="utf-8")
        if HAND_WRITTEN in text:
            kept = text[text.index(HAND_WRITTEN) :]
    DOCS.write_text("\n".join(lines) + ("\n" + kept if kept else ""), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    """Command line entry point; returns the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "kestra-corpus")
    parser.add_argument("--check", action="store_true", help="fail below the recorded rate")
    parser.add_argument("--docs", action="store_true", help="rewrite docs/conformance.md")
    parser.add_argument("--update-baseline", action="store_true")
    parser.add_argument("--only", nargs="*", help="case ids to run")
    parser.add_argument("--verbose", "-v", action="store_true")
    parser.add_argument("--no-server", action="store_true", help="skip the REST API run")
    args = parser.parse_args(argv)
    corpus = Corpus(args.corpus)
    cases = [c for c in corpus.cases if not args.only or c["id"] in args.only]
    started = time.perf_counter()

    def show(outcome: Outcome) -> None:
        if not outcome.passed or args.verbose:
            mark = "ok  " if outcome.passed else "FAIL"
            detail = "" if outcome.passed else " — " + "; ".join(outcome.problems)
            print(f"{mark} {outcome.case['id']} ({outcome.seconds:.2f}s){detail}", flush=True)

    outcomes = asyncio.run(run_cases(corpus, cases, show))
    passed = sum(o.passed for o in outcomes)
    rate = passed / len(outcomes) if outcomes else 0.0
    elapsed = time.perf_counter() - started
    print(f"conformance --run: {passed}/{len(outcomes)} cases pass ({rate:.1%}) in {elapsed:.1f}s")
    server: list[Outcome] | None = None
    server_passed = 0
    if not args.no_server:
        from conformance_server import quiet_logs, run_manual_cases

        started = time.perf_counter()
        with quiet_logs():
            server = run_manual_cases(args.corpus, args.only, show)
        server_passed = sum(o.passed for o in server)
        elapsed = time.perf_counter() - started
        print(
            f"conformance --run (REST API): {server_passed}/{len(server)} manual cases pass"
            f" in {elapsed:.1f}s"
        )
    if args.docs:
        write_docs(outcomes, rate, server)
    if args.update_baseline:
        recorded_values: dict[str, Any] = {
            "passed": passed,
            "total": len(outcomes),
            "rate": round(rate, 4),
        }
        if server is not None:
            recorded_values |= {"server_passed": server_passed, "server_total": len(server)}
        BASELINE.write_text(json.dumps(recorded_values, indent=2) + "\n", encoding="utf-8")
    if args.check and not args.only:
        baseline = json.loads(BASELINE.read_text(encoding="utf-8")) if BASELINE.exists() else {}
        recorded = float(baseline.get("rate", 0.0))
        # The baseline keeps the rate rounded to 4 decimals: compare at that precision.
        if round(rate, 4) < recorded:
            print(f"conformance --run: {rate:.1%} is below the recorded {recorded:.1%}")
            return 1
        recorded_server = int(baseline.get("server_passed", 0))
        if server is not None and server_passed < recorded_server:
            print(
                f"conformance --run (REST API): {server_passed} manual cases pass, fewer than"
                f" the recorded {recorded_server}"
            )
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
