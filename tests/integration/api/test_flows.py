"""Flows over HTTP: create from YAML, read back, update, revisions, search, validate, delete."""

from __future__ import annotations

from tests.integration.api.conftest import HELLO, TestClient

FLOWS = "/api/v1/main/flows"
YAML = {"Content-Type": "application/x-yaml"}


def create(client: TestClient, source: str = HELLO) -> dict:
    response = client.post(FLOWS, content=source, headers=YAML)
    assert response.status_code == 200, response.text
    return response.json()


def test_created_flow_is_returned_with_its_revision_and_source(client: TestClient) -> None:
    body = create(client)
    assert body["id"] == "hello"
    assert body["namespace"] == "company.team"
    assert body["revision"] == 1
    assert body["source"] == HELLO
    assert body["tasks"][0]["message"] == "Hello {{ inputs.user }}"


def test_get_returns_source_only_when_asked(client: TestClient) -> None:
    create(client)
    plain = client.get(f"{FLOWS}/company.team/hello").json()
    assert "source" not in plain
    with_source = client.get(f"{FLOWS}/company.team/hello", params={"source": "true"}).json()
    assert with_source["source"] == HELLO


def test_creating_an_existing_flow_is_a_conflict(client: TestClient) -> None:
    create(client)
    response = client.post(FLOWS, content=HELLO, headers=YAML)
    assert response.status_code == 409
    assert "already exists" in response.json()["message"]


def test_invalid_flow_is_refused_with_positioned_problems(client: TestClient) -> None:
    source = HELLO.replace("    message:", "    mesage:")
    response = client.post(FLOWS, content=source, headers=YAML)
    assert response.status_code == 422
    body = response.json()
    assert "mesage" in body["message"] or "message" in body["message"]
    unknown = [p for p in body["problems"] if "mesage" in p["message"]]
    assert unknown
    assert unknown[0]["line"] == 11
    assert unknown[0]["column"] == 5
    assert unknown[0]["location"] == "tasks[0].mesage"


def test_empty_or_broken_bodies_are_422_not_500(client: TestClient) -> None:
    assert client.post(FLOWS, content="", headers=YAML).status_code == 422
    assert client.post(FLOWS, content=b"\xff\xfe", headers=YAML).status_code == 422
    broken = client.post(FLOWS, content="id: [unclosed", headers=YAML)
    assert broken.status_code == 422
    assert broken.json()["message"]


def test_update_adds_a_revision_and_revisions_lists_them(client: TestClient) -> None:
    create(client)
    changed = HELLO.replace("Says hello", "Says hello twice")
    response = client.put(f"{FLOWS}/company.team/hello", content=changed, headers=YAML)
    assert response.status_code == 200
    assert response.json()["revision"] == 2
    revisions = client.get(f"{FLOWS}/company.team/hello/revisions").json()
    assert [r["revision"] for r in revisions] == [1, 2]
    first = client.get(f"{FLOWS}/company.team/hello", params={"revision": 1}).json()
    assert first["description"] == "Says hello"


def test_update_must_match_the_path(client: TestClient) -> None:
    create(client)
    response = client.put(f"{FLOWS}/company.team/other", content=HELLO, headers=YAML)
    assert response.status_code == 422
    assert "path" in response.json()["message"]


def test_update_of_an_unknown_flow_is_404(client: TestClient) -> None:
    response = client.put(f"{FLOWS}/company.team/hello", content=HELLO, headers=YAML)
    assert response.status_code == 404


def test_delete_then_get_is_404(client: TestClient) -> None:
    create(client)
    assert client.delete(f"{FLOWS}/company.team/hello").status_code == 204
    response = client.get(f"{FLOWS}/company.team/hello")
    assert response.status_code == 404
    assert "hello" in response.json()["message"]
    assert client.delete(f"{FLOWS}/company.team/hello").status_code == 404


def test_list_by_namespace_and_search(client: TestClient) -> None:
    create(client)
    create(client, HELLO.replace("id: hello", "id: bye").replace("company.team", "company.other"))
    create(
        client, HELLO.replace("id: hello", "id: deeper").replace("company.team", "company.team.sub")
    )
    listed = client.get(f"{FLOWS}/company.team").json()
    assert [f["id"] for f in listed] == ["hello"]
    found = client.get(f"{FLOWS}/search", params={"q": "bye"}).json()
    assert found["total"] == 1
    assert found["results"][0]["id"] == "bye"
    everything = client.get(f"{FLOWS}/search", params={"namespace": "company"}).json()
    assert everything["total"] == 3
    bad_page = client.get(f"{FLOWS}/search", params={"page": 0})
    assert bad_page.status_code == 422
    assert "page" in bad_page.json()["message"]


def test_validate_reports_each_document_with_positions(client: TestClient) -> None:
    broken = HELLO.replace("id: hello", "id: broken").replace("    message:", "    mesage:")
    response = client.post(f"{FLOWS}/validate", content=HELLO + "---\n" + broken, headers=YAML)
    assert response.status_code == 200
    first, second = response.json()
    assert first["flow"] == "hello"
    assert first["constraints"] is None
    assert second["constraints"]
    assert any(p["line"] > 0 for p in second["problems"])
    assert client.get(f"{FLOWS}/search").json()["total"] == 0


def test_bulk_upsert_into_a_namespace(client: TestClient) -> None:
    other = HELLO.replace("id: hello", "id: second")
    response = client.post(f"{FLOWS}/company.team", content=HELLO + "---\n" + other, headers=YAML)
    assert response.status_code == 200
    assert sorted(f["id"] for f in response.json()) == ["hello", "second"]
    wrong = client.post(f"{FLOWS}/elsewhere", content=HELLO, headers=YAML)
    assert wrong.status_code == 422
    assert "namespace" in wrong.json()["message"] or wrong.json()["problems"]


def test_openapi_and_health_answer(client: TestClient) -> None:
    assert client.get("/health").json()["status"] == "UP"
    spec = client.get("/api/openapi.json").json()
    assert "/api/v1/{tenant}/flows" in spec["paths"]
    assert "/api/v1/{tenant}/executions/{namespace}/{flow_id}" in spec["paths"]


def test_bulk_upsert_refuses_the_same_flow_twice(client: TestClient) -> None:
    response = client.post(f"{FLOWS}/company.team", content=HELLO + "---\n" + HELLO, headers=YAML)
    assert response.status_code == 422
    duplicates = [p for p in response.json()["problems"] if "already defined" in p["message"]]
    assert [p["message"] for p in duplicates] == [
        "flow `company.team.hello` is already defined at <request body>:1:1"
    ]
    assert client.get(f"{FLOWS}/company.team/hello").status_code == 404
