"""`tercel run` as a user runs it: a subprocess, exit codes, stdout, stderr."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

TERCEL = str(Path(sys.executable).parent / "tercel")

HELLO = """id: hello
namespace: company.team
inputs:
  - id: user
    type: STRING
tasks:
  - id: greet
    type: io.kestra.plugin.core.log.Log
    message: "Hello, {{ inputs.user }}!"
  - id: compute
    type: io.kestra.plugin.core.debug.Return
    format: "{{ inputs.user | upper }}"
"""


def run(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [TERCEL, "run", *args],
        check=False,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_json_prints_exactly_the_final_execution(tmp_path: Path) -> None:
    flow = write(tmp_path / "hello.yml", HELLO)
    result = run(str(flow), "--input", "user=Ada", "--label", "team:data", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    execution = json.loads(result.stdout)
    assert execution["state"]["current"] == "SUCCESS"
    assert execution["inputs"] == {"user": "Ada"}
    assert [tr["taskId"] for tr in execution["taskRunList"]] == ["greet", "compute"]
    assert execution["taskRunList"][1]["outputs"] == {"value": "ADA"}
    assert {"key": "team", "value": "data"} in execution["labels"]


def test_tenant_option_sets_the_executions_tenant(tmp_path: Path) -> None:
    flow = write(
        tmp_path / "tenant.yml",
        "id: t\nnamespace: a.b\ntasks:\n  - id: r\n"
        '    type: io.kestra.plugin.core.debug.Return\n    format: "{{ flow.tenantId }}"\n',
    )
    result = run(str(flow), "--tenant", "acme", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    execution = json.loads(result.stdout)
    assert execution["tenantId"] == "acme"
    assert execution["taskRunList"][0]["outputs"] == {"value": "acme"}


def test_a_failed_execution_exits_1(tmp_path: Path) -> None:
    flow = write(
        tmp_path / "fail.yml",
        "id: fail\nnamespace: company.team\ntasks:\n"
        "  - id: boom\n    type: io.kestra.plugin.core.execution.Fail\n",
    )
    result = run(str(flow), "--json", cwd=tmp_path)
    assert result.returncode == 1
    assert json.loads(result.stdout)["state"]["current"] == "FAILED"


def test_an_invalid_flow_exits_2_with_its_position(tmp_path: Path) -> None:
    flow = write(
        tmp_path / "bad.yml",
        "id: bad\nnamespace: company.team\ntasks:\n  - id: x\n    type: io.kestra.Nope\n",
    )
    result = run(str(flow), "--json", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert f"{flow}:5:" in result.stderr


def test_a_missing_required_input_exits_2(tmp_path: Path) -> None:
    flow = write(tmp_path / "hello.yml", HELLO)
    result = run(str(flow), "--json", cwd=tmp_path)
    assert result.returncode == 2
    assert "user" in result.stderr
    assert result.stdout == ""


def test_subflows_resolve_from_the_flows_folder_and_invalid_ones_are_skipped(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "flows"
    write(
        folder / "child.yml",
        "id: child\nnamespace: company.team\ntasks:\n"
        "  - id: c\n    type: io.kestra.plugin.core.debug.Return\n    format: from child\n"
        'outputs:\n  - id: said\n    type: STRING\n    value: "{{ outputs.c.value }}"\n',
    )
    write(folder / "broken.yml", "id: broken\nnamespace: company.team\ntasks: []\n")
    parent = write(
        folder / "parent.yml",
        "id: parent\nnamespace: company.team\ntasks:\n"
        "  - id: call\n    type: io.kestra.plugin.core.flow.Subflow\n"
        "    namespace: company.team\n    flowId: child\n",
    )
    result = run(str(parent), "--flows", str(folder), "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    execution = json.loads(result.stdout)
    assert execution["taskRunList"][0]["outputs"]["outputs"] == {"said": "from child"}
    assert "broken.yml" in result.stderr


def test_a_file_input_is_a_local_path(tmp_path: Path) -> None:
    data = write(tmp_path / "data.txt", "line one\n")
    flow = write(
        tmp_path / "file.yml",
        "id: file\nnamespace: company.team\ninputs:\n  - id: f\n    type: FILE\ntasks:\n"
        "  - id: r\n    type: io.kestra.plugin.core.debug.Return\n"
        '    format: "{{ read(inputs.f) }}"\n',
    )
    result = run(str(flow), "--input", f"f={data}", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    execution = json.loads(result.stdout)
    assert execution["inputs"]["f"].startswith("kestra:///company/team/file/executions/")
    assert execution["taskRunList"][0]["outputs"] == {"value": "line one\n"}


def test_secrets_come_from_the_environment_and_never_reach_the_output(tmp_path: Path) -> None:
    flow = write(
        tmp_path / "secret.yml",
        "id: secret\nnamespace: company.team\ntasks:\n"
        "  - id: say\n    type: io.kestra.plugin.core.log.Log\n"
        "    message: \"token {{ secret('API_TOKEN') }}\"\n",
    )
    result = run(str(flow), cwd=tmp_path, env={"SECRET_API_TOKEN": "aHVudGVyMg=="})
    assert result.returncode == 0, result.stderr
    assert "hunter2" not in result.stdout + result.stderr
    assert "token ******" in result.stdout + result.stderr


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_ctrl_c_kills_the_execution_and_exits_1(tmp_path: Path) -> None:
    flow = write(
        tmp_path / "slow.yml",
        "id: slow\nnamespace: company.team\ntasks:\n"
        "  - id: started\n    type: io.kestra.plugin.core.log.Log\n    message: started\n"
        "  - id: nap\n    type: io.kestra.plugin.core.flow.Sleep\n    duration: PT30S\n",
    )
    process = subprocess.Popen(
        [TERCEL, "run", str(flow)],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    deadline = time.monotonic() + 30
    for line in process.stderr:
        if "started" in line or time.monotonic() > deadline:
            break
    time.sleep(0.3)
    process.send_signal(signal.SIGINT)
    _, rest = process.communicate(timeout=20)
    assert process.returncode == 1, rest
    assert "ended KILLED" in rest


NAMESPACED = """id: notify
namespace: company.team.alerts
tasks:
  - id: route
    type: io.kestra.plugin.core.log.Log
    message: "{{ namespace.channel }} via {{ render(namespace.slack.webhook) }}"
  - id: level
    type: io.kestra.plugin.core.debug.Return
