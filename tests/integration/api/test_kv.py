"""The KV store over HTTP: typed values, TTL, listing, deletion."""

from __future__ import annotations

import time

from tests.integration.api.conftest import TestClient

KV = "/api/v1/main/namespaces/company.team/kv"


def test_values_keep_their_deduced_types(client: TestClient) -> None:
    cases = {
        "text": ("hello", "STRING", "hello"),
        "quoted": ('"hello"', "STRING", "hello"),
        "number": ("42", "NUMBER", 42),
        "flag": ("true", "BOOLEAN", True),
        "object": ('{"a": [1, 2]}', "JSON", {"a": [1, 2]}),
        "day": ("2024-12-20", "DATE", "2024-12-20"),
        "wait": ("PT5M", "DURATION", "PT5M"),
    }
    for key, (body, _, _) in cases.items():
        assert client.put(f"{KV}/{key}", content=body).status_code == 204
    for key, (_, kv_type, value) in cases.items():
        assert client.get(f"{KV}/{key}").json() == {"type": kv_type, "value": value}, key
    listed = client.get(KV).json()
    assert sorted(e["key"] for e in listed) == sorted(cases)


def test_forced_type_and_bad_values(client: TestClient) -> None:
    assert client.put(f"{KV}/n", content="12", params={"type": "STRING"}).status_code == 204
    assert client.get(f"{KV}/n").json() == {"type": "STRING", "value": "12"}
    bad = client.put(f"{KV}/n", content="abc", params={"type": "NUMBER"})
    assert bad.status_code == 422
    unknown_type = client.put(f"{KV}/n", content="1", params={"type": "NOPE"})
    assert unknown_type.status_code == 422
    assert "type" in unknown_type.json()["message"]
    bad_key = client.put(f"{KV}/-bad key", content="1")
    assert bad_key.status_code == 422
    assert "key" in bad_key.json()["message"]


def test_ttl_expires_a_value(client: TestClient) -> None:
    assert client.put(f"{KV}/short", content="x", headers={"ttl": "PT0.3S"}).status_code == 204
    assert client.get(f"{KV}/short").status_code == 200
    time.sleep(0.5)
    assert client.get(f"{KV}/short").status_code == 404
    bad = client.put(f"{KV}/short", content="x", headers={"ttl": "soon"})
    assert bad.status_code == 422
    assert "ttl" in bad.json()["message"]


def test_delete_one_and_many(client: TestClient) -> None:
    for key in ("a", "b", "c"):
        client.put(f"{KV}/{key}", content="1")
    assert client.delete(f"{KV}/a").status_code == 204
    assert client.delete(f"{KV}/a").status_code == 404
    response = client.request("DELETE", KV, json=["b", "c", "zzz"])
    assert response.json() == {"keys": ["b", "c"]}
    assert client.get(KV).json() == []
