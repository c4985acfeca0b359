"""`tercel run FLOW.yml`: run one flow to its end in-process (architecture §4.2).

Exit codes: 0 SUCCESS or WARNING; 1 FAILED, KILLED, CANCELLED (or paused with nothing to
resume it); 2 invalid flow or inputs, with the reason on stderr. `--json` prints exactly
the final execution as wire JSON on stdout.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.live import Live
from rich.text import Text

from tercel.engine.execution import Execution, Label, LogEntry
from tercel.engine.state import State, StateTrail
from tercel.errors import FlowValidationError, InputError, Problem, TercelError

if TYPE_CHECKING:
    from tercel.model.flow import Flow
    from tercel.runtime.local import LocalRuntime

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_INVALID = 2
OK_STATES = (State.SUCCESS, State.WARNING)
LEVEL_STYLES = {"ERROR": "red", "WARN": "yellow", "DEBUG": "dim", "TRACE": "dim"}


def parse_pairs(values: list[str], separator: str, what: str) -> list[tuple[str, str]]:
    """``KEY<sep>VALUE`` options as pairs; a malformed one is an InputError."""
    pairs: list[tuple[str, str]] = []
    for value in values:
        key, found, rest = value.partition(separator)
        if not found or not key:
            raise InputError(f"{what} `{value}` must look like KEY{separator}VALUE")
        pairs.append((key, rest))
    return pairs


def _console(*, stderr: bool) -> Console:
    """A console that wraps only for a terminal.

    Piped output is read by programs (``path:line:col`` parsers, log tools): a line
    wrapped at 80 columns breaks them, so lines stay whole when not a terminal.
    """
    console = Console(stderr=stderr)
    console.soft_wrap = not console.is_terminal
    return console


def _print_problems(console: Console, problems: list[Problem]) -> None:
    for problem in problems:
        console.print(problem.format(), markup=False, highlight=False)


def _load(path: Path) -> Flow:
    from tercel.model.loader import load_flow

    return load_flow(_read(path), str(path))


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as error:
        raise InputError(f"cannot read {path}: {error.strerror}") from error


def _with_namespace_defaults(flow: Flow, path: Path, runtime: LocalRuntime) -> Flow:
    """`flow` with its namespaces' `pluginDefaults` (files of `--flows`, stored ones)."""
    from tercel.model.defaults import PluginDefaultEntry
    from tercel.model.loader import load_flow

    effective = runtime.executor.namespaces.effective(flow.namespace)
    if not effective.plugin_defaults:
        return flow
    entries = [
        PluginDefaultEntry(
            str(item.get("type", "")), dict(item.get("values") or {}), bool(item.get("forced"))
        )
        for item in effective.plugin_defaults
    ]
    return load_flow(_read(path), str(path), extra_defaults=entries)


def _log_printer(console: Console) -> Callable[[LogEntry], None]:
    def echo(entry: LogEntry) -> None:
        line = Text(f"{entry.timestamp:%H:%M:%S} ", style="dim")
        line.append(f"{entry.level:<5} ", style=LEVEL_STYLES.get(entry.level, ""))
        line.append(f"{entry.task_id or 'execution'} ", style="bold")
        line.append(entry.message)
        console.print(line, highlight=False)

    return echo


async def _execute(
    runtime: LocalRuntime,
    *,
    flow: Flow,
    inputs: dict[str, str],
    labels: list[Label],
    live: Live | None,
    err: Console,
    tenant: str = "main",
) -> Execution:
    from tercel.runtime.progress import execution_tree

    runtime.start()
    execution = runtime.create(flow, inputs, labels, local_files=True, tenant=tenant)
    tracked = runtime.submit(flow, execution)
    loop = asyncio.get_running_loop()
    interrupts = 0

    def on_interrupt() -> None:
        nonlocal interrupts
        interrupts += 1
        if interrupts == 1:
            err.print("[yellow]Interrupted: killing the execution (Ctrl-C again to quit now)[/]")
            runtime.kill(execution.id)
        else:
            raise KeyboardInterrupt

    try:
        loop.add_signal_handler(signal.SIGINT, on_interrupt)
        loop.add_signal_handler(signal.SIGTERM, on_interrupt)
    except (NotImplementedError, RuntimeError):  # not the main thread, or no signals here
        pass
    if live is not None:
        last = 0.0

        def refresh(current: Execution) -> None:
            # Rebuilding the tree is O(task runs): at most ~10 times a second.
            nonlocal last
            if loop.time() - last >= 0.1:
                last = loop.time()
                live.update(execution_tree(current))

        runtime.executor.listeners.append(refresh)
    try:
        return await runtime.wait(tracked)
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(sig)
        if live is not None:
            live.update(execution_tree(tracked.execution))


