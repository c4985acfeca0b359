"""Static checks of a flow's templates, before anything runs (beyond Kestra).

Kestra finds a typo in ``{{ outputs.extrct.value }}`` only when the task runs. Here every
string property of every task (and flow outputs, variables, checks, triggers) is parsed
and these are reported at the template's position:

* ``outputs.<id>`` / ``outputs['<id>']`` naming no task of the flow;
* ``inputs.<id>`` naming no declared input, ``vars.<name>`` no flow variable, ``tasks.<id>``
  no task;
* unknown functions, filters and tests;
* templates that do not parse.

What cannot be proven is left alone: references the template guards itself (``??``,
``is defined``, ``default``: warnings, wherever the guarded name is used in it), dynamic
subscripts (``outputs[name]``), names the template assigns itself (``{% set %}``, loop
variables, macros), ``outputs``/``inputs`` inside triggers, input defaults and a
Subflow's ``outputs`` (they render elsewhere).

Use `check_flow(flow, locate, path)`; `check_flow_source(flow, source, path)` has the
signature of `tercel.model.loader.add_check` and finds positions in the YAML text.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from jinja2 import TemplateSyntaxError as JinjaSyntaxError
from jinja2 import nodes

from tercel.errors import Problem
from tercel.templating.rendering import environment, has_template
from tercel.templating.syntax import HELPER_PREFIX

if TYPE_CHECKING:
    from tercel.model.flow import Flow

Locate = Callable[[str], tuple[int, int]]
PathItem = str | int
Path = tuple[PathItem, ...]

#: Properties Kestra never renders.
_NOT_RENDERED = frozenset({"id", "type", "description"})
#: Top-level flow properties whose strings are rendered in the execution's context.
_EXECUTION_SCOPED = ("tasks", "errors", "finally", "afterExecution", "listeners", "outputs",
                     "variables", "checks")  # fmt: skip
#: Names Jinja defines inside templates by itself.
_IMPLICIT_NAMES = frozenset({"loop", "caller", "varargs", "kwargs"})


@dataclass(frozen=True, slots=True)
class _Scope:
    task_ids: frozenset[str]
    input_roots: frozenset[str]
    variables: frozenset[str]
    check_references: bool


def format_location(path: Path) -> str:
    """``("tasks", 2, "message")`` → ``tasks[2].message``."""
    text = ""
    for item in path:
        if isinstance(item, int):
            text += f"[{item}]"
        else:
            text += f".{item}" if text else str(item)
    return text


def parse_location(location: str) -> Path:
    """``tasks[2].message`` → ``("tasks", 2, "message")``."""
    path: list[PathItem] = []
    for part in location.replace("[", ".[").split("."):
        if not part:
            continue
        if part.startswith("[") and part.endswith("]") and part[1:-1].isdigit():
            path.append(int(part[1:-1]))
        else:
            path.append(part)
    return tuple(path)


#: Task types whose `outputs` property renders against the child execution.
_SUBFLOW_TYPES = frozenset(
    {"io.kestra.plugin.core.flow.Subflow", "io.kestra.core.tasks.flows.Subflow",
     "io.kestra.core.tasks.flows.Flow", "io.kestra.plugin.core.flow.Flow"}
)  # fmt: skip


def _strings(value: Any, path: Path, own: bool = True) -> Iterator[tuple[Path, str, bool]]:
    """(path, template, own) for every templated string; `own` is False where the template
    renders against another execution's context (a subflow's `outputs`)."""
    if isinstance(value, str):
        if has_template(value):
            yield path, value, own
    elif isinstance(value, Mapping):
        subflow = value.get("type") in _SUBFLOW_TYPES
        for key, item in value.items():
            if isinstance(key, str) and key in _NOT_RENDERED:
                continue
            if isinstance(key, str) and has_template(key):
                yield (*path, key), key, own
            yield from _strings(item, (*path, key), own and not (subflow and key == "outputs"))
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from _strings(item, (*path, index), own)


def _suggest(name: str, known: frozenset[str]) -> str | None:
    close = difflib.get_close_matches(name, sorted(known), n=1)
    return f"did you mean `{close[0]}`?" if close else None


@lru_cache(maxsize=2048)
def _parse(template: str) -> nodes.Template:
    """The syntax tree of a template (cached: flows repeat the same expressions)."""
    return environment().parse(template)


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem inside one template, before it is placed in the YAML file."""

    message: str
    hint: str | None = None
    severity: str = "error"
    #: 1-based line inside the template.
    line: int = 1
    #: Text to look for on that line to place the column (a name), if any.
    needle: str | None = None


