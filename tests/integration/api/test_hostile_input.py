"""Hostile input against a real `tercel server local` subprocess: every request is answered
4xx in bounded time, the server's memory stays bounded and `/health` answers throughout.

Alias bombs, deep nesting, huge bodies, invalid UTF-8, path characters and encoded
traversal in every path and URI parameter of the OpenAPI document.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.integration.server.test_server_process import RunningServer, free_port

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "hostile"
BOMB = (FIXTURES / "alias-bomb.yml").read_bytes()
MAIN = "/api/v1/main"
YAML = {"Content-Type": "application/x-yaml"}
HOOK_FLOW = """\
id: hook
namespace: company.team
tasks:
  - id: show
    type: io.kestra.plugin.core.log.Log
    message: "{{ trigger.body }}"
triggers:
  - id: web
    type: io.kestra.plugin.core.trigger.Webhook
    key: the-key
"""

UPLOAD_FLOW = """\
id: upload
namespace: company.team
inputs:
  - id: data
    type: FILE
  - id: who
    type: STRING
tasks:
  - id: show
    type: io.kestra.plugin.core.log.Log
    message: "{{ inputs.who }}"
"""

#: Path segments a caller could use to reach outside what a parameter names.
TRAVERSALS = [
    "..",
    "../../etc/passwd",
    "..%2F..%2Fetc%2Fpasswd",
    "%2e%2e",
    "%2e%2e%2f%2e%2e%2fetc",
    "%252e%252e%252f",
    "a%00b",
    "%00",
    "..%5C..%5Cwindows",
    "%ff%fe",
    "a..b",
    ".hidden",
]
#: Values of URI and path query parameters.
URI_VALUES = [
    "kestra:///../../etc/passwd",
    "kestra:///company/team/%2e%2e/%2e%2e/x",
    "kestra:///company%2Fteam/x",
    "/../../etc/passwd",
    "..\\..\\x",
    "a\x00b",
]
#: The same, percent-encoded as sent on the wire (invalid UTF-8 and NUL included).
RAW_URI_VALUES = ["%ff%fe", "kestra:///%00", "kestra%3A%2F%2F%2F..%2F..%2Fx", "%c0%ae%c0%ae/x"]
#: Growth of the server's resident memory allowed over the whole module.
MEMORY_BUDGET_MB = 250


class Watch:
    """Polls `/health` and the server's resident memory while the hostile requests run."""

    def __init__(self, server: RunningServer) -> None:
        self.server = server
        self.slowest_health = 0.0
        self.failures: list[str] = []
        self.peak_rss_mb = 0
        self.baseline_mb = 0
        #: Peak since `start_window()`: what one request cost.
        self.window_peak_mb = 0
        self._window_start = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def rss_mb(self) -> int:
        assert self.server.process is not None
        status = Path(f"/proc/{self.server.process.pid}/status").read_text()
        return int(status.split("VmRSS:")[1].split()[0]) // 1024

    def _run(self) -> None:
        with httpx.Client(timeout=5) as client:
            while not self._stop.is_set():
                started = time.monotonic()
                try:
                    status = client.get(f"{self.server.url}/health").status_code
                    if status != 200:
                        self.failures.append(f"/health answered {status}")
                except httpx.HTTPError as error:
                    self.failures.append(f"/health failed: {error!r}")
                self.slowest_health = max(self.slowest_health, time.monotonic() - started)
                rss = self.rss_mb()
                self.peak_rss_mb = max(self.peak_rss_mb, rss)
                self.window_peak_mb = max(self.window_peak_mb, rss)
                self._stop.wait(0.1)

    def start_window(self) -> None:
        """Start measuring what the next requests cost in memory."""
        self._window_start = self.window_peak_mb = self.rss_mb()

    def window_growth_mb(self) -> int:
        """How far the resident memory rose (sampled every 0.1 s) since `start_window`."""
        self.window_peak_mb = max(self.window_peak_mb, self.rss_mb())
        return self.window_peak_mb - self._window_start

    def __enter__(self) -> Watch:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(10)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    home = tmp_path_factory.mktemp("hostile")
    running = RunningServer(home, free_port())
    running.start()
    for flow in (HOOK_FLOW, UPLOAD_FLOW):
        httpx.post(f"{running.url}{MAIN}/flows", content=flow, headers=YAML).raise_for_status()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def watch(server: RunningServer) -> Iterator[Watch]:
    """One watcher for the module; its findings are checked by the last test."""
    with Watch(server) as watching:
        watching.baseline_mb = watching.rss_mb()
        yield watching


@pytest.fixture
def client(server: RunningServer, watch: Watch) -> Iterator[httpx.Client]:
    del watch  # started for its side effect: /health and memory are watched meanwhile
    with httpx.Client(base_url=server.url, timeout=20) as http:
        yield http