"""


def test_namespace_variables_come_from_namespace_files_of_the_flows_folder(
    tmp_path: Path,
) -> None:
    flows = tmp_path / "repo"
    write(flows / "flows" / "company.team.alerts" / "notify.yml", NAMESPACED)
    write(
        flows / "namespaces" / "company.team.yml",
        "description: the team\n"
        "variables:\n  channel: '#team'\n  slack:\n    webhook: 'https://{{ flow.id }}.local'\n"
        "pluginDefaults:\n"
        "  - type: io.kestra.plugin.core.debug.Return\n    values:\n      format: from-defaults\n",
    )
    write(flows / "namespaces" / "company.team.alerts.yml", "variables:\n  channel: '#alerts'\n")
    flow = flows / "flows" / "company.team.alerts" / "notify.yml"
    result = run(str(flow), "--flows", str(flows), "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "invalid" not in result.stderr.lower(), result.stderr
    execution = json.loads(result.stdout)
    assert execution["taskRunList"][1]["outputs"] == {"value": "from-defaults"}
    logs = run(str(flow), "--flows", str(flows), cwd=tmp_path)
    assert logs.returncode == 0, logs.stderr
    assert "#alerts via https://notify.local" in logs.stdout + logs.stderr


def test_a_namespace_file_named_with_an_empty_segment_is_refused(tmp_path: Path) -> None:
    flows = tmp_path / "repo"
    write(flows / "flows" / "company.team.alerts" / "notify.yml", NAMESPACED)
    write(flows / "namespaces" / "company..team.yml", "variables:\n  channel: '#x'\n")
    flow = flows / "flows" / "company.team.alerts" / "notify.yml"
    result = run(str(flow), "--flows", str(flows), cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "company..team.yml" in result.stderr
    assert "empty segment" in result.stderr