class _TemplateChecker:
    """Finds the problems of one template string."""

    def __init__(self, scope: _Scope) -> None:
        env = environment()
        self.scope = scope
        self.functions = frozenset(env.globals)
        self.filters = frozenset(env.filters)
        self.tests = frozenset(env.tests)

    def findings(self, template: str) -> list[Finding]:
        """The problems of `template`, in order, without repeats."""
        try:
            tree = _parse(template)
        except JinjaSyntaxError as error:
            message = f"template does not parse: {error.message}"
            return [Finding(message, line=error.lineno or 1)]
        assigned = (
            {node.name for node in tree.find_all(nodes.Name) if node.ctx in ("store", "param")}
            | {macro.name for macro in tree.find_all(nodes.Macro)}
            | _IMPLICIT_NAMES
        )
        guarded = _guarded_nodes(tree)
        # `{% if outputs.x is defined %}{{ outputs.x.value }}` uses `outputs.x` outside the
        # guard too: a template that tests a reference itself may use it where it is set.
        guarded_keys = {
            key
            for node in tree.find_all((nodes.Getattr, nodes.Getitem))
            if id(node) in guarded and (key := _reference_key(node)) is not None
        }
        found: list[Finding] = []
        for node in tree.find_all((nodes.Filter, nodes.Test, nodes.Call, nodes.Getattr,
                                   nodes.Getitem)):  # fmt: skip
            problem = self._check(node, assigned)
            if problem is None:
                continue
            message, hint, needle = problem
            # A reference the template guards itself (`?? 'x'`, `is defined`, `default`)
            # may be missing on purpose: a warning, not an error.
            is_reference = isinstance(node, (nodes.Getattr, nodes.Getitem))
            guarded_here = id(node) in guarded or _reference_key(node) in guarded_keys
            severity = "warning" if is_reference and guarded_here else "error"
            finding = Finding(message, hint, severity, node.lineno or 1, needle)
            if finding not in found:
                found.append(finding)
        return found

    def _check(self, node: nodes.Node, assigned: set[str]) -> tuple[str, str | None, str] | None:
        if isinstance(node, nodes.Filter) and node.name not in self.filters:
            return f"unknown filter `{node.name}`", _suggest(node.name, self.filters), node.name
        if isinstance(node, nodes.Test) and node.name not in self.tests:
            return f"unknown test `{node.name}`", _suggest(node.name, self.tests), node.name
        if isinstance(node, nodes.Call):
            target = node.node
            if (
                isinstance(target, nodes.Name)
                and target.name not in assigned
                and target.name not in self.functions
            ):
                hint = _suggest(target.name, self.functions)
                return f"unknown function `{target.name}()`", hint, target.name
            return None
        if not self.scope.check_references:
            return None
        return self._reference(node, assigned)

    def _reference(
        self, node: nodes.Node, assigned: set[str]
    ) -> tuple[str, str | None, str] | None:
        if not isinstance(node, (nodes.Getattr, nodes.Getitem)):
            return None
        base = node.node
        if not isinstance(base, nodes.Name) or base.name in assigned:
            return None
        if isinstance(node, nodes.Getattr):
            key: Any = node.attr
        elif isinstance(node.arg, nodes.Const):
            key = node.arg.value
        else:
            return None  # a dynamic subscript: nothing to prove
        if not isinstance(key, str):
            return None
        if base.name == "outputs" and key not in self.scope.task_ids:
            message = f"`outputs.{key}` refers to a task `{key}` that does not exist in this flow"
            return (
                message,
                _hyphen_hint(key, self.scope.task_ids) or _suggest(key, self.scope.task_ids),
                key,
            )
        if base.name == "inputs" and key not in self.scope.input_roots:
            message = f"`inputs.{key}` is not a declared input of this flow"
            return message, _suggest(key, self.scope.input_roots), key
        if base.name == "vars" and key not in self.scope.variables:
            message = f"`vars.{key}` is not among the flow's `variables`"
            return message, _suggest(key, self.scope.variables), key
        if base.name == "tasks" and key not in self.scope.task_ids:
            message = f"`tasks.{key}` refers to a task `{key}` that does not exist in this flow"
            return message, _suggest(key, self.scope.task_ids), key
        return None


def _reference_key(node: nodes.Node) -> tuple[str, str] | None:
    """``("outputs", "x")`` for ``outputs.x`` / ``outputs['x']``; None for anything else."""
    if not isinstance(node, (nodes.Getattr, nodes.Getitem)) or not isinstance(
        node.node, nodes.Name
    ):
        return None
    if isinstance(node, nodes.Getattr):
        return node.node.name, node.attr
    if isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
        return node.node.name, node.arg.value
    return None


_GUARDS = frozenset({"coalesce", "undefined_coalesce", "test_defined", "default"})


