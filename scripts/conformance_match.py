"""Compare a finished execution (Kestra wire JSON) with one row of `expectations.json`.

Pure functions over dicts, so the comparison can be tested without running anything. The
conventions are those of `expectations.json["conventions"]` (selectors, matchers, children).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

Wire = dict[str, Any]
_MISSING = object()


class Ids:
    """Ids a matcher can refer to: the started execution, its task runs, its children."""

    def __init__(self, execution: Wire, children: list[Wire]) -> None:
        self.execution = execution
        self.children = children

    def resolve(self, spec: Any) -> Any:
        """Turn an id matcher (`$execution_id`...) into the id it names (None if unknown)."""
        if isinstance(spec, dict):
            if "$execution_id" in spec:
                return self.execution["id"]
            if "$taskrun_id" in spec:
                run = select(self.execution, spec["$taskrun_id"])
                return run["id"] if run else None
            if "$child_execution_id" in spec:
                for child in self.children:
                    if child["flowId"] == spec["$child_execution_id"]:
                        return child["id"]
                return None
        return spec


def select(execution: Wire, selector: str) -> Wire | None:
    """A task run by selector: a taskId (first run of it) or ``#n`` (index, ``#-1`` = last)."""
    runs = execution.get("taskRunList") or []
    if selector.startswith("#"):
        index = int(selector[1:])
        return runs[index] if -len(runs) <= index < len(runs) else None
    return next((run for run in runs if run["taskId"] == selector), None)


def _value_chain(execution: Wire, run: Wire) -> list[str]:
    by_id = {r["id"]: r for r in execution.get("taskRunList") or []}
    chain: list[str] = []
    current: Wire | None = run
    while current is not None:
        if current.get("value") is not None:
            chain.append(current["value"])
        parent = current.get("parentTaskRunId")
        current = by_id.get(parent) if parent else None
    return list(reversed(chain))


def select_with_values(execution: Wire, task_id: str, values: list[str] | None) -> Wire | None:
    """The task run of `task_id` whose chain of loop values equals `values` (None: first)."""
    if values is None:
        return select(execution, task_id)
    for run in execution.get("taskRunList") or []:
        if run["taskId"] == task_id and _value_chain(execution, run) == list(values):
            return run
    return None


def dig(data: Any, path: str | list[str]) -> Any:
    """Follow a dotted path (or a key list) into outputs; `_MISSING` when absent."""
    if path in ("", []):
        return data
    keys = path if isinstance(path, list) else path.split(".")
    for key in keys:
        if isinstance(data, dict) and key in data:
            data = data[key]
        elif isinstance(data, list) and key.isdigit() and int(key) < len(data):
            data = data[int(key)]
        else:
            return _MISSING
    return data


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else str(value)


def matches(actual: Any, expected: Any, ids: Ids) -> bool:
    """Whether `actual` satisfies `expected` (a matcher object or a JSON value)."""
    if isinstance(expected, dict) and expected and all(k.startswith("$") for k in expected):
        return _match_operator(actual, expected, ids)
    if actual is _MISSING:
        return expected is None
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return False
        keys = set(expected) | set(actual)
        return all(
            matches(actual.get(key, _MISSING), expected.get(key), ids)
            for key in keys
            if not (key not in expected and actual.get(key) is None)
        )
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(actual) == len(expected)
            and all(matches(a, e, ids) for a, e in zip(actual, expected, strict=True))
        )
    if isinstance(expected, bool) or isinstance(actual, bool):
        return actual is expected
    return bool(actual == expected)


def _match_operator(actual: Any, spec: dict[str, Any], ids: Ids) -> bool:
    present = actual is not _MISSING and actual is not None
    if "$not_null" in spec:
        return present
    if "$execution_id" in spec or "$taskrun_id" in spec or "$child_execution_id" in spec:
        return present and actual == ids.resolve(spec)
    if "$concat" in spec:
        text = "".join(_as_text(ids.resolve(part)) for part in spec["$concat"])
        return present and actual == text
    if not present:
        return False
    if "$contains_output_of" in spec:
        task_id, values, path = spec["$contains_output_of"]
        run = select_with_values(ids.execution, task_id, values)
        ref = dig((run or {}).get("outputs"), path)
        if run is None or ref is _MISSING:
            return False
        return spec.get("$contains_prefix", "") + _as_text(ref) in _as_text(actual)
    if "$contains" in spec:
        return _as_text(spec["$contains"]) in _as_text(actual)
    if "$startswith" in spec:
        return _as_text(actual).startswith(spec["$startswith"])
    if "$endswith" in spec:
        return _as_text(actual).endswith(spec["$endswith"])
    if "$regex" in spec:
        return re.fullmatch(spec["$regex"], _as_text(actual), re.DOTALL) is not None
    if "$gte" in spec:
        return isinstance(actual, int | float) and actual >= spec["$gte"]
    if "$has_items" in spec:
        return isinstance(actual, list) and all(item in actual for item in spec["$has_items"])
    if "$one_of" in spec:
        return actual in spec["$one_of"]
    if "$datetime_near_now_s" in spec:
        try:
            moment = datetime.fromisoformat(_as_text(actual).replace("Z", "+00:00"))
        except ValueError:
            return False
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return abs((datetime.now(UTC) - moment).total_seconds()) <= spec["$datetime_near_now_s"]
    raise ValueError(f"unknown matcher {sorted(spec)}")


def _short(value: Any) -> str:
    text = repr(value) if value is not _MISSING else "<absent>"
    return text if len(text) <= 120 else text[:117] + "..."


