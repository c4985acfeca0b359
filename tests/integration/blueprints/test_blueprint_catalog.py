"""The catalog: at least 12 blueprints, each valid; `tercel blueprint list | show | use`."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from tercel.blueprints import all_blueprints, get_blueprint
from tercel.cli.app import app
from tercel.errors import NotFoundError
from tercel.model.loader import load_flow
from tercel.model.yaml_source import parse_documents

pytestmark = pytest.mark.integration

IDS = [blueprint.id for blueprint in all_blueprints()]
runner = CliRunner()


def test_the_catalog_covers_the_patterns_users_ask_for() -> None:
    assert len(IDS) >= 12
    assert len(set(IDS)) == len(IDS)
    for needed in (
        "namespace-routed-alerting",
        "dlt-duckdb-dbt",
        "dbt-from-git",
        "api-to-warehouse",
        "file-processing",
        "retries-and-errors",
        "subflow-fan-out",
        "backfill-schedule",
        "webhook-triggered",
        "kv-cursor",
        "sql-data-check",
        "docker-build-and-run",
    ):
        assert needed in IDS


@pytest.mark.parametrize("blueprint_id", IDS)
def test_every_blueprint_flow_validates(blueprint_id: str) -> None:
    blueprint = get_blueprint(blueprint_id)
    assert blueprint.title
    assert blueprint.description
    for source, name in zip(blueprint.sources(), blueprint.files, strict=True):
        flow = load_flow(source, name)
        assert flow.namespace == blueprint.namespace


@pytest.mark.parametrize("blueprint_id", IDS)
def test_use_moves_every_flow_to_the_namespace_asked_for(blueprint_id: str) -> None:
    text = get_blueprint(blueprint_id).text("acme.analytics.team")
    for document in text.split("---\n"):
        assert load_flow(document, "used.yml").namespace == "acme.analytics.team"


def test_fan_out_calls_its_subflow_in_the_new_namespace() -> None:
    text = get_blueprint("subflow-fan-out").text("acme.ops")
    parent = load_flow(text.split("---\n")[1], "parent.yml")
    call = parent.tasks[0].tasks[0]  # type: ignore[attr-defined]
    assert call.namespace == "acme.ops"


def test_unknown_blueprint_lists_the_known_ones() -> None:
    with pytest.raises(NotFoundError, match="known blueprints: namespace-routed-alerting"):
        get_blueprint("nope")


def test_cli_list_show_and_use(tmp_path: Path) -> None:
    listed = runner.invoke(app, ["blueprint", "list"])
    assert listed.exit_code == 0
    for blueprint_id in IDS:
        assert blueprint_id in listed.output
    tagged = runner.invoke(app, ["blueprint", "list", "--tag", "dbt"])
    assert "dbt-from-git" in tagged.output
    assert "webhook-triggered" not in tagged.output

    shown = runner.invoke(app, ["blueprint", "show", "kv-cursor"])
    assert shown.exit_code == 0
    assert shown.output.startswith("# Incremental loads with a cursor in the KV store")
    assert "id: incremental_events" in shown.output

    target = tmp_path / "flow.yml"
    used = runner.invoke(
        app, ["blueprint", "use", "sql-data-check", "-n", "acme", "-o", str(target)]
    )
    assert used.exit_code == 0, used.output
    assert load_flow(target.read_text(), str(target)).namespace == "acme"
    again = runner.invoke(app, ["blueprint", "use", "sql-data-check", "-o", str(target)])
    assert again.exit_code == 2
    validated = runner.invoke(app, ["validate", str(target)])
    assert validated.exit_code == 0, validated.output

    missing = runner.invoke(app, ["blueprint", "show", "nope"])
    assert missing.exit_code == 2


@pytest.fixture(scope="module")
def editor_schema() -> dict[str, object]:
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0
    loaded: dict[str, object] = json.loads(result.stdout)
    return loaded


@pytest.mark.parametrize("blueprint_id", IDS)
def test_every_blueprint_flow_is_valid_for_editors(
    blueprint_id: str, editor_schema: dict[str, object]
) -> None:
    """`tercel schema` knows every type and property the blueprints use (serdes, mail...)."""
    validator = jsonschema.Draft7Validator(editor_schema)
    for source in get_blueprint(blueprint_id).sources():
        data = parse_documents(source)[0].data
        assert [error.message for error in validator.iter_errors(data)] == []


def test_editors_complete_the_conversion_mail_and_notification_types(
    editor_schema: dict[str, object],
) -> None:
    definitions = editor_schema["definitions"]
    assert isinstance(definitions, dict)
    for name in (
        "io.kestra.plugin.serdes.csv.CsvToIon",
        "io.kestra.plugin.serdes.parquet.IonToParquet",
        "io.kestra.plugin.serdes.excel.ExcelToIon",
        "io.kestra.plugin.serdes.xml.XmlToIon",
        "io.kestra.plugin.email.MailSend",
        "io.kestra.plugin.notifications.teams.TeamsExecution",
        "io.kestra.plugin.core.execution.Assert",
        "io.kestra.plugin.core.storage.Write",
        "io.kestra.plugin.core.metric.Publish",
    ):
        assert name in definitions, name
    csv = definitions["io.kestra.plugin.serdes.csv.CsvToIon"]
    assert {"from", "header", "fieldSeparator", "onBadLines"} <= set(csv["properties"])
    mail = definitions["io.kestra.plugin.email.MailSend"]
    assert {"from", "to", "htmlTextContent", "attachments", "transportStrategy"} <= set(
        mail["properties"]
    )
