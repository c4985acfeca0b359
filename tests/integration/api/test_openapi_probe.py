"""The OpenAPI probe: schemathesis generates valid and invalid requests for every operation
of `/api/openapi.json` and sends them to a real `tercel server local` subprocess, with and
without authentication. No request may be answered with a server error (5xx).

Bounded: `EXAMPLES` requests per operation and mode (about a minute per server here);
`TERCEL_PROBE_EXAMPLES` raises it for a longer local run.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import hypothesis.strategies as st
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode

from tests.integration.server.test_server_process import RunningServer, free_port

EXAMPLES = int(os.environ.get("TERCEL_PROBE_EXAMPLES", "12"))
KEY = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
BASIC = {"Authorization": "Basic YWRtaW46cHc="}  # admin:pw
SEED_FLOW = """\
id: hello
namespace: company.team
inputs:
  - id: user
    type: STRING
    defaults: world
tasks:
  - id: say
    type: io.kestra.plugin.core.log.Log
    message: "Hello {{ inputs.user }}"
triggers:
  - id: web
    type: io.kestra.plugin.core.trigger.Webhook
    key: the-key
"""


@pytest.fixture(params=["open", "basic-auth"])
def probed(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """A running server (open, or with basic auth) and the headers a client sends it."""
    env = {"TERCEL_ENCRYPTION_KEY": KEY}
    headers: dict[str, str] = {}
    if request.param == "basic-auth":
        env |= {"TERCEL_BASIC_AUTH_USER": "admin", "TERCEL_BASIC_AUTH_PASSWORD": "pw"}
        headers = BASIC
    server = RunningServer(tmp_path, free_port(), env)
    server.start()
    try:
        yield server.url, headers
    finally:
        server.stop()
        # A 500 is logged with its traceback: show it next to the failing request.
        request.node.server_log = server.log.read_text(errors="replace")


def test_no_operation_answers_a_server_error(probed: tuple[str, dict[str, str]]) -> None:
    url, headers = probed
    seeded = httpx.post(
        f"{url}/api/v1/main/flows",
        content=SEED_FLOW,
        headers={**headers, "Content-Type": "application/x-yaml"},
    )
    assert seeded.status_code == 200, seeded.text
    schema = schemathesis.openapi.from_dict(
        httpx.get(f"{url}/api/openapi.json", headers=headers).json()
    )
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 50
    statuses: Counter[int] = Counter()
    errors: list[str] = []
    started = time.monotonic()
    for operation in operations:
        cases = st.one_of(
            operation.as_strategy(GenerationMode.POSITIVE),
            operation.as_strategy(GenerationMode.NEGATIVE),
        )

        @given(case=cases)
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,  # the same requests every run: a failure reproduces
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def probe(case: schemathesis.Case) -> None:
            response = case.call(base_url=url, headers=headers, timeout=30)
            statuses[response.status_code] += 1
            if response.status_code >= 500:
                errors.append(
                    f"{response.status_code} {case.as_curl_command()}\n  {response.text[:300]}"
                )

        probe()
    elapsed = time.monotonic() - started
    assert errors == [], "\n".join(errors[:20])
    # The probe reached the routes: credentials were accepted, and most answers are not 401.
    assert statuses[401] < sum(statuses.values()) / 10, statuses
    assert sum(statuses.values()) >= len(operations) * min(EXAMPLES, 5)
    print(f"{sum(statuses.values())} requests in {elapsed:.0f}s: {dict(sorted(statuses.items()))}")
