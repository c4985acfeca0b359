"""`tercel test` as CI runs it: a subprocess, exit codes, the summary, JUnit XML, JSON."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

TERCEL = str(Path(sys.executable).parent / "tercel")
ROOT = Path(__file__).resolve().parents[3]

FLOW = """id: greet
namespace: company.team
inputs:
  - id: name
    type: STRING
tasks:
  - id: fetch
    type: io.kestra.plugin.core.http.Request
    uri: http://127.0.0.1:9/unreachable
  - id: hello
    type: io.kestra.plugin.core.debug.Return
    format: "Hello {{ inputs.name }}, {{ outputs.fetch.body }}"
"""

TESTS = """id: greet_tests
namespace: company.team
flowId: greet
testCases:
  - id: greets_by_name
    type: io.kestra.core.tests.flow.UnitTest
    fixtures:
      inputs: {name: Ada}
      tasks:
        - id: fetch
          outputs: {body: from-fixture}
    assertions:
      - value: "{{ outputs.hello.value }}"
        equalTo: Hello Ada, from-fixture
  - id: wrong_expectation
    type: io.kestra.core.tests.flow.UnitTest
    fixtures:
      inputs: {name: Bob}
      tasks:
        - id: fetch
          outputs: {body: x}
    assertions:
      - value: "{{ outputs.hello.value }}"
        startsWith: Hello Ada
  - id: switched_off
    type: io.kestra.core.tests.flow.UnitTest
    disabled: true
    assertions:
      - value: "{{ execution.state }}"
        equalTo: SUCCESS
"""


def tercel(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [TERCEL, *args],
        check=False,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "NO_COLOR": "1"},
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "flows").mkdir()
    (tmp_path / "flows" / "greet.yml").write_text(FLOW, encoding="utf-8")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "greet.yml").write_text(TESTS, encoding="utf-8")
    return tmp_path


def test_a_failing_case_exits_1_and_shows_expression_values_and_position(project: Path) -> None:
    result = tercel("test", "tests", "--flows", "flows", cwd=project)
    assert result.returncode == 1, result.stderr
    out = result.stdout
    assert "tests/greet.yml .Fs" in out
    assert "tests/greet.yml:24:9: startsWith failed" in out
    assert "    expression: {{ outputs.hello.value }}" in out
    assert "    expected:   Hello Ada" in out
    assert "    actual:     Hello Bob, x" in out
    assert "1 failed, 1 passed, 1 skipped" in out.splitlines()[-1]


def test_k_selects_cases_and_all_passing_exits_0(project: Path) -> None:
    result = tercel("test", "tests", "--flows", "flows", "-k", "greets_by", cwd=project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed in" in result.stdout.splitlines()[-1]


def test_junit_xml_reports_each_case_for_ci(project: Path) -> None:
    result = tercel("test", "tests", "--flows", "flows", "--junit-xml", "out.xml", cwd=project)
    assert result.returncode == 1
    root = ET.parse(project / "out.xml").getroot()
    assert (root.get("tests"), root.get("failures"), root.get("skipped")) == ("3", "1", "1")
    cases = {case.get("name"): case for case in root.iter("testcase")}
    assert cases["greets_by_name"].find("failure") is None
    failure = cases["wrong_expectation"].find("failure")
    assert failure is not None
    assert failure.get("message") == (
        "expected '{{ outputs.hello.value }}' to start with 'Hello Ada' but was 'Hello Bob, x'"
    )
    assert cases["switched_off"].find("skipped") is not None


def test_json_prints_kestra_test_run_results(project: Path) -> None:
    result = tercel("test", "tests", "--flows", "flows", "--json", cwd=project)
    [suite] = json.loads(result.stdout)
    assert (suite["testSuiteId"], suite["flowId"], suite["state"]) == (
        "greet_tests",
        "greet",
        "FAILED",
    )
    states = [(r["testId"], r["state"]) for r in suite["results"]]
    assert states == [
        ("greets_by_name", "SUCCESS"),
        ("wrong_expectation", "FAILED"),
        ("switched_off", "SKIPPED"),
    ]
    assert suite["results"][1]["assertionResults"][0]["actual"] == "Hello Bob, x"


def test_an_invalid_test_file_exits_2_with_its_position(project: Path) -> None:
    bad = TESTS.replace("        - id: fetch\n          outputs: {body: x}", "        - id: fech")
    (project / "tests" / "greet.yml").write_text(bad, encoding="utf-8")
    result = tercel("test", "tests", "--flows", "flows", cwd=project)
    assert result.returncode == 2
    assert "tests/greet.yml:20:15: flow `company.team.greet` has no task `fech`" in result.stderr
    validated = tercel("validate", "flows", "tests", cwd=project)
    assert validated.returncode == 1
    assert "tests/greet.yml:20:15: flow `company.team.greet` has no task `fech`" in validated.stdout


def test_validate_accepts_valid_test_files_beside_flows(project: Path) -> None:
    result = tercel("validate", "flows", "tests", cwd=project)
    assert result.returncode == 0, result.stdout
    assert tercel("validate", "tests", cwd=project).returncode == 1  # flow unknown without it
    assert tercel("validate", "tests", "--flows", "flows", cwd=project).returncode == 0


def test_the_demo_stack_tests_pass() -> None:
    result = tercel(
        "test", "examples/demo/tests", "--flows", "examples/demo/flows", "--json", cwd=ROOT
    )
    assert result.returncode == 0, result.stdout + result.stderr
    suites = {s["testSuiteId"]: s for s in json.loads(result.stdout)}
    assert set(suites) == {"slack_routing", "hubspot_ingestion", "marts_build"}
    passed = [r["testId"] for s in suites.values() for r in s["results"] if r["state"] == "SUCCESS"]
    assert "failing_dbt_reaches_the_errors_branch" in passed
    assert "data_failure_goes_to_data_alerts" in passed
    assert len(passed) == 7


def test_a_test_of_an_invalid_flow_exits_2_showing_the_flow_problem(project: Path) -> None:
    broken = FLOW.replace("type: io.kestra.plugin.core.debug.Return", "type: io.kestra.nope")
    (project / "flows" / "greet.yml").write_text(broken, encoding="utf-8")
    result = tercel("test", "tests", "--flows", "flows", cwd=project)
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert any(line.startswith("flows/greet.yml:11:11: ") for line in lines), result.stderr
    assert "tests/greet.yml:3:9: unknown flow `company.team.greet`" in result.stderr


def test_flows_and_tests_in_one_folder_need_no_flows_option(project: Path) -> None:
    result = tercel("test", ".", "-k", "*greets*", cwd=project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout


def test_a_secret_read_by_an_assertion_is_masked_in_every_report(tmp_path: Path) -> None:
    flow = FLOW.replace("{{ inputs.name }}", "{{ secret('API_TOKEN') }}")
    (tmp_path / "greet.yml").write_text(flow, encoding="utf-8")
    (tmp_path / "greet-tests.yml").write_text(TESTS, encoding="utf-8")
    token = "s3cr3t-t0ken-value"
    result = subprocess.run(
        [TERCEL, "test", ".", "-k", "wrong", "--junit-xml", "out.xml", "--json"],
        check=False,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "SECRET_API_TOKEN": base64.b64encode(token.encode()).decode()},
    )
    assert result.returncode == 1, result.stderr
    [suite] = json.loads(result.stdout)
    actual = suite["results"][0]["assertionResults"][0]["actual"]
    assert actual == "Hello ******, x"
    assert token not in result.stdout + result.stderr
    assert token not in (tmp_path / "out.xml").read_text(encoding="utf-8")