def assert_4xx(response: httpx.Response, *, within: float = 5.0) -> None:
    assert 400 <= response.status_code < 500, (response.request.url, response.text[:300])
    assert response.elapsed.total_seconds() < within, response.request.url
    if response.headers.get("content-type", "").startswith("application/json"):
        assert "message" in response.json() or "detail" in response.json()


# -- YAML -----------------------------------------------------------------------------------
@pytest.mark.parametrize("endpoint", ["/flows", "/flows/validate", "/flows/company.team"])
def test_an_alias_bomb_is_refused_at_once_with_the_alias_position(
    client: httpx.Client, endpoint: str
) -> None:
    response = client.post(f"{MAIN}{endpoint}", content=BOMB, headers=YAML)
    assert response.elapsed.total_seconds() < 5
    text = response.text
    if endpoint == "/flows/validate":
        assert response.status_code == 200
        [result] = response.json()
        assert result["valid"] is False
        text = json.dumps(result["problems"])
    else:
        assert_4xx(response)
    assert "YAML aliases expand" in text
    assert '"line": 8' in text.replace('":', '": ').replace(":  ", ": ")


@pytest.mark.parametrize(
    "body",
    [
        b"id: x\nnamespace: n\ntasks: " + b"[" * 100_000 + b"]" * 100_000,
        b"id: x\nnamespace: n\ntasks:\n" + b"- " * 100_000 + b"x\n",
    ],
    ids=["flow-style", "block-style"],
)
def test_deeply_nested_yaml_is_a_problem_not_a_crash(client: httpx.Client, body: bytes) -> None:
    response = client.post(f"{MAIN}/flows", content=body, headers=YAML)
    assert_4xx(response)
    assert "nested more than" in response.json()["message"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PUT", "/namespaces/company.team"),
        ("PUT", "/namespaces/company.team/kv/deep"),
        ("POST", "/executions/abc/labels"),
        ("PUT", "/triggers"),
        ("POST", "/executions/company.team/hook"),
    ],
)
def test_deeply_nested_json_is_refused(client: httpx.Client, method: str, path: str) -> None:
    body = b"[" * 200_000 + b"]" * 200_000
    response = client.request(
        method, f"{MAIN}{path}", content=body, headers={"Content-Type": "application/json"}
    )
    assert_4xx(response)


def test_a_50mb_flow_is_refused_without_reading_it(client: httpx.Client, watch: Watch) -> None:
    watch.start_window()
    body = b"id: big\nnamespace: n\ntasks: []\n# " + b"x" * (50 * 1024 * 1024) + b"\n"
    response = client.post(f"{MAIN}/flows", content=body, headers=YAML)
    assert response.status_code == 413
    assert "TERCEL_MAX_FLOW_SIZE" in response.json()["message"]
    assert watch.window_growth_mb() < 50


def test_a_20mb_webhook_body_and_a_streamed_one_are_refused(client: httpx.Client) -> None:
    url = f"{MAIN}/executions/webhook/company.team/hook/the-key"
    response = client.post(url, content=b"x" * (20 * 1024 * 1024))
    assert response.status_code == 413

    def chunks() -> Iterator[bytes]:
        for _ in range(20):
            yield b"x" * (1024 * 1024)

    response = client.post(url, content=chunks())
    assert response.status_code == 413
    assert "TERCEL_MAX_WEBHOOK_SIZE" in response.json()["message"]


def test_a_200mb_upload_refused_for_a_missing_input_leaves_nothing_and_no_memory(
    client: httpx.Client, server: RunningServer, watch: Watch, tmp_path: Path
) -> None:
    big = tmp_path / "big.bin"
    with big.open("wb") as handle:
        handle.truncate(200 * 1024 * 1024)  # sparse: 200 MB of zeros, sent from disk
    watch.start_window()
    with big.open("rb") as handle:
        response = client.post(
            f"{MAIN}/executions/company.team/upload",
            files={"data": ("big.bin", handle), "stowaway": ("x.bin", b"x" * 1000)},
        )
    assert response.status_code == 422  # `who` is required
    assert "who" in response.json()["message"]
    assert watch.window_growth_mb() < 50
    storage = server.home / "storage" / "company" / "team" / "upload"
    assert not [p for p in storage.rglob("*") if p.is_file()]


