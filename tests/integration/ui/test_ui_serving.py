"""The server serves the UI at /ui and the UI's support endpoints, on a real SQLite store."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tercel.api.app import create_app
from tercel.config import Settings
from tercel.engine.execution import Execution
from tercel.engine.state import State, StateTrail
from tercel.ids import short_id
from tercel.store.sql import SqlStore

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # TestClient's advice about its HTTP client
    from fastapi.testclient import TestClient

pytestmark = pytest.mark.integration


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqlStore]:
    store = SqlStore.open(f"sqlite:///{tmp_path / 'tercel.db'}")
    yield store
    store.close()


def client(store: SqlStore, tmp_path: Path, **settings: object) -> TestClient:
    return TestClient(create_app(store, Settings(home=tmp_path, **settings)))  # type: ignore[arg-type]


def test_root_redirects_to_the_ui_and_every_ui_route_serves_the_app(
    store: SqlStore, tmp_path: Path
) -> None:
    with client(store, tmp_path) as http:
        root = http.get("/", follow_redirects=False)
        assert root.status_code == 307
        assert root.headers["location"] == "/ui/"
        for path in ("/ui/", "/ui/flows", "/ui/main/executions/ns/flow/abc"):
            page = http.get(path)
            assert page.status_code == 200
            assert '<script type="module" src="/ui/static/js/main.js">' in page.text
            assert "script-src 'self'" in page.headers["content-security-policy"]
        script = http.get("/ui/static/js/main.js")
        assert script.status_code == 200
        assert "javascript" in script.headers["content-type"]
        assert http.get("/ui/static/js/missing.js").status_code == 404


def test_ui_files_load_without_credentials_but_the_api_stays_closed(
    store: SqlStore, tmp_path: Path
) -> None:
    with client(store, tmp_path, basic_auth_user="ada", basic_auth_password="pw") as http:
        assert http.get("/ui/login").status_code == 200
        assert http.get("/ui/static/app.css").status_code == 200
        plain = http.get("/api/v1/main/flows/search")
        assert plain.status_code == 401
        assert plain.headers["www-authenticate"].startswith("Basic")
        # The UI's own calls get no challenge, so the browser shows no password prompt.
        from_ui = http.get("/api/v1/main/flows/search", headers={"X-Tercel-UI": "1"})
        assert from_ui.status_code == 401
        assert "www-authenticate" not in from_ui.headers
        assert http.get("/api/v1/main/ui/stats").status_code == 401


def test_no_ui_asset_comes_from_another_site() -> None:
    static = Path(__file__).resolve().parents[3] / "tercel" / "ui" / "static"
    for file in static.rglob("*"):
        if file.suffix in (".js", ".css", ".html"):
            # The SVG namespace is a name, not an address anything is loaded from.
            text = file.read_text(encoding="utf-8").replace("http://www.w3.org/2000/svg", "")
            assert "http://" not in text, file
            assert "https://" not in text, file


def test_stats_count_executions_by_state_and_day(store: SqlStore, tmp_path: Path) -> None:
    now = datetime.now(UTC)
    for days_ago, state in (
        (0, State.SUCCESS),
        (0, State.SUCCESS),
        (0, State.FAILED),
        (2, State.WARNING),
    ):
        trail = StateTrail.start(now - timedelta(days=days_ago))
        trail.set(state, now - timedelta(days=days_ago))
        store.executions.create(Execution(short_id(), "company.team", "f", 1, trail))
    with client(store, tmp_path) as http:
        stats = http.get("/api/v1/main/ui/stats", params={"days": 3}).json()
    assert stats["days"][-1] == now.date().isoformat()
    assert stats["series"]["SUCCESS"] == [0, 0, 2]
    assert stats["series"]["FAILED"] == [0, 0, 1]
    assert stats["series"]["WARNING"] == [1, 0, 0]


def test_completions_list_types_with_their_properties(store: SqlStore, tmp_path: Path) -> None:
    with client(store, tmp_path) as http:
        completions = http.get("/api/v1/main/ui/completions").json()
    log = completions["types"]["io.kestra.plugin.core.log.Log"]
    assert log["category"] == "task"
    assert {"message", "level", "id"} <= set(log["properties"])
    assert "message" in log["required"]
    assert {"id", "namespace", "tasks", "triggers"} <= set(completions["flow"])
    assert "STRING" in completions["inputTypes"]
    schedule = completions["types"]["io.kestra.plugin.core.trigger.Schedule"]
    assert schedule["category"] == "trigger"
    assert "cron" in schedule["properties"]


def test_blueprints_come_with_their_yaml(store: SqlStore, tmp_path: Path) -> None:
    with client(store, tmp_path) as http:
        blueprints = http.get("/api/v1/main/ui/blueprints").json()
    assert blueprints
    assert all("namespace:" in b["source"] and b["title"] for b in blueprints)