def _guarded_nodes(tree: nodes.Node) -> set[int]:
    """Ids of the nodes inside the first argument of ``??``, ``is defined``, ``default``..."""
    guarded: set[int] = set()
    for call in tree.find_all(nodes.Call):
        target = call.node
        if (
            isinstance(target, nodes.InternalName)
            and target.name.removeprefix(HELPER_PREFIX) in _GUARDS
            and call.args
        ):
            first = call.args[0]
            guarded.add(id(first))
            guarded.update(id(child) for child in first.find_all(nodes.Node))
    return guarded


def _scope(flow: Flow, *, check_references: bool) -> _Scope:
    # `key` is the input's `id` (or its deprecated `name`).
    inputs = frozenset(
        str(getattr(item, "key", None) or getattr(item, "id", "")).split(".")[0]
        for item in flow.inputs
    )
    variables = frozenset(str(name) for name in (flow.variables or {}))
    task_ids = frozenset(task.id for task in flow.all_tasks())
    return _Scope(task_ids, inputs, variables, check_references)


#: Where a finding goes: (dotted location, template, finding) → (line, column).
Place = Callable[[str, str, Finding], tuple[int, int]]


def _findings(flow: Flow) -> Iterator[tuple[str, str, Finding]]:
    data = flow.model_dump(by_alias=True, exclude_unset=True, mode="python")
    in_execution = _TemplateChecker(_scope(flow, check_references=True))
    in_trigger = _TemplateChecker(_scope(flow, check_references=False))
    for section, checker in [*((name, in_execution) for name in _EXECUTION_SCOPED),
                             ("triggers", in_trigger), ("inputs", in_trigger)]:  # fmt: skip
        for where, template, own in _strings(data.get(section), (section,)):
            for finding in (checker if own else in_trigger).findings(template):
                yield format_location(where), template, finding


def _problems(flow: Flow, place: Place | None, path: str) -> list[Problem]:
    problems: list[Problem] = []
    for location, template, finding in _findings(flow):
        line, column = place(location, template, finding) if place is not None else (0, 0)
        message = finding.message
        if "\n" in template.strip("\n"):
            message += f" (line {finding.line} of the template)"
        problems.append(
            Problem(message, path, line, column, finding.hint, location, finding.severity)
        )
    return problems


def check_flow(
    flow: Flow, locate: Locate | str | None = None, path: str = "<string>"
) -> list[Problem]:
    """Problems of every template of `flow`, positioned with `locate(location)` when given.

    `locate` maps a dotted location such as ``tasks[2].message`` to the 1-based
    ``(line, column)`` of that value; without it problems carry the location and line 0.
    Given the flow's YAML text instead, positions are read from it (`check_flow_source`).
    """
    if isinstance(locate, str):
        return check_flow_source(flow, locate, path)
    if locate is None:
        return _problems(flow, None, path)
    return _problems(flow, lambda location, _template, _finding: locate(location), path)


def check_flow_source(flow: Flow, source: str, path: str) -> list[Problem]:
    """`check_flow` with positions read from the flow's YAML `source`, down to the column.

    Matches ``tercel.model.loader.Check``; register with
    ``tercel.model.loader.add_check(check_flow_source)``. Lines count from the start of
    `source` (for a multi-document file, add the document's start line minus one).
    """
    from tercel.model.yaml_source import parse_documents

    documents = parse_documents(source, path)
    positions = documents[0].positions if documents else None
    lines = source.splitlines()

    def place(location: str, template: str, finding: Finding) -> tuple[int, int]:
        if positions is None:
            return 0, 0
        found = positions.value(parse_location(location))
        return _refine(lines, found.line, found.column, template, finding)

    return _problems(flow, place, path)


def _refine(
    lines: list[str], line: int, column: int, template: str, finding: Finding
) -> tuple[int, int]:
    """From the value's start to the offending name: block scalars and quotes handled."""
    if not 1 <= line <= len(lines):
        return line, column
    start = lines[line - 1][column - 1 : column] if column >= 1 else ""
    if start in ("|", ">"):
        # A block scalar: the template starts on the next line.
        target = line + finding.line
        if target > len(lines):
            return line, column
        text = lines[target - 1]
        index = text.find(finding.needle) if finding.needle else -1
        indent = len(text) - len(text.lstrip())
        return target, (index if index >= 0 else indent) + 1
    if finding.line != 1 or not finding.needle:
        return line + finding.line - 1, column
    offset = template.split("\n", 1)[0].find(finding.needle)
    if offset < 0:
        return line, column
    quoted = 1 if start in ("'", '"') else 0
    return line, column + quoted + offset


def _hyphen_hint(key: str, task_ids: Iterable[str]) -> str | None:
    """`outputs.my-task.value` reads as `outputs.my - task.value`: say how to write it."""
    hyphenated = sorted(task for task in task_ids if task.startswith(f"{key}-"))
    if not hyphenated:
        return None
    return f"a hyphenated id needs brackets: `outputs['{hyphenated[0]}']`"