def test_invalid_utf8_bodies_are_4xx(client: httpx.Client) -> None:
    garbage = b"id: \xff\xfe\nnamespace: n\xc3\x28\ntasks: []\n"
    assert_4xx(client.post(f"{MAIN}/flows", content=garbage, headers=YAML))
    assert_4xx(client.post(f"{MAIN}/flows/validate", content=garbage, headers=YAML))
    json_garbage = b'{"key": "\xff\xfe", "value": "\xc3\x28"}'
    for method, path in [
        ("PUT", "/namespaces/company.team/secrets"),
        ("PUT", "/namespaces/company.team"),
        ("POST", "/executions/company.team/hook"),
    ]:
        response = client.request(
            method,
            f"{MAIN}{path}",
            content=json_garbage,
            headers={"Content-Type": "application/json"},
        )
        assert_4xx(response)


# -- paths and URIs -------------------------------------------------------------------------
def operations(client: httpx.Client) -> list[tuple[str, str, list[str]]]:
    """(method, path template, query parameters) of every operation the server documents."""
    spec = client.get("/api/openapi.json").json()
    found = []
    for path, items in spec["paths"].items():
        for method, operation in items.items():
            query = [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"]
            found.append((method.upper(), path, query))
    return found


def raw_request(server: RunningServer, method: str, target: str) -> int:
    """Send a request line as written (no client-side normalisation); the status code."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(
            f"{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            "Content-Length: 0\r\nConnection: close\r\n\r\n".encode("latin-1")
        )
        head = sock.recv(4096).split(b"\r\n", 1)[0].decode("latin-1")
    match = re.match(r"HTTP/1\.1 (\d{3})", head)
    assert match, head
    return int(match.group(1))


def test_traversal_in_every_path_parameter_is_4xx(
    server: RunningServer, client: httpx.Client
) -> None:
    checked = 0
    for method, template, _ in operations(client):
        if "{" not in template or template.endswith("/follow"):
            continue
        for segment in TRAVERSALS:
            target = re.sub(r"\{[^}]+\}", segment, template)  # the tenant too
            status = raw_request(server, method, target)
            # 404 is fine (nothing there), 405 too (a traversal matched another route's
            # method set): what matters is that nothing answers 2xx/5xx.
            assert 400 <= status < 500, (method, target, status)
            checked += 1
    assert checked > 400


def test_hostile_uri_and_path_query_parameters_never_reach_outside(
    server: RunningServer, client: httpx.Client
) -> None:
    """A `..` segment or a NUL is a 4xx; an encoded one (`%2e%2e`) is only a strange file
    name, which may be created, but only inside the namespace's own files."""
    execution = client.post(
        f"{MAIN}/executions/webhook/company.team/hook/the-key", json={"a": 1}
    ).json()
    before = set(server.home.rglob("*"))
    checked = 0
    for method, template, query in operations(client):
        names = [name for name in query if name in ("path", "from", "to")]
        if not names or template.endswith("/follow"):
            continue
        url = template.replace("{tenant}", "main").replace("{namespace}", "company.team")
        url = url.replace("{execution_id}", execution["id"])
        for value in URI_VALUES:
            response = client.request(method, url, params=dict.fromkeys(names, value))
            refused = ".." in value.replace("\\", "/").split("/") or "\x00" in value
            if refused or method in ("GET", "DELETE"):
                assert 400 <= response.status_code < 500, (method, url, value, response.text)
            else:
                assert response.status_code < 500, (method, url, value, response.text)
            checked += 1
        for raw in RAW_URI_VALUES:
            query_text = "&".join(f"{name}={raw}" for name in names)
            status = raw_request(server, method, f"{url}?{query_text}")
            assert status < 500, (method, url, raw, status)
            if method in ("GET", "DELETE"):
                assert status >= 400, (method, url, raw, status)
            checked += 1
    assert checked >= 7 * (len(URI_VALUES) + len(RAW_URI_VALUES))
    files_root = server.home / "storage" / "company" / "team"
    created = sorted(p for p in set(server.home.rglob("*")) - before if p.suffix != ".log")
    outside = [
        p
        for p in created
        if not files_root.is_relative_to(p)  # its parent folders
        and not p.is_relative_to(files_root / "_files")
        and not p.is_relative_to(files_root / "hook" / "executions")
        and not p.name.startswith("tercel.db")
    ]
    assert outside == []


# -- last: the server held ------------------------------------------------------------------
def test_zz_health_answered_throughout_and_memory_stayed_bounded(watch: Watch) -> None:
    time.sleep(0.3)  # at least one more sample after the last hostile request
    assert watch.failures == []
    assert watch.slowest_health < 3.0
    baseline = watch.baseline_mb
    print(
        f"server RSS {baseline} MB at start, peak {watch.peak_rss_mb} MB; "
        f"slowest /health {watch.slowest_health * 1000:.0f} ms"
    )
    assert watch.peak_rss_mb - baseline < MEMORY_BUDGET_MB, (baseline, watch.peak_rss_mb)
