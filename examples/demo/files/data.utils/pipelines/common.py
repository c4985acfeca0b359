"""What every source pipeline shares: paging over HTTP, the DuckDB destination, the CLI."""

from __future__ import annotations

import argparse
import json
import os
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dlt


def get_json(url: str) -> Any:
    """GET a JSON document (the demo APIs answer on 127.0.0.1)."""
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"not an HTTP URL: {url}")
    with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 - checked above
        return json.load(response)


def api_url() -> str:
    """Base URL of the demo APIs, set by the pydata flow from ``envs.demo_api``."""
    return os.environ["DEMO_API"].rstrip("/")


def run(source: str, resources: list[Any]) -> None:
    """Load the resources into ``<RAW_DIR>/<source>.duckdb``, schema ``raw``, replacing tables.

    One DuckDB file per source: ingestions run at the same time, and DuckDB allows one
    writing process per file; dbt attaches them all.
    """
    parser = argparse.ArgumentParser(prog=f"python -m pipelines.{source}")
    parser.add_argument("--fail", default="false", help="true: fail on purpose (alerting demo)")
    args = parser.parse_args()
    if args.fail.lower() == "true":
        raise SystemExit(f"{source}: the API answered 503 Service Unavailable (simulated)")
    raw_dir = Path(os.environ["RAW_DIR"])
    raw_dir.mkdir(parents=True, exist_ok=True)
    pipeline = dlt.pipeline(
        pipeline_name=source,
        destination=dlt.destinations.duckdb(str(raw_dir / f"{source}.duckdb")),
        dataset_name="raw",
    )
    info = pipeline.run(resources, write_disposition="replace")
    trace = pipeline.last_trace
    normalized = trace.last_normalize_info if trace is not None else None
    counts = {
        table: int(count)
        for table, count in (normalized.row_counts if normalized is not None else {}).items()
        if not table.startswith("_dlt")
    }
    print(info)
    # Kestra's output protocol: the counts become outputs of the task run.
    print("::" + json.dumps({"outputs": {"rows": counts}}) + "::")


def paged_hubspot(path: str) -> Iterator[list[dict[str, Any]]]:
    """HubSpot-style paging: ``paging.next.after`` until it is absent."""
    after = "0"
    while True:
        page = get_json(f"{api_url()}{path}?limit=100&after={after}")
        yield page["results"]
        following = page.get("paging", {}).get("next", {}).get("after")
        if not following:
            return
        after = following


def paged_posthog(path: str) -> Iterator[list[dict[str, Any]]]:
    """PostHog-style paging: follow ``next`` URLs until null."""
    url: str | None = f"{api_url()}{path}?limit=100"
    while url:
        page = get_json(url)
        yield page["results"]
        url = page.get("next")
