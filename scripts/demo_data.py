"""The demo's deterministic source data: a CRM (contacts, deals) and product events.

The same seed always gives the same rows, so the e2e test can compute what the marts must
hold straight from here and compare with what dlt + dbt produced.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

#: HubSpot's default deal pipeline, in order.
STAGES = (
    "appointmentscheduled",
    "qualifiedtobuy",
    "presentationscheduled",
    "decisionmakerboughtin",
    "contractsent",
    "closedwon",
    "closedlost",
)
CHANNELS = ("organic_search", "paid_search", "referral", "social", "events")
EVENTS = ("$pageview", "flow_created", "execution_started", "plugin_installed", "login")
#: Events happen in the 90 days before this instant; "active" means in the 30 days before
#: the latest event.
NOW = datetime(2026, 3, 31, 12, 0, tzinfo=UTC)
ACTIVE_DAYS = 30


@dataclass(frozen=True)
class DemoData:
    """Contacts, deals and events, generated from `seed`."""

    contacts: list[dict[str, Any]] = field(default_factory=list)
    deals: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def generate(
        cls, seed: int = 7, *, accounts: int = 40, contacts: int = 240, events: int = 3000
    ) -> DemoData:
        """Rows in the shapes the fake HubSpot and PostHog APIs return."""
        rng = random.Random(seed)
        companies = [f"account-{n:02d}.example.com" for n in range(1, accounts + 1)]
        people: list[dict[str, Any]] = []
        for n in range(1, contacts + 1):
            created = NOW - timedelta(days=rng.randint(1, 365), minutes=rng.randint(0, 1439))
            people.append(
                {
                    "id": str(1000 + n),
                    "properties": {
                        "email": f"user{n}@{companies[n % accounts]}",
                        "company": companies[n % accounts],
                        "hs_analytics_source": rng.choice(CHANNELS),
                        "createdate": created.isoformat().replace("+00:00", "Z"),
                    },
                }
            )
        deals: list[dict[str, Any]] = []
        for n, person in enumerate(rng.sample(people, k=contacts // 2), start=1):
            created = datetime.fromisoformat(person["properties"]["createdate"])
            deals.append(
                {
                    "id": str(5000 + n),
                    "properties": {
                        "dealname": f"{person['properties']['company']} — plan {n}",
                        "dealstage": STAGES[(n * 5 + rng.randint(0, 6)) % len(STAGES)],
                        "amount": str(rng.choice((1200, 4800, 9600, 24000, 60000))),
                        "createdate": (created + timedelta(days=rng.randint(0, 30)))
                        .isoformat()
                        .replace("+00:00", "Z"),
                    },
                    "associations": {"contacts": {"results": [{"id": person["id"]}]}},
                }
            )
        happenings: list[dict[str, Any]] = []
        for n in range(1, events + 1):
            person = people[rng.randrange(contacts)]
            # A third of the accounts went quiet a month ago: the active_accounts mart
            # should leave them out.
            quiet = companies.index(person["properties"]["company"]) % 3 == 0
            earliest = (ACTIVE_DAYS + 2) * 86400 if quiet else 0
            at = NOW - timedelta(seconds=rng.randint(earliest, 90 * 86400))
            happenings.append(
                {
                    "uuid": f"00000000-0000-4000-8000-{n:012d}",
                    "event": rng.choice(EVENTS),
                    "distinct_id": person["properties"]["email"],
                    "timestamp": at.isoformat().replace("+00:00", "Z"),
                    "properties": {"$group_0": person["properties"]["company"]},
                }
            )
        happenings.sort(key=lambda event: event["timestamp"])
        return cls(contacts=people, deals=deals, events=happenings)

    def expected_marts(self) -> dict[str, int]:
        """How many rows each mart must hold for this data (computed without dbt)."""
        stages = {deal["properties"]["dealstage"] for deal in self.deals}
        channels = {person["properties"]["hs_analytics_source"] for person in self.contacts}
        latest = max(datetime.fromisoformat(event["timestamp"]) for event in self.events)
        since = latest - timedelta(days=ACTIVE_DAYS)
        active = {
            event["properties"]["$group_0"]
            for event in self.events
            if datetime.fromisoformat(event["timestamp"]) >= since
        }
        return {
            "pipeline_by_stage": len(stages),
            "conversion_by_channel": len(channels),
            "active_accounts": len(active),
        }
