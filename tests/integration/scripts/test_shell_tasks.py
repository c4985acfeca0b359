"""Shell script tasks run for real: properties of Kestra §5.1 and the output protocol."""

from __future__ import annotations

from pathlib import Path

import pytest

from tercel.errors import ScriptError, TaskError
from tercel.testing import FakeTaskContext, run_task

COMMANDS = "io.kestra.plugin.scripts.shell.Commands"
SCRIPT = "io.kestra.plugin.scripts.shell.Script"
PROCESS = {"type": "io.kestra.plugin.core.runner.Process"}


async def test_commands_print_outputs_through_the_protocol(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path)
    result = await run_task(
        {
            "id": "hello",
            "type": COMMANDS,
            "taskRunner": PROCESS,
            "commands": [
                "echo 'hello world'",
                """echo '::{"outputs":{"test":"value","n":2}}::'""",
            ],
        },
        ctx,
    )
    assert result.outputs is not None
    assert result.outputs["exitCode"] == 0
    assert result.outputs["vars"] == {"test": "value", "n": 2}
    assert result.outputs["stdOutLineCount"] == 1
    assert result.outputs["stdErrLineCount"] == 0
    assert ctx.messages("INFO") == ["hello world"]


async def test_stderr_is_logged_as_error_but_exit_code_decides(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path)
    result = await run_task(
        {
            "id": "warn",
            "type": COMMANDS,
            "warningOnStdErr": True,
            "commands": ["echo problem >&2"],
        },
        ctx,
    )
    assert result.state is None
    assert result.outputs is not None
    assert result.outputs["stdErrLineCount"] == 1
    assert ctx.messages("ERROR") == ["problem"]


async def test_non_zero_exit_fails_and_keeps_outputs(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path)
    with pytest.raises(ScriptError, match="Command failed with exit code 3") as caught:
        await run_task(
            {
                "id": "fail",
                "type": COMMANDS,
                "commands": ["""echo '::{"outputs":{"partial":true}}::'""", "exit 3"],
            },
            ctx,
        )
    assert caught.value.outputs["exitCode"] == 3
    assert caught.value.outputs["vars"] == {"partial": True}


async def test_fail_fast_stops_at_the_first_failing_command(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path)
    with pytest.raises(ScriptError, match="exit code 1"):
        await run_task({"id": "ff", "type": COMMANDS, "commands": ["false", "echo after"]}, ctx)
    assert "after" not in ctx.messages()
    relaxed = FakeTaskContext(tmp_path / "relaxed")
    result = await run_task(
        {"id": "ff", "type": COMMANDS, "failFast": False, "commands": ["false", "echo after"]},
        relaxed,
    )
    assert result.outputs is not None
    assert relaxed.messages() == ["after"]


async def test_env_before_commands_and_interpreter(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path, variables={"inputs": {"who": "Ada"}})
    await run_task(
        {
            "id": "env",
            "type": COMMANDS,
            "env": {"GREETING": "hi {{ inputs.who }}", "N": 3},
            "beforeCommands": ["export SUFFIX=!"],
            "interpreter": ["/bin/bash", "-c"],
            "commands": ['echo "$GREETING$SUFFIX $N ${BASH_VERSION:+bash}"'],
        },
        ctx,
    )
    assert ctx.messages() == ["hi Ada! 3 bash"]


async def test_yaml_booleans_read_as_kestra_reads_them_in_commands_and_env(
    tmp_path: Path,
) -> None:
    ctx = FakeTaskContext(tmp_path)
    await run_task(
        {
            "id": "bools",
            "type": COMMANDS,
            "env": {"DRY_RUN": True, "LIMITS": {"rows": 2}},
            "beforeCommands": [True],
            "commands": [True, 'echo "$DRY_RUN $LIMITS"'],
        },
        ctx,
    )
    assert ctx.messages() == ['true {"rows":2}']


async def test_working_and_output_dirs_are_variables_and_env(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path)
    result = await run_task(
        {
            "id": "dirs",
            "type": COMMANDS,
            "commands": [
                'test "$WORKING_DIR" = "{{ workingDir }}"',
                'test "$OUTPUT_DIR" = "{{ outputDir }}"',
                'echo report > "{{ outputDir }}/report.txt"',
                "pwd",
            ],
        },
        ctx,
    )
    assert ctx.messages() == [str(ctx.working_dir)]
    assert result.outputs is not None
    uri = result.outputs["outputFiles"]["report.txt"]
    assert uri.startswith("kestra:///")
    assert ctx.storage.get(uri) == b"report\n"


async def test_input_files_in_output_files_out(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path, variables={"inputs": {"rows": 3}})
    stored = ctx.storage.put(ctx.file_uri("data.csv"), b"a,b\n1,2\n")
    result = await run_task(
        {
            "id": "files",
            "type": COMMANDS,
            "inputFiles": {
                "conf/settings.txt": "rows={{ inputs.rows }}",
                "data.csv": stored,
            },
            "outputFiles": ["out/*.txt", "*.csv"],
            "commands": [
                "mkdir -p out",
                "cat conf/settings.txt > out/copy.txt",
                "wc -l < data.csv | tr -d ' ' > out/lines.txt",
            ],
        },
        ctx,
    )
    assert result.outputs is not None
    files = result.outputs["outputFiles"]
    assert sorted(files) == ["data.csv", "out/copy.txt", "out/lines.txt"]
    assert ctx.storage.get(files["out/copy.txt"]) == b"rows=3"
    assert ctx.storage.get(files["out/lines.txt"]) == b"2\n"


