"""A secret-leak scan: known secret values used everywhere a flow can put them, then looked
for in every API answer, every SSE stream, the database files and the server's home.

Three values: one `SECRET_*` environment variable, one stored (encrypted) secret, one
SECRET-typed input. A flow logs them, returns them as task outputs (core tasks and a
script's output protocol), fails with one in its error message, passes one between tasks
(which must see the real value), and declares a STRING and a SECRET flow output of them.

Decided exception (docs/server.md, "Secrets"): a file the user's own script writes is the
user's data, stored as written; the scan skips those files and checks they hold the value.
"""

from __future__ import annotations

import base64
from pathlib import Path

import httpx

from tests.integration.server.test_server_process import RunningServer, free_port

ENV_SECRET = "env-secret-Qx7Lw9"
STORED_SECRET = "stored-secret-Vb3Kp1"
INPUT_SECRET = "input-secret-Zt5Rm8"
ALL = (ENV_SECRET, STORED_SECRET, INPUT_SECRET)
KEY = base64.b64encode(b"k" * 32).decode()

FLOW = """\
id: leaky
namespace: probe.secrets
inputs:
  - id: password
    type: SECRET
    validator: "^input-.*"
triggers:
  - id: hook
    type: io.kestra.plugin.core.trigger.Webhook
    key: hook-key-123
    wait: true
    returnOutputs: true
    inputs:
      password: "{{ trigger.body.pw }}"
tasks:
  - id: say
    type: io.kestra.plugin.core.log.Log
    message: "env {{ secret('PROBE') }} stored {{ secret('STORED') }} input {{ inputs.password }}"
  - id: ret
    type: io.kestra.plugin.core.debug.Return
    format: "{{ secret('PROBE') }}"
  - id: wrapped
    type: io.kestra.plugin.core.output.OutputValues
    values:
      token: "Bearer {{ secret('STORED') }}"
      nested:
        list: ["a", "{{ inputs.password }}"]
  - id: script
    type: io.kestra.plugin.scripts.shell.Commands
    taskRunner:
      type: io.kestra.plugin.core.runner.Process
    env:
      TOKEN: "{{ secret('PROBE') }}"
      FROM_OUTPUT: "{{ outputs.ret.value }}"
    outputFiles: [user-data.txt]
    commands:
      - '[ "$FROM_OUTPUT" = "$TOKEN" ] || { echo "outputs did not carry the real value"; exit 1; }'
      - echo "$TOKEN" > user-data.txt
      - echo "script printed $TOKEN"
      - 'echo "::{\\"outputs\\":{\\"tok\\":\\"$TOKEN\\"}}::"'
  - id: fail
    type: io.kestra.plugin.core.execution.Fail
    allowFailure: true
    errorMessage: "failing with {{ secret('STORED') }}"
outputs:
  - id: plain
    type: STRING
    value: "{{ outputs.ret.value }}"
  - id: hidden
    type: SECRET
    value: "{{ outputs.wrapped.values.token }}"
"""


def leaks(text: str | bytes) -> list[str]:
    """The secret values found in `text`."""
    data = text.encode() if isinstance(text, str) else text
    return [value for value in ALL if value.encode() in data]


def sse(client: httpx.Client, url: str) -> str:
    """The whole body of an SSE stream that ends by itself (the execution has ended)."""
    with client.stream("GET", url, timeout=20) as response:
        assert response.status_code == 200
        return "".join(response.iter_text())


def scan_api(client: httpx.Client, api: str, execution_id: str) -> dict[str, list[str]]:
    bodies: dict[str, str] = {}
    for path in (
        f"/executions/{execution_id}",
        "/executions/search?namespace=probe.secrets",
        f"/logs/{execution_id}",
        f"/logs/{execution_id}/download",
        "/triggers/search",
        "/triggers/probe.secrets/leaky",
        "/flows/probe.secrets/leaky",
        "/namespaces/probe.secrets/secrets",
    ):
        response = client.get(api + path)
        assert response.status_code == 200, (path, response.text)
        bodies[path] = response.text
    bodies["execution SSE"] = sse(client, f"{api}/executions/{execution_id}/follow")
    bodies["logs SSE"] = sse(client, f"{api}/logs/{execution_id}/follow")
    return {where: found for where, body in bodies.items() if (found := leaks(body))}


def scan_home(home: Path) -> dict[str, list[str]]:
    found = {}
    for path in home.rglob("*"):
        # The files the user's script wrote (one per execution) are the user's data.
        skipped = path.name in ("user-data.txt", "server.log")
        if path.is_file() and not skipped and (hits := leaks(path.read_bytes())):
            found[str(path.relative_to(home))] = hits
    return found


def test_secret_values_never_leave_the_engine_in_clear(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    env = {
        "SECRET_PROBE": base64.b64encode(ENV_SECRET.encode()).decode(),
        "TERCEL_ENCRYPTION_KEY": KEY,
    }
    running = RunningServer(home, free_port(), env)
    running.start()
    try:
        api = f"{running.url}/api/v1/main"
        with httpx.Client(timeout=30) as client:
            created = client.post(
                f"{api}/flows", content=FLOW, headers={"Content-Type": "application/x-yaml"}
            )
            assert created.status_code == 200, created.text
            stored = client.put(
                f"{api}/namespaces/probe.secrets/secrets",
                json={"key": "STORED", "value": STORED_SECRET},
            )
            assert stored.status_code == 204, stored.text
            # A refused value is a secret too: the 422 says why, not what.
            refused = client.post(
                f"{api}/executions/probe.secrets/leaky", files={"password": (None, ENV_SECRET)}
            )
            assert refused.status_code == 422, refused.text
            assert "must match the pattern" in refused.text
            assert leaks(refused.text) == []
            started = client.post(
                f"{api}/executions/probe.secrets/leaky?wait=true",
                files={"password": (None, INPUT_SECRET)},
            )
            assert started.status_code == 200, started.text
            assert leaks(started.text) == []
            execution = started.json()
            # The task that compared an output with the secret saw the real value.
            assert execution["state"]["current"] == "WARNING", execution
            runs = {run["taskId"]: run for run in execution["taskRunList"]}
            assert runs["script"]["state"]["current"] == "SUCCESS"
            assert runs["ret"]["outputs"]["value"] == "******"
            assert execution["outputs"] == {"plain": "******", "hidden": "******"}

            hooked = client.post(
                f"{api}/executions/webhook/probe.secrets/leaky/hook-key-123",
                json={"pw": INPUT_SECRET},
            )
            assert hooked.status_code == 200, hooked.text
            assert hooked.json() == {"plain": "******", "hidden": "******"}

            assert scan_api(client, api, execution["id"]) == {}
            user_files = list(home.rglob("user-data.txt"))
            assert [f.read_text().strip() for f in user_files] == [ENV_SECRET, ENV_SECRET]
            assert scan_home(home) == {}

            # After a restart the values are unknown to the new process until used again:
            # what was stored encrypted is still shown masked.
            running.stop()
            running.start()
            assert scan_api(client, api, execution["id"]) == {}
            again = client.get(f"{api}/executions/{execution['id']}").json()
            assert again["outputs"] == {"plain": "******", "hidden": "******"}
        assert scan_home(home) == {}
        assert leaks(running.log.read_bytes()) == []
    finally:
        running.stop()
