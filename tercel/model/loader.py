"""Load flows from YAML: parse, apply plugin defaults, validate, check flow-wide rules.

Every problem of a document is collected and raised at once as `FlowValidationError`;
nothing else escapes on bad input::

    flow = load_flow(text, "flows/hello.yml")
    for flow, source in load_flows_from_path("flows/"):
        ...
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path as FsPath
from typing import Any

from pydantic import ValidationError

from tercel.errors import FlowValidationError, Problem
from tercel.model.defaults import PluginDefaultEntry, apply_plugin_defaults
from tercel.model.flow import Flow
from tercel.model.hints import python_only_names
from tercel.model.positions import problems_from_error
from tercel.model.rules import check_rules
from tercel.model.yaml_source import Document, PositionMap, format_path, parse_documents

FLOW_SUFFIXES = (".yml", ".yaml")

#: Extra checks run on every valid flow (e.g. static template references); each returns
#: problems for the flow in `source`. Registered by other packages, see `add_check`.
Check = Callable[[Flow, str, str], list[Problem]]
_checks: list[Check] = []


def add_check(check: Check) -> None:
    """Register an extra flow check `check(flow, source, path) -> problems`."""
    if check not in _checks:
        _checks.append(check)


@dataclass
class FlowResult:
    """The outcome of validating one YAML document: a flow, or problems, or both (warnings)."""

    path: str
    source: str
    flow: Flow | None = None
    problems: list[Problem] = field(default_factory=list)
    start_line: int = 1
    #: Lines of the file before `source` (multi-document files): add it to a line of `source`.
    source_offset: int = 0

    @property
    def ok(self) -> bool:
        """Whether the document is a valid flow (warnings allowed)."""
        return self.flow is not None and not any(p.severity == "error" for p in self.problems)


def validate_source(
    source: str, path: str = "<string>", *, extra_defaults: Sequence[PluginDefaultEntry] = ()
) -> list[FlowResult]:
    """Validate every document of `source`; never raises on bad input."""
    documents = parse_documents(source, path)
    texts = _split_documents(source, documents)
    non_empty = [d for d in documents if d.data is not None or d.problems]
    results: list[FlowResult] = []
    for document, (text, offset) in zip(documents, texts, strict=True):
        if document.data is None and not document.problems and non_empty:
            continue  # an empty document between `---` markers
        result = _validate_document(document, text, path, extra_defaults)
        result.source_offset = offset
        results.append(result)
    return results


def load_flow(
    source: str, path: str = "<string>", *, extra_defaults: Sequence[PluginDefaultEntry] = ()
) -> Flow:
    """Parse and validate one flow; raise `FlowValidationError` with every problem."""
    results = validate_source(source, path, extra_defaults=extra_defaults)
    problems = [problem for result in results for problem in result.problems]
    if len(results) > 1:
        problems.append(
            Problem(
                f"expected one flow, found {len(results)} YAML documents",
                path,
                results[1].start_line,
                1,
            )
        )
    errors = [problem for problem in problems if problem.severity == "error"]
    if errors or results[0].flow is None:
        raise FlowValidationError(errors or problems)
    return results[0].flow


def load_flows(source: str, path: str = "<string>") -> list[tuple[Flow, str]]:
    """Every flow of a (multi-document) YAML text, each with its own document's source."""
    results = validate_source(source, path)
    _raise_for(results)
    return [(result.flow, result.source) for result in results if result.flow is not None]


def load_flows_from_path(path: str | FsPath) -> list[tuple[Flow, str]]:
    """Every flow of a file or (recursively) of a folder's ``*.yml``/``*.yaml`` files.

    Returns ``(flow, source)`` pairs, `source` being the YAML text of that flow's document;
    raises one `FlowValidationError` listing the problems of every invalid file.
    """
    results: list[FlowResult] = []
    for file in flow_files([path]):
        results.extend(validate_file(file))
    _raise_for(results)
    return [(result.flow, result.source) for result in results if result.flow is not None]


def validate_file(file: FsPath) -> list[FlowResult]:
    """Validate one file; unreadable or non-UTF-8 files become a problem, not an exception."""
    try:
        source = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        return [
            FlowResult(
                str(file), "", None, [Problem(f"cannot read file: {error}", str(file), 1, 1)]
            )
        ]
    return validate_source(source, str(file))


def flow_files(paths: Iterable[str | FsPath]) -> list[FsPath]:
    """Expand folders into their ``*.yml``/``*.yaml`` files (sorted); files are kept as given."""
    files: list[FsPath] = []
    for raw in paths:
        path = FsPath(raw)
        if path.is_dir():
            files.extend(
                sorted(p for p in path.rglob("*") if p.suffix in FLOW_SUFFIXES and p.is_file())
            )
        else:
            files.append(path)
    return files