async def test_input_files_may_not_escape_the_working_dir(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path)
    with pytest.raises(TaskError, match="inside the working directory"):
        await run_task(
            {"id": "esc", "type": COMMANDS, "inputFiles": {"../x": "no"}, "commands": ["true"]},
            ctx,
        )


async def test_internal_uris_in_commands_are_downloaded(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path)
    uri = ctx.storage.put(ctx.file_uri("in.txt"), b"42\n")
    ctx.variables["outputs"]["prev"] = {"uri": uri}  # type: ignore[index]
    await run_task({"id": "dl", "type": COMMANDS, "commands": ["cat {{ outputs.prev.uri }}"]}, ctx)
    assert ctx.messages() == ["42"]


async def test_namespace_files_are_copied_in(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path)
    ctx.storage.put("kestra:///company/team/_files/scripts/run.sh", b"echo from-namespace\n")
    ctx.storage.put("kestra:///company/team/_files/README.md", b"docs\n")
    await run_task(
        {
            "id": "nsf",
            "type": COMMANDS,
            "namespaceFiles": {"enabled": True, "include": ["scripts/*"]},
            "commands": ["sh scripts/run.sh", "test ! -e README.md"],
        },
        ctx,
    )
    assert ctx.messages() == ["from-namespace"]


async def test_shell_script_body_runs_from_a_file(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path, variables={"inputs": {"n": 2}})
    result = await run_task(
        {
            "id": "body",
            "type": SCRIPT,
            "script": 'for i in $(seq {{ inputs.n }}); do echo "line $i"; done\n'
            """echo '::{"outputs":{"done":true},"metrics":[{"name":"n","type":"counter","value":2}]}::'""",
        },
        ctx,
    )
    assert ctx.messages() == ["line 1", "line 2"]
    assert result.outputs is not None
    assert result.outputs["vars"] == {"done": True}
    assert ctx.metrics == [{"name": "n", "type": "counter", "value": 2.0, "tags": {}}]


async def test_timeout_fails_with_the_kestra_message(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path)
    with pytest.raises(ScriptError, match=r"^timed out after PT1S$"):
        await run_task(
            {"id": "slow", "type": COMMANDS, "timeout": "PT1S", "commands": ["sleep 30"]}, ctx
        )


async def test_memory_hog_fails_with_the_cap_in_the_message(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path)
    with pytest.raises(ScriptError, match=r"^memory limit of 256MB exceeded$"):
        await run_task(
            {
                "id": "hog",
                "type": COMMANDS,
                "taskRunner": {**PROCESS, "memory": {"memory": "256MB"}},
                "commands": ["python3 -c 'data = bytearray(800 << 20)'"],
            },
            ctx,
        )


async def test_caps_can_come_from_inputs(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path, variables={"inputs": {"memory": "256MB", "cpus": "1"}})
    with pytest.raises(ScriptError, match="memory limit of 256MB exceeded"):
        await run_task(
            {
                "id": "hog",
                "type": COMMANDS,
                "taskRunner": {
                    **PROCESS,
                    "memory": {"memory": "{{ inputs.memory }}"},
                    "cpu": {"cpus": "{{ inputs.cpus }}"},
                },
                "commands": ["python3 -c 'data = bytearray(800 << 20)'"],
            },
            ctx,
        )


async def test_cancel_kills_the_script(tmp_path: Path) -> None:
    import asyncio

    ctx = FakeTaskContext(tmp_path)
    asyncio.get_running_loop().call_later(0.3, ctx.cancel)
    with pytest.raises(ScriptError, match="killed"):
        await run_task({"id": "k", "type": COMMANDS, "commands": ["sleep 30"]}, ctx)


def test_deprecated_properties_are_accepted() -> None:
    from tercel.testing import parse_task

    task = parse_task(
        {
            "id": "old",
            "type": COMMANDS,
            "runner": "PROCESS",
            "docker": {"image": "ubuntu"},
            "warningOnStdErr": False,
            "containerImage": "ubuntu:22.04",
            "targetOS": "LINUX",
            "commands": ["true"],
        }
    )
    assert task.type == COMMANDS


async def test_output_files_double_star_collects_files_at_every_depth(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path)
    result = await run_task(
        {
            "id": "deep",
            "type": COMMANDS,
            "outputFiles": ["out/**"],
            "commands": ["mkdir -p out/sub", "echo a > out/a.csv", "echo b > out/sub/b.csv"],
        },
        ctx,
    )
    assert result.outputs is not None
    assert sorted(result.outputs["outputFiles"]) == ["out/a.csv", "out/sub/b.csv"]
