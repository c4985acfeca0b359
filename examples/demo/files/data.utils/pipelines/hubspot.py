"""CRM → DuckDB: contacts and deals (nested ``properties`` become ``properties__*`` columns)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import dlt

from pipelines.common import paged_hubspot, run


@dlt.resource(name="contacts", primary_key="id")
def contacts() -> Iterator[list[dict[str, Any]]]:
    """Every contact, 100 a page."""
    yield from paged_hubspot("/crm/v3/objects/contacts")


@dlt.resource(name="deals", primary_key="id")
def deals() -> Iterator[list[dict[str, Any]]]:
    """Every deal; the associated contact ends up in ``deals__associations__contacts__results``."""
    yield from paged_hubspot("/crm/v3/objects/deals")


if __name__ == "__main__":
    run("hubspot", [contacts(), deals()])
