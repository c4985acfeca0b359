"""Python and Node script tasks, and Python `dependencies` in a cached environment."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tercel.errors import ScriptError
from tercel.plugins.scripts import python_env
from tercel.testing import FakeTaskContext, run_task

PYTHON_SCRIPT = "io.kestra.plugin.scripts.python.Script"
PYTHON_COMMANDS = "io.kestra.plugin.scripts.python.Commands"

FIBO = """
def fibo(n):
    return n if n < 2 else fibo(n - 1) + fibo(n - 2)

print(fibo({{ inputs.n }}))
print('::{"outputs": {"fibo": %d}}::' % fibo({{ inputs.n }}))
"""


async def test_python_script_renders_runs_and_returns_vars(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path, variables={"inputs": {"n": 10}})
    result = await run_task({"id": "fib", "type": PYTHON_SCRIPT, "script": FIBO}, ctx)
    assert ctx.messages() == ["55"]
    assert result.outputs is not None
    assert result.outputs["vars"] == {"fibo": 55}


async def test_python_commands_can_call_python_even_where_only_python3_exists(
    tmp_path: Path,
) -> None:
    ctx = FakeTaskContext(tmp_path)
    result = await run_task(
        {
            "id": "cmd",
            "type": PYTHON_COMMANDS,
            "inputFiles": {"main.py": "import sys\nprint(sys.version_info[0])\n"},
            "commands": ["python main.py"],
        },
        ctx,
    )
    assert ctx.messages() == ["3"]
    assert result.outputs is not None


async def test_python_exception_fails_with_traceback_in_error_logs(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path)
    with pytest.raises(ScriptError, match="exit code 1"):
        await run_task(
            {"id": "boom", "type": PYTHON_SCRIPT, "script": "raise SystemExit('no')"}, ctx
        )
    assert ctx.messages("ERROR") == ["no"]


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed on this machine")
async def test_node_script_and_commands(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path, variables={"inputs": {"who": "node"}})
    result = await run_task(
        {
            "id": "js",
            "type": "io.kestra.plugin.scripts.node.Script",
            "script": "console.log('hi {{ inputs.who }}');\n"
            "console.log('::' + JSON.stringify({outputs: {sum: 1 + 2}}) + '::');",
        },
        ctx,
    )
    assert ctx.messages() == ["hi node"]
    assert result.outputs is not None
    assert result.outputs["vars"] == {"sum": 3}
    commands_ctx = FakeTaskContext(tmp_path / "commands")
    await run_task(
        {
            "id": "js2",
            "type": "io.kestra.plugin.scripts.node.Commands",
            "inputFiles": {"main.js": "console.log(process.version.startsWith('v'))"},
            "commands": ["node main.js"],
        },
        commands_ctx,
    )
    assert commands_ctx.messages() == ["true"]


def _pypi_reachable(into: Path) -> bool:
    probe = subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(into), "kestra"],
        capture_output=True,
        timeout=120,
        check=False,
    )
    return probe.returncode == 0


@pytest.fixture(scope="module")
def env_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("python-envs")


async def test_kestra_package_from_pypi_works_unchanged(
    tmp_path: Path, env_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TERCEL_CACHE_DIR", str(env_cache))
    script = """
from kestra import Kestra

Kestra.outputs({"rows": 42, "name": "{{ inputs.name }}"})
Kestra.counter("processed", 42, {"source": "test"})
Kestra.timer("duration", 1.5)
"""
    task = {
        "id": "sdk",
        "type": PYTHON_SCRIPT,
        "dependencies": ["kestra"],
        "script": script,
    }
    ctx = FakeTaskContext(tmp_path / "first", variables={"inputs": {"name": "x"}})
    try:
        result = await run_task(task, ctx)
    except ScriptError as error:
        if "installing the Python dependencies" in str(error) and not _pypi_reachable(
            tmp_path / "probe"
        ):
            pytest.skip("PyPI is not reachable: cannot install the `kestra` package")
        raise
    assert result.outputs is not None
    assert result.outputs["vars"] == {"rows": 42, "name": "x"}
    by_name = {metric["name"]: metric for metric in ctx.metrics}
    assert by_name["processed"]["value"] == 42
    assert by_name["processed"]["tags"] == {"source": "test"}
    assert by_name["duration"]["type"] == "timer"
    envs = [path for path in (env_cache / "python-envs").iterdir() if path.is_dir()]
    assert len(envs) == 1
    # The second run reuses the environment: no new one, and pip is not run again.
    marker = next(envs[0].glob(".tercel-complete")).stat().st_mtime_ns
    again = FakeTaskContext(tmp_path / "second", variables={"inputs": {"name": "y"}})
    result = await run_task(task, again)
    assert result.outputs is not None
    assert result.outputs["vars"]["name"] == "y"
    assert [p for p in (env_cache / "python-envs").iterdir() if p.is_dir()] == envs
    assert next(envs[0].glob(".tercel-complete")).stat().st_mtime_ns == marker


def test_environment_key_ignores_order_and_duplicates() -> None:
    one = python_env.environment_key(["b==1", "a"], "/usr/bin/python3")
    two = python_env.environment_key(["a", "b==1", "a"], "/usr/bin/python3")
    assert one == two
    assert one != python_env.environment_key(["a"], "/usr/bin/python3")


KESTRA_API = """
from kestra import Kestra

