"""`tercel test PATH...`: run flow unit tests (Kestra's test files) and report like pytest.

Exit codes: 0 every case passed (or was skipped), 1 a case failed or erred, 2 a test file is
invalid or names a flow that cannot be found (problems on stderr as ``path:line:col``).
`--json` prints only Kestra's test run results on stdout; `--junit-xml FILE` writes a report
CI systems read.
"""

from __future__ import annotations

import asyncio
import fnmatch
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from tercel.flowtests.loader import Collection
    from tercel.flowtests.runner import CaseSpec

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_INVALID = 2


def select(specs: list[CaseSpec], pattern: str | None) -> list[CaseSpec]:
    """The cases whose ``suite::case`` name (or file path) matches `pattern`.

    A pattern with ``*``, ``?`` or ``[`` is a glob; anything else matches as a substring;
    both ignore case.
    """
    if not pattern:
        return specs
    wanted = pattern.lower()
    globbing = any(char in wanted for char in "*?[")

    def matches(spec: CaseSpec) -> bool:
        names = (spec.name.lower(), spec.suite_result.path.lower())
        if globbing:
            return any(fnmatch.fnmatchcase(name, wanted) for name in names)
        return any(wanted in name for name in names)

    return [spec for spec in specs if matches(spec)]


def specs_of(collection: Collection) -> list[CaseSpec]:
    """Every case of every valid suite, in file order."""
    from tercel.flowtests.runner import CaseSpec

    specs: list[CaseSpec] = []
    for result in collection.suites:
        if result.suite is None:
            continue
        flow = collection.flows.get((result.suite.namespace, result.suite.flow_id))
        specs.extend(CaseSpec(result, index, flow) for index in range(len(result.suite.test_cases)))
    return specs


def flowtest_command(  # noqa: PLR0917 - Typer maps each parameter to an option
    paths: Annotated[
        list[Path], typer.Argument(help="Test files or folders (*.yml with `testCases`).")
    ],
    flows: Annotated[
        Path | None,
        typer.Option(
            "--flows", help="Folder of flows (and namespaces/, files/); default: the PATHs."
        ),
    ] = None,
    keyword: Annotated[
        str | None,
        typer.Option("-k", help="Only cases whose `suite::case` name or path matches."),
    ] = None,
    junit_xml: Annotated[
        Path | None, typer.Option("--junit-xml", help="Also write a JUnit XML report here.")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print only the results as JSON (Kestra's shape).")
    ] = False,
    timeout: Annotated[
        float, typer.Option("--timeout", help="Seconds a case may run before it is killed.")
    ] = 60.0,
    jobs: Annotated[int, typer.Option("--jobs", "-j", help="Cases run at once.")] = 4,
) -> None:
    """Run flow unit tests: each case a transient execution with its fixtures, then checks."""
    from tercel.errors import InputError
    from tercel.flowtests.loader import collect
    from tercel.flowtests.report import json_report, text_report
    from tercel.flowtests.report import junit_xml as junit
    from tercel.flowtests.runner import RunOptions, run_cases
    from tercel.runtime.namespaces import load_namespace_files

    missing = [path for path in [*paths, *([flows] if flows else [])] if not path.exists()]
    for path in missing:
        typer.echo(f"{path}: no such file or directory", err=True)
    if missing:
        raise typer.Exit(EXIT_INVALID)
    collection = collect(paths, flows)
    problems = collection.problems
    if problems:
        # Invalid flow files explain an "unknown flow": show them with the test's problems.
        for problem in [*collection.flow_problems, *problems]:
            typer.echo(problem.format(), err=True)
        raise typer.Exit(EXIT_INVALID)
    specs = select(specs_of(collection), keyword)
    if not collection.suites:
        typer.echo("no test files (YAML with a top-level `testCases`) found", err=True)
        raise typer.Exit(EXIT_INVALID)
    if not specs:
        typer.echo(f"no test case matches -k {keyword!r}", err=True)
    options = RunOptions(timeout=timeout, jobs=jobs)
    # Namespace settings and files: of --flows, else of the one folder given (a
    # flows-as-code folder holding its tests).
    folders = [path for path in paths if path.is_dir()]
    root = flows if flows is not None else (folders[0] if len(folders) == 1 else None)
    if root is not None and root.is_dir():
        try:
            options.namespace_files = load_namespace_files(root)
        except InputError as error:
            typer.echo(str(error), err=True)
            raise typer.Exit(EXIT_INVALID) from None
        options.files_root = root / "files" if (root / "files").is_dir() else root
    started_at = datetime.now(UTC)
    started = time.monotonic()
    outcomes = asyncio.run(run_cases(specs, flows=collection.flows.values(), options=options))
    seconds = time.monotonic() - started
    if junit_xml is not None:
        junit_xml.write_text(junit(outcomes, seconds), encoding="utf-8")
    if as_json:
        sys.stdout.write(json_report(outcomes, started_at, datetime.now(UTC)))
    else:
        typer.echo(text_report(outcomes, seconds))
    failed = any(outcome.state in ("FAILED", "ERROR") for outcome in outcomes)
    raise typer.Exit(EXIT_FAILED if failed else EXIT_OK)


def register(app: typer.Typer) -> None:
    """Add `tercel test` to the application."""
    app.command("test")(flowtest_command)
