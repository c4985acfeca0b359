"""`tercel validate` and `tercel schema` as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from model_helpers import FIXTURES
from typer.testing import CliRunner

from tercel.cli.app import app
from tercel.model.loader import load_flow
from tercel.model.yaml_source import parse_documents

VALID = "id: a\nnamespace: n\ntasks:\n  - id: t\n    type: io.kestra.plugin.core.log.Log\n    message: hi\n"
runner = CliRunner()


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_valid_folder_exits_zero_with_a_summary_on_stderr(tmp_path: Path) -> None:
    write(tmp_path, "a.yml", VALID)
    write(tmp_path, "sub/b.yaml", VALID.replace("id: a", "id: b"))
    write(tmp_path, "notes.txt", "not a flow")
    result = runner.invoke(app, ["validate", str(tmp_path)])
    assert result.exit_code == 0
    assert result.stdout == ""
    assert "2/2 flow(s) valid in 2 file(s), 0 error(s)" in result.stderr


def test_problems_are_printed_as_path_line_column_message_hint(tmp_path: Path) -> None:
    bad = write(tmp_path, "bad.yml", VALID + "    mesage: typo\n")
    result = runner.invoke(app, ["validate", str(bad)])
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"{bad}:7:5: unknown property `mesage` (did you mean `message`?)"
    ]
    assert "0/1 flow(s) valid" in result.stderr


def test_multi_document_file_reports_each_document(tmp_path: Path) -> None:
    path = write(tmp_path, "multi.yml", VALID + "---\n" + VALID.replace("message: hi", "msg: hi"))
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"{path}:11:5: missing required property `message`",
        f"{path}:13:5: unknown property `msg`",
    ]
    assert "1/2 flow(s) valid in 1 file(s), 2 error(s)" in result.stderr


def test_unreadable_file_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "binary.yml"
    path.write_bytes(b"\xff\xfe\x00garbage")
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 1
    assert result.stdout.startswith(f"{path}:1:1: cannot read file")


def test_missing_path_fails_saying_so_on_stderr(tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", str(tmp_path / "nope.yml")])
    assert result.exit_code == 1
    assert f"{tmp_path / 'nope.yml'}: no such file or directory" in result.stderr.splitlines()


def test_folder_without_flow_files_fails_saying_why(tmp_path: Path) -> None:
    write(tmp_path, "empty/notes.txt", "not a flow")
    result = runner.invoke(app, ["validate", str(tmp_path / "empty")])
    # Exit 1 on purpose: a path with nothing to validate must not pass CI as "all valid".
    assert result.exit_code == 1
    assert result.stdout == ""
    assert (
        f"no flow files (*.yml, *.yaml) found under {tmp_path / 'empty'}"
        in result.stderr.splitlines()
    )


def test_an_empty_folder_beside_valid_flows_still_fails(tmp_path: Path) -> None:
    write(tmp_path, "ok/a.yml", VALID)
    (tmp_path / "empty").mkdir()
    result = runner.invoke(app, ["validate", str(tmp_path / "ok"), str(tmp_path / "empty")])
    assert result.exit_code == 1
    assert "no flow files (*.yml, *.yaml) found under" in result.stderr


@pytest.fixture(scope="module")
def schema() -> dict[str, object]:
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0
    loaded: dict[str, object] = json.loads(result.stdout)
    return loaded


def test_schema_declares_each_type_with_a_constant_type(schema: dict[str, object]) -> None:
    definitions = schema["definitions"]
    assert isinstance(definitions, dict)
    log = definitions["io.kestra.plugin.core.log.Log"]
    assert log["properties"]["type"]["enum"][0] == "io.kestra.plugin.core.log.Log"
    assert "message" in log["properties"]
    assert log["additionalProperties"] is False
    trigger = definitions["trigger"]
    assert "io.kestra.plugin.core.trigger.Schedule" in trigger["properties"]["type"]["enum"]
    assert {
        "if": {
            "properties": {
                "type": {
                    "enum": [
                        "io.kestra.plugin.core.trigger.Schedule",
                        "io.kestra.core.models.triggers.types.Schedule",
                    ]
                }
            },
            "required": ["type"],
        },
        "then": {"$ref": "#/definitions/io.kestra.plugin.core.trigger.Schedule"},
    } in trigger["allOf"]


def test_valid_flows_validate_against_the_schema(schema: dict[str, object]) -> None:
    validator = jsonschema.Draft7Validator(schema)
    for path in sorted((FIXTURES / "kestra" / "valids").glob("*.yaml")):
        source = path.read_text(encoding="utf-8")
        load_flow(source)
        data = parse_documents(source)[0].data
        errors = [error.message for error in validator.iter_errors(data)]
        assert errors == [], path.name


SCALARS_AND_LIST_LABELS = """id: 1
namespace: company.team
labels:
  - key: team
    value: data
  - key: priority
    value: 3