def parse_flow_dict(
    data: dict[str, Any],
    *,
    path: str = "<dict>",
    extra_defaults: Sequence[PluginDefaultEntry] = (),
) -> Flow:
    """Validate a flow given as a dict (e.g. JSON from the API); no positions (0:0)."""
    document = Document(data, PositionMap(), [])
    result = _validate_document(document, "", path, extra_defaults, positioned=False)
    errors = [problem for problem in result.problems if problem.severity == "error"]
    if errors or result.flow is None:
        raise FlowValidationError(errors or result.problems)
    return result.flow


def _raise_for(results: list[FlowResult]) -> None:
    problems = [p for result in results for p in result.problems if p.severity == "error"]
    if problems:
        raise FlowValidationError(problems)


def _validate_document(
    document: Document,
    text: str,
    path: str,
    extra_defaults: Sequence[PluginDefaultEntry],
    *,
    positioned: bool = True,
) -> FlowResult:
    result = FlowResult(path, text, None, list(document.problems), document.start_line)
    data = document.data
    if not isinstance(data, dict):
        if not document.problems:
            line = document.start_line
            shape = "an empty document" if data is None else f"a {type(data).__name__}"
            result.problems.append(
                Problem(
                    f"a flow must be a map with `id`, `namespace` and `tasks`, found {shape}",
                    path,
                    line,
                    1,
                )
            )
        return result
    positions = document.positions
    try:
        data = apply_plugin_defaults(data, extra_defaults, positions=positions)
        result.problems.extend(check_rules(data, positions, path))
        for key_path, alias in python_only_names(Flow, data):
            position = positions.key(key_path)
            result.problems.append(
                Problem(
                    f"unknown property `{key_path[-1]}`",
                    path,
                    position.line,
                    position.column,
                    f"did you mean `{alias}`?",
                    format_path(key_path),
                )
            )
        try:
            result.flow = Flow.model_validate(data)
        except ValidationError as error:
            result.problems.extend(
                problems_from_error(error, data, positions, path_name=path, root=Flow)
            )
        if result.ok and result.flow is not None:
            for check in _checks:
                result.problems.extend(check(result.flow, text, path))
    except RecursionError:
        result.problems.append(Problem("document is nested too deeply", path, 1, 1))
    except Exception as error:  # noqa: BLE001 - a plugin validator bug must not crash callers
        result.flow = None
        result.problems.append(
            Problem(
                f"internal error while validating: {type(error).__name__}: {error}",
                path,
                document.start_line,
                1,
                "this is a bug in Tercel or in a plugin; please report it",
            )
        )
    if positioned:
        result.problems = _once_per_place(result.problems)
    else:
        result.problems = [_unpositioned(problem) for problem in result.problems]
    result.problems.sort(key=lambda problem: (problem.line, problem.column))
    return result


def _once_per_place(problems: list[Problem]) -> list[Problem]:
    """One problem per place and message: a bad `pluginDefaults` value applied to three tasks
    is one mistake in the file, reported once at the default's line."""
    seen: set[tuple[int, int, str, str]] = set()
    kept: list[Problem] = []
    for problem in problems:
        key = (problem.line, problem.column, problem.message, problem.severity)
        if key not in seen:
            seen.add(key)
            kept.append(problem)
    return kept


def _unpositioned(problem: Problem) -> Problem:
    return Problem(
        problem.message, problem.path, 0, 0, problem.hint, problem.location, problem.severity
    )


_DOCUMENT_MARKER = re.compile(r"^---(?:[ \t].*)?$\n?", re.MULTILINE)


def _split_documents(source: str, documents: list[Document]) -> list[tuple[str, int]]:
    """Each document's own text and the number of file lines before it, split at ``---``."""
    if len(documents) == 1:
        return [(source, 0)]
    markers = list(_DOCUMENT_MARKER.finditer(source))
    starts = [0, *(marker.end() for marker in markers)]
    ends = [*(marker.start() for marker in markers), len(source)]
    pieces = list(zip(starts, ends, strict=True))
    # A leading `---` leaves an empty first piece that is no document.
    if len(pieces) > len(documents) and not source[: pieces[0][1]].strip():
        pieces = pieces[1:]
    if len(pieces) != len(documents):
        return [(source, 0)] * len(documents)
    return [(source[start:end], source.count("\n", 0, start)) for start, end in pieces]