def check_execution(execution: Wire, case: dict[str, Any], ids: Ids) -> list[str]:
    """Every difference between one execution and the expectations in `case`."""
    problems: list[str] = []
    runs = execution.get("taskRunList") or []
    state = execution["state"]["current"]
    if "state" in case and state != case["state"]:
        problems.append(f"state {state}, expected {case['state']}")
    if case.get("taskruns") is not None and len(runs) != case["taskruns"]:
        problems.append(f"{len(runs)} task runs, expected {case['taskruns']}")

    def run_of(selector: str, what: str) -> Wire | None:
        run = select(execution, selector)
        if run is None:
            problems.append(f"{what}: no task run `{selector}`")
        return run

    for selector, expected in (case.get("task_states") or {}).items():
        run = run_of(selector, "task_states")
        if run and run["state"]["current"] != expected:
            problems.append(f"`{selector}` {run['state']['current']}, expected {expected}")
    for index, task_id in (case.get("taskrun_at") or {}).items():
        run = select(execution, f"#{index}")
        if run is None or run["taskId"] != task_id:
            problems.append(f"taskRunList[{index}] is {run and run['taskId']}, expected {task_id}")
    for selector, expected in (case.get("attempts") or {}).items():
        run = run_of(selector, "attempts")
        if run and not matches(len(run["attempts"]), expected, ids):
            problems.append(f"`{selector}` {len(run['attempts'])} attempts, expected {expected}")
    for selector, expected in (case.get("attempt_states") or {}).items():
        run = run_of(selector, "attempt_states")
        got = [a["state"]["current"] for a in run["attempts"]] if run else None
        if run and got != expected:
            problems.append(f"`{selector}` attempt states {got}, expected {expected}")
    for selector, counts in (case.get("history_counts") or {}).items():
        run = run_of(selector, "history_counts")
        for name, expected in counts.items():
            got = sum(1 for h in run["state"]["histories"] if h["state"] == name) if run else 0
            if run and got != expected:
                problems.append(f"`{selector}` {got}× {name} in history, expected {expected}")
    for name, expected in (case.get("state_counts") or {}).items():
        got = sum(1 for run in runs if run["state"]["current"] == name)
        if not matches(got, expected, ids):
            problems.append(f"{got} task runs {name}, expected {expected}")
    for task_id in case.get("absent_tasks") or []:
        if any(run["taskId"] == task_id for run in runs):
            problems.append(f"`{task_id}` has a task run, expected none")
    for task_id, expected in (case.get("task_counts") or {}).items():
        got = sum(1 for run in runs if run["taskId"] == task_id)
        if got != expected:
            problems.append(f"`{task_id}` has {got} task runs, expected {expected}")
    for selector, values, path, expected in case.get("task_outputs") or []:
        run = select_with_values(execution, selector, values)
        if run is None:
            problems.append(f"task_outputs: no task run `{selector}` {values or ''}".rstrip())
            continue
        got = dig(run.get("outputs"), path)
        if not matches(got, expected, ids):
            problems.append(f"`{selector}` outputs {path!r} = {_short(got)}, expected {expected}")
    if "flow_outputs" in case:
        expected = case["flow_outputs"]
        got = execution.get("outputs")
        if expected is None:
            if got:
                problems.append(f"flow outputs {_short(got)}, expected none")
        else:
            for key, want in expected.items():
                value = dig(got or {}, [key])
                if not matches(value, want, ids):
                    problems.append(f"flow output `{key}` = {_short(value)}, expected {want}")
    for key, want in (case.get("exec_inputs") or case.get("child_inputs") or {}).items():
        value = dig(execution.get("inputs") or {}, [key])
        if not matches(value, want, ids):
            problems.append(f"input `{key}` = {_short(value)}, expected {want}")
    if "labels" in case:
        labels = {label["key"]: label["value"] for label in execution.get("labels") or []}
        for key, want in case["labels"].items():
            if not matches(labels.get(key, _MISSING), want, ids):
                problems.append(
                    f"label `{key}` = {_short(labels.get(key, _MISSING))}, expected {want}"
                )
        if case.get("labels_exact") and set(labels) != set(case["labels"]):
            problems.append(f"labels {sorted(labels)}, expected exactly {sorted(case['labels'])}")
    if "trigger" in case:
        # Kestra's tests assert trigger variables one by one: extra variables are fine.
        trigger = execution.get("trigger") or {}
        for key, want in case["trigger"].items():
            got = trigger.get(key, _MISSING)
            if isinstance(want, dict) and not any(k.startswith("$") for k in want):
                got_map = got if isinstance(got, dict) else {}
                for name, value in want.items():
                    if not matches(got_map.get(name, _MISSING), value, ids):
                        problems.append(
                            f"trigger {key}.{name} = {_short(got_map.get(name))}, expected {value}"
                        )
            elif not matches(got, want, ids):
                problems.append(f"trigger `{key}` = {_short(got)}, expected {want}")
    return problems


def check_children(children: list[Wire], specs: list[dict[str, Any]], ids: Ids) -> list[str]:
    """Differences between the executions a run created and the `children` expectations."""
    problems: list[str] = []
    for spec in specs:
        of_flow = [child for child in children if child["flowId"] == spec["flow"]]
        expected_count = spec.get("count", 1)
        if len(of_flow) != expected_count:
            problems.append(
                f"{len(of_flow)} executions of `{spec['flow']}`, expected {expected_count}"
            )
        child_case = dict(spec)
        child_case["child_inputs"] = spec.get("inputs")
        failing = [p for child in of_flow for p in check_execution(child, child_case, ids)[:1]]
        if failing:
            many = f" (in {len(failing)} of {len(of_flow)})" if len(of_flow) > 1 else ""
            problems.append(f"child `{spec['flow']}`: {failing[0]}{many}")
    return problems