Kestra.outputs({"rows": 3, "name": "orders"})
Kestra.counter("rows", 3, {"table": "orders"})
Kestra.timer("load", 1.5)
Kestra.logger().warning("almost full")
Kestra.logger().info("done")
"""


async def test_python_scripts_import_kestra_without_installing_it(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path)
    result = await run_task({"id": "k", "type": PYTHON_SCRIPT, "script": KESTRA_API}, ctx)
    assert result.outputs is not None
    assert result.outputs["vars"] == {"rows": 3, "name": "orders"}
    assert [(m["name"], m["type"], m["value"]) for m in ctx.metrics] == [
        ("rows", "counter", 3.0),
        ("load", "timer", 1.5),
    ]
    assert ctx.metrics[0]["tags"] == {"table": "orders"}
    assert [m.split(" - ", 1)[1] for m in ctx.messages("WARN")] == ["almost full"]
    assert [m.split(" - ", 1)[1] for m in ctx.messages("INFO")] == ["done"]


async def test_only_the_kestra_module_of_tercel_is_importable_in_scripts(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path)
    await run_task(
        {
            "id": "isolated",
            "type": PYTHON_COMMANDS,
            "env": {"PYTHONPATH": str(tmp_path / "mine")},
            "inputFiles": {
                "main.py": "import importlib.util as u, sys\n"
                "print(u.find_spec('tercel') is None, u.find_spec('kestra') is not None)\n"
                "print([p for p in sys.path if p.endswith(('mine', 'kestra_lib'))])\n"
            },
            "commands": ["python main.py"],
        },
        ctx,
    )
    first, second = ctx.messages()
    assert first == "True True"
    # The task's own PYTHONPATH comes first.
    assert second.index("mine") < second.index("kestra_lib")


async def test_the_installed_kestra_package_wins_over_tercels(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "kestra.py").write_text("class Kestra:\n    origin = 'installed'\n")
    ctx = FakeTaskContext(tmp_path)
    await run_task(
        {
            "id": "own",
            "type": PYTHON_SCRIPT,
            "env": {"PYTHONPATH": str(site)},
            "script": "import kestra\nprint(kestra.Kestra.origin)\n",
        },
        ctx,
    )
    assert ctx.messages() == ["installed"]


CONTEXT_READER = """
from kestra import Kestra, context

Kestra.outputs({
    "flow": context.flow.id,
    "dataset": context.inputs.dataset,
    "uri": context.outputs.extract.uri,
    "env": context.labels["env"],
    "keys": sorted(context),
})
"""


async def test_execution_context_is_read_by_from_kestra_import_context(tmp_path: Path) -> None:
    ctx = FakeTaskContext(
        tmp_path,
        variables={
            "flow": {"id": "etl", "namespace": "company.team"},
            "inputs": {"dataset": "products"},
            "outputs": {"extract": {"uri": "kestra:///company/team/etl/orders.csv"}},
            "labels": {"env": "prod"},
            "envs": {"token": "server-only"},
        },
    )
    result = await run_task(
        {"id": "ctx", "type": PYTHON_SCRIPT, "executionContext": True, "script": CONTEXT_READER},
        ctx,
    )
    assert result.outputs is not None
    vars_ = result.outputs["vars"]
    assert vars_["flow"] == "etl"
    assert vars_["dataset"] == "products"
    assert vars_["uri"] == "kestra:///company/team/etl/orders.csv"
    assert vars_["env"] == "prod"
    assert "envs" not in vars_["keys"]


async def test_without_execution_context_the_script_is_told_how_to_enable_it(
    tmp_path: Path,
) -> None:
    ctx = FakeTaskContext(tmp_path)
    with pytest.raises(ScriptError):
        await run_task(
            {
                "id": "no",
                "type": PYTHON_SCRIPT,
                "script": "from kestra import context\ncontext.flow",
            },
            ctx,
        )
    assert any("executionContext: true" in line for line in ctx.messages("ERROR"))
