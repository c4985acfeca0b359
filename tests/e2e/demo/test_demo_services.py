"""The demo's fake services behave like the APIs its pipelines are written for."""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.e2e

SCRIPTS = Path(__file__).resolve().parents[3] / "scripts"


def _load(name: str) -> Any:
    spec = importlib.util.spec_from_file_location(name, SCRIPTS / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while being built
    spec.loader.exec_module(module)
    return module


_load("demo_data")
demo_services = _load("demo_services")


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Any]:
    running = demo_services.DemoServices(messages_file=tmp_path / "slack.jsonl").start()
    try:
        yield running
    finally:
        running.stop()


def test_crm_pages_with_an_after_cursor_until_every_contact_is_read(services: Any) -> None:
    seen: list[str] = []
    after = "0"
    with httpx.Client(base_url=services.url) as http:
        for _ in range(20):
            page = http.get("/crm/v3/objects/contacts", params={"limit": 100, "after": after})
            body = page.json()
            seen += [row["id"] for row in body["results"]]
            after = body.get("paging", {}).get("next", {}).get("after")
            if after is None:
                break
    assert len(seen) == len(set(seen)) == len(services.data.contacts)


def test_analytics_pages_by_next_url_and_ends_with_null(services: Any) -> None:
    url: str | None = f"{services.url}/api/projects/1/events?limit=100"
    pages = 0
    events = 0
    with httpx.Client() as http:
        while url and pages < 100:
            body = http.get(url).json()
            events += len(body["results"])
            url = body["next"]
            pages += 1
    assert url is None
    assert events == len(services.data.events)
    assert pages == -(-events // 100)


def test_same_seed_gives_the_same_data() -> None:
    first = sys.modules["demo_data"].DemoData.generate()
    again = sys.modules["demo_data"].DemoData.generate()
    assert first == again
    assert first.expected_marts()["active_accounts"] < len(
        {c["properties"]["company"] for c in first.contacts}
    )


def test_feature_flag_service_is_down(services: Any) -> None:
    response = httpx.get(f"{services.url}/api/projects/1/feature_flags")
    assert response.status_code == 503


def test_slack_receiver_keeps_messages_and_logs_them(services: Any, tmp_path: Path) -> None:
    message = {"channel": "#data-alerts", "text": "<http://x/ui|[data] flow ➛ FAILED>"}
    response = httpx.post(services.slack_webhook, json=message)
    assert (response.status_code, response.text) == (200, "ok")
    assert services.channel_messages("#data-alerts") == [message]
    assert httpx.get(f"{services.url}/messages").json() == [message]
    logged = [json.loads(line) for line in (tmp_path / "slack.jsonl").read_text().splitlines()]
    assert logged == [message]
    assert '<a href="http://x/ui">' in httpx.get(f"{services.url}/").text
