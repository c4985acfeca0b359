"""Executions started together are stored together, and none is answered before it is stored.

Webhook and API starts are inserted in the executor's next transaction (group commit): the
answer must still wait for that commit, so a SIGKILL right after the answers loses none.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

import httpx

from tests.integration.server.test_server_process import RunningServer, free_port

FLOW = """\
id: hooked
namespace: probe.commit
tasks:
  - id: values
    type: io.kestra.plugin.core.output.OutputValues
    values:
      n: "{{ trigger.body.n }}"
triggers:
  - id: hook
    type: io.kestra.plugin.core.trigger.Webhook
    key: commit-key
"""


def stored(database: Path, execution_id: str) -> bool:
    """Whether another connection sees the execution (committed, not just written)."""
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=10) as connection:
        row = connection.execute("SELECT 1 FROM executions WHERE id = ?", (execution_id,))
        return row.fetchone() is not None


async def start_many(url: str, database: Path, count: int) -> tuple[list[str], list[str]]:
    """`count` webhook calls at once; (ids answered, ids not yet stored when answered)."""
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:

        async def one(n: int) -> tuple[str, bool]:
            response = await client.post(
                "/api/v1/main/executions/webhook/probe.commit/hooked/commit-key", json={"n": n}
            )
            assert response.status_code == 200, response.text
            execution_id = response.json()["id"]
            return execution_id, stored(database, execution_id)

        results = await asyncio.gather(*(one(n) for n in range(count)))
    return [i for i, _ in results], [i for i, ok in results if not ok]


def test_answered_starts_are_committed_and_survive_a_sigkill(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    running = RunningServer(home, free_port())
    running.start()
    try:
        created = httpx.post(
            f"{running.url}/api/v1/main/flows",
            content=FLOW,
            headers={"Content-Type": "application/x-yaml"},
        )
        assert created.status_code == 200, created.text
        ids, unstored = asyncio.run(start_many(running.url, home / "tercel.db", 40))
        assert unstored == []
        running.kill()
        running.start()
        deadline = time.monotonic() + 30
        states: dict[str, str] = {}
        while time.monotonic() < deadline:
            states = {
                i: httpx.get(f"{running.url}/api/v1/main/executions/{i}").json()["state"]["current"]
                for i in ids
            }
            if set(states.values()) == {"SUCCESS"}:
                break
            time.sleep(0.2)
        assert set(states.values()) == {"SUCCESS"}, states
    finally:
        running.stop()
