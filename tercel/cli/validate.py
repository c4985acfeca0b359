"""`tercel validate PATH...`: check flow files and folders, print every problem.

Output is one ``path:line:col: message (hint)`` line per problem on stdout, the form
editors and CI parse; a summary goes to stderr. Exit code 0 when every flow is valid.
"""

from __future__ import annotations

import importlib
import json
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from tercel.errors import Problem

if TYPE_CHECKING:
    from tercel.model.flow import Flow
    from tercel.model.loader import FlowResult

# The model is imported by the functions that use it, not here: `tercel --help` lists this
# command without loading pydantic models.


def _reference_check() -> Any:
    """The templating package's static check of `{{ ... }}` references, when it exists.

    Its signature is `tercel.model.loader.Check`: ``(flow, source, path) -> problems``.
    """
    try:
        module = importlib.import_module("tercel.templating.references")
    except ImportError:
        return None
    return getattr(module, "check_flow_source", None)


def reference_problems(result: FlowResult) -> list[Problem]:
    """The static template-reference problems of a valid flow, at file lines (beyond Kestra)."""
    return _check_references(_reference_check(), result)


def _check_references(check: Any, result: FlowResult) -> list[Problem]:
    flow: Flow | None = result.flow
    if check is None or flow is None or not result.ok:
        return []
    found = check(flow, result.source, result.path)
    # Lines count from the document's own text; shift them to the file's lines.
    return [
        replace(problem, line=problem.line + result.source_offset) if problem.line else problem
        for problem in found
        if isinstance(problem, Problem)
    ]


def _format_with_severity(problem: Problem) -> str:
    """``path:line:col: warning: message (hint)`` for problems that are not errors."""
    text = f"{problem.path}:{problem.line}:{problem.column}: {problem.severity}: {problem.message}"
    return f"{text} ({problem.hint})" if problem.hint else text


def unusable_paths(paths: list[Path]) -> list[str]:
    """Why some of `paths` give nothing to validate: missing, or folders without flow files.

    Said on stderr, because a silent exit 1 (or a silent "0/0 valid") leaves the user
    guessing whether the tool looked at anything at all.
    """
    from tercel.model.loader import flow_files

    reasons: list[str] = []
    for path in paths:
        if not path.exists():
            reasons.append(f"{path}: no such file or directory")
        elif path.is_dir() and not flow_files([path]) and not _is_project(path):
            reasons.append(f"no flow files (*.yml, *.yaml) found under {path}")
    return reasons


def _is_project(path: Path) -> bool:
    from tercel.ascode.folder import is_project

    return is_project(path)


def validate_paths(
    paths: list[Path], flows_dir: Path | None = None
) -> tuple[list[FlowResult], list[Problem]]:
    """Validate every flow file under `paths`; return the results and all problems.

    A flows-as-code folder (with ``flows/``, ``namespaces/`` or ``environments/``) is
    checked whole: its namespace and environment files too, which are not flows. Test files
    (`tercel test`) among them are checked as tests: against the valid flows found under
    `paths` and in `flows_dir`.
    """
    from tercel.ascode.folder import is_project, load_folder
    from tercel.flowtests.loader import is_test_file
    from tercel.model.duplicates import flag_duplicate_flows
    from tercel.model.loader import flow_files, validate_file

    check = _reference_check()
    results: list[FlowResult] = []
    problems: list[Problem] = []
    projects = [path for path in paths if is_project(path)]
    for project in projects:
        folder = load_folder(project)  # flows checked as below, plus the other files
        results.extend(folder.flow_results)
        problems.extend(folder.problems)
    test_files = [file for file in flow_files(projects) if is_test_file(file)]
    loose: list[FlowResult] = []
    for file in flow_files(path for path in paths if path.exists() and not is_project(path)):
        if is_test_file(file):
            test_files.append(file)
            continue
        for result in validate_file(file):
            result.problems.extend(_check_references(check, result))
            loose.append(result)
    flag_duplicate_flows(loose)
    results.extend(loose)
    problems.extend(problem for result in loose for problem in result.problems)
    if test_files:
        problems.extend(_test_problems(test_files, results, flows_dir))
    return results, problems


def _test_problems(
    files: list[Path], results: list[FlowResult], flows_dir: Path | None
) -> list[Problem]:
    from tercel.errors import NotFoundError
    from tercel.flowtests.loader import check_against_flows, validate_test_file
    from tercel.runtime.flows import load_flow_dir

    flows = {(r.flow.namespace, r.flow.id): r.flow for r in results if r.ok and r.flow}
    if flows_dir is not None and flows_dir.exists():
        for flow in load_flow_dir(flows_dir).all():
            flows.setdefault((flow.namespace, flow.id), flow)

    def find(namespace: str, flow_id: str) -> Flow:
        try:
            return flows[(namespace, flow_id)]
        except KeyError:
            raise NotFoundError(f"flow `{namespace}.{flow_id}` not found") from None

    problems: list[Problem] = []
    for file in files:
        for suite in validate_test_file(file):
            suite.problems.extend(check_against_flows(suite, find))
            problems.extend(sorted(suite.problems, key=lambda p: (p.line, p.column)))
    return problems


def validate(
    paths: Annotated[
        list[Path], typer.Argument(help="Flow files or folders (*.yml, *.yaml, recursively).")
    ],
    flows: Annotated[
        Path | None,
        typer.Option("--flows", help="More flows that test files may name (not validated)."),
    ] = None,
    output_format: Annotated[
        str,
        typer.Option(
            "--format", help="`text`: path:line:col: message; `json`: one object per problem."
        ),
    ] = "text",
) -> None:
    """Check flows: print each problem as `path:line:col: message`; exit 1 if any."""
    if output_format not in ("text", "json"):
        raise typer.BadParameter("expected `text` or `json`", param_hint="--format")
    unusable = unusable_paths(paths)
    for reason in unusable:
        typer.echo(reason, err=True)
    from tercel.flowtests.loader import is_test_file
    from tercel.model.loader import flow_files

    results, problems = validate_paths(paths, flows)
    if output_format == "json":
        typer.echo(json.dumps([_problem_json(problem) for problem in problems], indent=2))
    else:
        for problem in problems:
            if problem.severity == "error":
                typer.echo(problem.format())
            else:
                typer.echo(_format_with_severity(problem))
    errors = [problem for problem in problems if problem.severity == "error"]
    valid = sum(1 for result in results if result.ok)
    files = len({result.path for result in results})
    typer.echo(
        f"{valid}/{len(results)} flow(s) valid in {files} file(s), "
        f"{len(errors)} error(s), {len(problems) - len(errors)} warning(s)",
        err=True,
    )
    # Like eslint (not ruff), a path with nothing to validate fails: in CI a typo in the
    # path must not pass as "all flows valid".
    # A flows-as-code folder may hold only namespaces or environments, and still be valid.
    tests = [f for f in flow_files(p for p in paths if p.exists()) if is_test_file(f)]
    empty = not (results or tests) and not any(_is_project(path) for path in paths)
    raise typer.Exit(1 if errors or unusable or empty else 0)


def _problem_json(problem: Problem) -> dict[str, object]:
    return {
        "path": problem.path,
        "line": problem.line,
        "column": problem.column,
        "severity": problem.severity,
        "message": problem.message,
        "hint": problem.hint,
        "location": problem.location,
    }


def register(app: typer.Typer) -> None:
    """Add the `validate` command."""
    app.command("validate")(validate)
