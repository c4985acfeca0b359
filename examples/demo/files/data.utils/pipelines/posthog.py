"""Product analytics → DuckDB: the event stream."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import dlt

from pipelines.common import paged_posthog, run


@dlt.resource(name="events", primary_key="uuid")
def events() -> Iterator[list[dict[str, Any]]]:
    """Every event, 100 a page."""
    yield from paged_posthog("/api/projects/1/events")


if __name__ == "__main__":
    run("posthog", [events()])
