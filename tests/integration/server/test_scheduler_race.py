"""Two schedulers on one database, ticking at the same moments, fire each date once."""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tercel.engine.execution import Execution
from tercel.engine.state import StateTrail
from tercel.model.loader import load_flow
from tercel.runtime.scheduler.schedules import Scheduler
from tercel.store.sql import SqlStore

PG_URL = os.environ.get("TEST_DATABASE_URL")
T0 = datetime(2025, 1, 6, 10, 0, tzinfo=UTC)
FLOW = """\
id: minutely
namespace: company.team
tasks:
  - id: t
    type: io.kestra.plugin.core.log.Log
    message: hi
triggers:
  - id: every-minute
    type: io.kestra.plugin.core.trigger.Schedule
    cron: "* * * * *"
    timezone: UTC
"""


class Recorder:
    """A thread-safe stand-in runtime that records the dates it was asked to run."""

    def __init__(self) -> None:
        self.dates: list[str] = []
        self.lock = threading.Lock()

    def start_now(self, flow: Any, inputs: Any, labels: Any, **kw: Any) -> Execution:
        with self.lock:
            self.dates.append(kw["trigger"].variables["date"])
        return Execution(kw["execution_id"], flow.namespace, flow.id, 1, StateTrail.start(T0))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'tercel.db'}"
        return
    if not PG_URL:
        pytest.skip("TEST_DATABASE_URL is not set: run under scripts/with-postgres.sh")
    name = f"tercel_race_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE {name}"))
    yield PG_URL.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


def test_concurrent_schedulers_fire_every_date_exactly_once(database_url: str) -> None:
    stores = [SqlStore.open(database_url), SqlStore.open(database_url)]
    try:
        stores[0].flows.save(FLOW, load_flow(FLOW))
        recorder = Recorder()
        schedulers = [Scheduler(store, recorder, owner=f"s{i}") for i, store in enumerate(stores)]  # type: ignore[arg-type]
        for scheduler in schedulers:
            scheduler.tick(T0)
        minutes = 15
        for minute in range(1, minutes + 1):
            now = T0 + timedelta(minutes=minute)
            barrier = threading.Barrier(len(schedulers))

            def run(scheduler: Scheduler, now: datetime = now, barrier: Any = barrier) -> None:
                barrier.wait()
                scheduler.tick(now)

            threads = [threading.Thread(target=run, args=(s,)) for s in schedulers]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(30)
        assert len(recorder.dates) == minutes
        assert len(set(recorder.dates)) == minutes
    finally:
        for store in stores:
            store.close()
