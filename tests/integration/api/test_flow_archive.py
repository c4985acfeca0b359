"""Kestra's flow export/import (zip of YAML) and bulk update endpoints."""

from __future__ import annotations

import io
import zipfile

from tests.integration.api.conftest import HELLO, TestClient, yaml_post

FLOWS = "/api/v1/main/flows"
OTHER = HELLO.replace("id: hello", "id: other").replace("company.team", "company.data")


def test_export_by_query_then_import_restores_every_flow(client: TestClient) -> None:
    yaml_post(client, FLOWS, HELLO)
    yaml_post(client, FLOWS, OTHER)
    exported = client.get(f"{FLOWS}/export/by-query", params={"namespace": "company"})
    assert exported.status_code == 200
    assert exported.headers["content-disposition"] == 'attachment; filename="flows.zip"'
    with zipfile.ZipFile(io.BytesIO(exported.content)) as bundle:
        assert sorted(bundle.namelist()) == ["company.data-other.yml", "company.team-hello.yml"]
        assert bundle.read("company.team-hello.yml").decode() == HELLO

    for flow in ("company.team/hello", "company.data/other"):
        assert client.delete(f"{FLOWS}/{flow}").status_code == 204
    imported = client.post(f"{FLOWS}/import", files={"fileUpload": ("flows.zip", exported.content)})
    assert (imported.status_code, imported.json()) == (200, [])
    assert (
        client.get(f"{FLOWS}/company.team/hello", params={"source": True}).json()["source"] == HELLO
    )
    assert client.get(f"{FLOWS}/company.data/other").status_code == 200


def test_import_lists_the_files_it_refused_and_keeps_the_valid_ones(client: TestClient) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        bundle.writestr("good.yml", HELLO)
        bundle.writestr("bad.yml", "id: bad\nnamespace: company.team\ntasks: 3\n")
    imported = client.post(f"{FLOWS}/import", files={"fileUpload": ("f.zip", buffer.getvalue())})
    assert imported.json() == ["bad.yml"]
    assert client.get(f"{FLOWS}/company.team/hello").status_code == 200
    assert client.get(f"{FLOWS}/company.team/bad").status_code == 404


def test_export_by_ids_names_files_namespace_dot_id(client: TestClient) -> None:
    yaml_post(client, FLOWS, HELLO)
    exported = client.post(
        f"{FLOWS}/export/by-ids", json=[{"namespace": "company.team", "id": "hello"}]
    )
    with zipfile.ZipFile(io.BytesIO(exported.content)) as bundle:
        assert bundle.namelist() == ["company.team.hello.yml"]
    missing = client.post(f"{FLOWS}/export/by-ids", json=[{"namespace": "x", "id": "y"}])
    assert missing.status_code == 404


def test_bulk_update_deletes_missing_flows_of_the_namespace_by_default(
    client: TestClient,
) -> None:
    stale = HELLO.replace("id: hello", "id: stale")
    child = HELLO.replace("company.team", "company.team.sub")
    yaml_post(client, FLOWS, stale)
    answer = client.post(
        f"{FLOWS}/bulk",
        params={"namespace": "company.team", "allowNamespaceChild": "true"},
        content=HELLO + "---\n" + child,
        headers={"Content-Type": "application/x-yaml"},
    )
    assert answer.status_code == 200, answer.text
    assert [f["namespace"] for f in answer.json()] == ["company.team", "company.team.sub"]
    assert client.get(f"{FLOWS}/company.team/stale").status_code == 404
    refused = client.post(
        f"{FLOWS}/bulk",
        params={"namespace": "company.team"},
        content=child,
        headers={"Content-Type": "application/x-yaml"},
    )
    assert refused.status_code == 422
    assert "not `company.team`" in refused.json()["message"]