async def _main(
    flow: Flow,
    inputs: dict[str, str],
    labels: list[Label],
    *,
    flows_dir: Path | None,
    home: Path | None,
    as_json: bool,
    out: Console,
    err: Console,
    flow_file: Path | None = None,
    tenant: str = "main",
) -> Execution:
    from tercel.runtime.flows import load_flow_dir
    from tercel.runtime.local import LocalRuntime
    from tercel.runtime.namespaces import load_namespace_files

    interactive = out.is_terminal and not as_json
    files_root = None
    extra: list[Flow] = []
    if flows_dir is not None:
        extra = list(
            load_flow_dir(flows_dir, lambda problems: _print_problems(err, problems)).all()
        )
        files_root = flows_dir / "files" if (flows_dir / "files").is_dir() else flows_dir
    echo = None if as_json else _log_printer(out if interactive else err)
    namespace_files = load_namespace_files(flows_dir) if flows_dir is not None else {}
    runtime = LocalRuntime.open(
        home, files_root=files_root, log_echo=echo, namespace_files=namespace_files
    )
    runtime.add_flows(extra)
    try:
        if flow_file is not None:
            flow = _with_namespace_defaults(flow, flow_file, runtime)
            # Run-time template errors then name `FLOW.yml:line:col` of the template.
            runtime.executor.sources.add(flow, str(flow_file), _read(flow_file))
        if interactive:
            from tercel.runtime.progress import execution_tree

            placeholder = execution_tree(
                Execution("-", flow.namespace, flow.id, flow.revision or 1, state=StateTrail())
            )
            with Live(placeholder, console=out, refresh_per_second=8, transient=False) as live:
                ended = await _execute(
                    runtime,
                    flow=flow,
                    inputs=inputs,
                    labels=labels,
                    live=live,
                    err=err,
                    tenant=tenant,
                )
        else:
            ended = await _execute(
                runtime, flow=flow, inputs=inputs, labels=labels, live=None, err=err, tenant=tenant
            )
        # What is printed (outputs, --json) shows secret values masked, as the API does.
        return Execution.from_wire(runtime.masker.mask_value(ended.to_wire()))
    finally:
        await runtime.close()


def run_command(  # noqa: PLR0917 - Typer maps each parameter to an option
    flow_file: Annotated[Path, typer.Argument(help="The flow to run (YAML).", metavar="FLOW.yml")],
    flows: Annotated[
        Path | None,
        typer.Option("--flows", help="Folder of flows (subflows) and namespace files."),
    ] = None,
    input_: Annotated[
        list[str] | None,
        typer.Option("--input", "-i", help="An input, KEY=VALUE (FILE inputs: a local path)."),
    ] = None,
    label: Annotated[
        list[str] | None, typer.Option("--label", "-l", help="An execution label, KEY:VALUE.")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print only the final execution as JSON.")
    ] = False,
    home: Annotated[
        Path | None,
        typer.Option("--home", help="Keep the database and files here (default: a temp dir)."),
    ] = None,
    tenant: Annotated[
        str, typer.Option("--tenant", "-t", help="The execution's tenant (with --home, its data).")
    ] = "main",
) -> None:
    """Run FLOW.yml to its end in this process and exit 0 when it succeeds."""
    out = _console(stderr=False)
    err = _console(stderr=True)
    try:
        inputs = dict(parse_pairs(input_ or [], "=", "--input"))
        labels = [Label(k, v) for k, v in parse_pairs(label or [], ":", "--label")]
        flow = _load(flow_file)
        execution = asyncio.run(
            _main(
                flow,
                inputs,
                labels,
                flows_dir=flows,
                home=home,
                as_json=as_json,
                out=out,
                err=err,
                flow_file=flow_file,
                tenant=tenant,
            )
        )
    except FlowValidationError as error:
        _print_problems(err, error.problems)
        raise typer.Exit(EXIT_INVALID) from None
    except InputError as error:
        err.print(f"invalid input: {error}", markup=False, highlight=False)
        raise typer.Exit(EXIT_INVALID) from None
    except KeyboardInterrupt:
        err.print("aborted")
        raise typer.Exit(130) from None
    except TercelError as error:
        err.print(f"error: {error}", markup=False, highlight=False)
        raise typer.Exit(EXIT_FAILED) from None
    state = execution.state.current
    if as_json:
        sys.stdout.write(json.dumps(execution.to_wire(), default=str) + "\n")
        sys.stdout.flush()
    else:
        style = "green" if state in OK_STATES else "red"
        verb = "is" if state is State.PAUSED else "ended"
        err.print(f"Execution {execution.id} {verb} [{style}]{state.value}[/]")
        if execution.outputs:
            err.print_json(json.dumps(execution.outputs, default=str))
        if state is State.PAUSED:
            err.print(
                "Nothing can resume it in `tercel run`: run the flow on `tercel server local`"
                " to resume paused executions."
            )
    raise typer.Exit(EXIT_OK if state in OK_STATES else EXIT_FAILED)


def register(app: typer.Typer) -> None:
    """Add `tercel run` to the application."""
    app.command("run")(run_command)