tasks:
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: 42
  - id: ret
    type: io.kestra.plugin.core.debug.Return
    format: true
  - id: each
    type: io.kestra.plugin.core.flow.ForEachItem
    items: "{{ inputs.file }}"
    batch:
      rows: 4
    namespace: company.team
    flowId: child
  - id: switch
    type: io.kestra.plugin.core.flow.Switch
    value: "x"
    cases:
      x:
        - id: one
          type: io.kestra.plugin.core.log.Log
          message: one
    defaults: null
"""


def test_schema_accepts_what_the_loader_accepts_numbers_booleans_label_lists_nulls(
    schema: dict[str, object],
) -> None:
    load_flow(SCALARS_AND_LIST_LABELS)
    data = parse_documents(SCALARS_AND_LIST_LABELS)[0].data
    errors = [error.message for error in jsonschema.Draft7Validator(schema).iter_errors(data)]
    assert errors == []


def test_schema_rejects_an_unknown_property(schema: dict[str, object]) -> None:
    data = parse_documents(VALID + "    mesage: typo\n")[0].data
    assert not jsonschema.Draft7Validator(schema).is_valid(data)


def test_schema_file_can_be_written(tmp_path: Path) -> None:
    target = tmp_path / "flow.schema.json"
    result = runner.invoke(app, ["schema", "--output", str(target)])
    assert result.exit_code == 0
    assert json.loads(target.read_text(encoding="utf-8"))["$schema"].startswith(
        "http://json-schema"
    )


def test_schema_carries_property_descriptions(schema: dict[str, object]) -> None:
    definitions = schema["definitions"]
    assert isinstance(definitions, dict)
    cron = definitions["io.kestra.plugin.core.trigger.Schedule"]["properties"]["cron"]
    assert "cron expression" in cron["description"]
    properties = schema["properties"]
    assert isinstance(properties, dict)
    assert properties["tasks"]["description"].startswith("The tasks to run")


def test_schema_describes_the_properties_every_task_has(schema: dict[str, object]) -> None:
    definitions = schema["definitions"]
    assert isinstance(definitions, dict)
    log = definitions["io.kestra.plugin.core.log.Log"]["properties"]
    for name in ("id", "retry", "timeout", "disabled", "runIf", "allowFailure", "logLevel"):
        assert log[name].get("description"), name
    retry = definitions["io.kestra.plugin.core.log.Log.Retry"]["properties"]
    assert "first included" in retry["maxAttempt"]["description"]


def test_deprecated_names_are_warnings_that_do_not_fail(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "old.yml",
        VALID.replace("io.kestra.plugin.core.log.Log", "io.kestra.core.tasks.log.Log"),
    )
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        f"{path}:5:11: warning: `io.kestra.core.tasks.log.Log` is a deprecated name of "
        "`io.kestra.plugin.core.log.Log` (use the new name)"
    ]
    assert "1/1 flow(s) valid in 1 file(s), 0 error(s), 1 warning(s)" in result.stderr


def test_template_references_are_checked_in_every_document(tmp_path: Path) -> None:
    second = VALID.replace("id: a", "id: b").replace("message: hi", "message: '{{ outputs.nope }}'")
    path = write(tmp_path, "refs.yml", VALID + "---\n" + second)
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"{path}:13:")
    assert "`outputs.nope`" in lines[0]


def test_schema_is_a_valid_draft_07_schema(schema: dict[str, object]) -> None:
    jsonschema.Draft7Validator.check_schema(schema)


def test_json_format_lists_every_problem_with_its_place(tmp_path: Path) -> None:
    bad = write(tmp_path, "bad.yml", VALID + "    mesage: typo\n")
    result = runner.invoke(app, ["validate", "--format", "json", str(bad)])
    assert result.exit_code == 1
    assert json.loads(result.stdout) == [
        {
            "path": str(bad),
            "line": 7,
            "column": 5,
            "severity": "error",
            "message": "unknown property `mesage`",
            "hint": "did you mean `message`?",
            "location": "tasks[0].mesage",
        }
    ]


def test_same_flow_in_two_files_is_reported_at_the_second_id(tmp_path: Path) -> None:
    first = write(tmp_path, "a.yml", VALID)
    second = write(tmp_path, "b.yml", "# copy\n" + VALID)
    result = runner.invoke(app, ["validate", str(tmp_path)])
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"{second}:2:1: flow `n.a` is already defined at {first}:1:1"
    ]
    assert "1/2 flow(s) valid" in result.stderr


def test_same_flow_twice_in_a_multi_document_file_is_reported(tmp_path: Path) -> None:
    path = write(tmp_path, "multi.yml", VALID + "---\n" + VALID)
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"{path}:8:1: flow `n.a` is already defined at {path}:1:1"
    ]


def test_same_id_in_another_namespace_is_a_different_flow(tmp_path: Path) -> None:
    path = write(
        tmp_path, "multi.yml", VALID + "---\n" + VALID.replace("namespace: n", "namespace: m")
    )
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 0, result.stdout
