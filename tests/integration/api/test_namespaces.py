"""Namespaces and their files over HTTP."""

from __future__ import annotations

import io
import zipfile

from tests.integration.api.conftest import TestClient

NS = "/api/v1/main/namespaces"


def test_put_namespace_then_read_it_back_with_inheritance(client: TestClient) -> None:
    parent = {"description": "Data team", "variables": {"region": "eu", "db": {"host": "a"}}}
    assert client.put(f"{NS}/data", json=parent).status_code == 200
    child = {
        "variables": {"db": {"port": 5432}},
        "pluginDefaults": [{"type": "io.kestra.plugin.core.log.Log", "values": {"level": "WARN"}}],
    }
    stored = client.put(f"{NS}/data.sources", json=child).json()
    assert stored["pluginDefaults"][0]["values"] == {"level": "WARN"}
    effective = client.get(f"{NS}/data.sources", params={"inherited": "true"}).json()
    assert effective["variables"] == {"region": "eu", "db": {"host": "a", "port": 5432}}
    own = client.get(f"{NS}/data.sources").json()
    assert own["variables"] == {"db": {"port": 5432}}


def test_namespace_bad_input_is_422_naming_the_field(client: TestClient) -> None:
    unknown = client.put(f"{NS}/data", json={"descripton": "typo"})
    assert unknown.status_code == 422
    assert "descripton" in unknown.json()["message"]
    wrong_type = client.put(f"{NS}/data", json={"variables": [1, 2]})
    assert wrong_type.status_code == 422
    assert "variables" in wrong_type.json()["message"]
    bad_name = client.put(f"{NS}/Bad..Name!", json={})
    assert bad_name.status_code == 422
    no_type = client.put(f"{NS}/data", json={"pluginDefaults": [{"values": {}}]})
    assert no_type.status_code == 422
    assert "pluginDefaults[0].type" in no_type.json()["message"]


def test_unknown_namespace_is_404(client: TestClient) -> None:
    response = client.get(f"{NS}/nowhere")
    assert response.status_code == 404
    assert "nowhere" in response.json()["message"]


def test_files_crud_and_directories(client: TestClient) -> None:
    files = f"{NS}/company.team/files"
    upload = client.post(
        files, params={"path": "/scripts/main.py"}, files={"fileContent": ("main.py", b"print(1)")}
    )
    assert upload.status_code == 204
    assert client.get(files, params={"path": "/scripts/main.py"}).content == b"print(1)"
    assert client.post(f"{files}/directory", params={"path": "/empty"}).status_code == 204
    root = client.get(f"{files}/directory").json()
    assert [(e["fileName"], e["type"]) for e in root] == [
        ("empty", "Directory"),
        ("scripts", "Directory"),
    ]
    stats = client.get(f"{files}/stats", params={"path": "/scripts/main.py"}).json()
    assert stats["type"] == "File"
    assert stats["size"] == 8
    moved = client.put(files, params={"from": "/scripts/main.py", "to": "/app/run.py"})
    assert moved.status_code == 204
    assert client.get(files, params={"path": "/app/run.py"}).content == b"print(1)"
    assert client.get(files, params={"path": "/scripts/main.py"}).status_code == 404
    assert client.delete(files, params={"path": "/app"}).status_code == 204
    assert client.get(files, params={"path": "/app/run.py"}).status_code == 404


def test_zip_upload_is_unpacked_and_export_zips_back(client: TestClient) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        bundle.writestr("a.txt", "A")
        bundle.writestr("sub/b.txt", "B")
    files = f"{NS}/company.team/files"
    response = client.post(
        files, params={"path": "/"}, files={"fileContent": ("bundle.zip", buffer.getvalue())}
    )
    assert response.status_code == 204
    assert client.get(files, params={"path": "/sub/b.txt"}).content == b"B"
    exported = client.get(f"{files}/export")
    names = zipfile.ZipFile(io.BytesIO(exported.content)).namelist()
    assert sorted(names) == ["a.txt", "sub/b.txt"]


def test_file_paths_cannot_escape_the_namespace(client: TestClient) -> None:
    files = f"{NS}/company.team/files"
    escape = client.post(
        files, params={"path": "/../../etc/passwd"}, files={"fileContent": ("x", b"x")}
    )
    assert escape.status_code == 422
    assert "path" in escape.json()["message"]
    missing_part = client.post(files, params={"path": "/x.txt"})
    assert missing_part.status_code == 422
    assert "fileContent" in missing_part.json()["message"]
    not_zip = client.post(files, params={"path": "/"}, files={"fileContent": ("a.zip", b"nope")})
    assert not_zip.status_code == 422
