"""Attacks on execution-file isolation, reproduced with real flow runs (issue 19, items 2-4).

A flow in namespace `b` stores a secret file; flows in namespace `a` try to read, size,
test, concatenate, copy into a script or delete it, in plain and percent-encoded forms.
"""

from __future__ import annotations

import warnings
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tercel.config import Settings
from tercel.engine.execution import Execution
from tercel.engine.state import State
from tercel.errors import FlowValidationError, InvalidNameError
from tercel.model.loader import load_flow
from tercel.runtime.local import LocalRuntime
from tercel.storage.uri import namespace_file

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

PRODUCER = """
id: producer
namespace: b
tasks:
  - id: make
    type: io.kestra.plugin.core.storage.LocalFiles
    inputs:
      secret.txt: top secret
    outputs:
      - secret.txt
"""

ATTACKS = {
    "read": """
  - id: steal
    type: io.kestra.plugin.core.debug.Return
    format: "{{ read(inputs.target) }}"
""",
    "fileSize": """
  - id: steal
    type: io.kestra.plugin.core.debug.Return
    format: "{{ fileSize(inputs.target) }}"
""",
    "fileExists": """
  - id: steal
    type: io.kestra.plugin.core.debug.Return
    format: "{{ fileExists(inputs.target) }}"
""",
    "Concat": """
  - id: steal
    type: io.kestra.plugin.core.storage.Concat
    files:
      - "{{ inputs.target }}"
""",
    "Delete": """
  - id: steal
    type: io.kestra.plugin.core.storage.Delete
    uri: "{{ inputs.target }}"
""",
    "inputFiles": """
  - id: steal
    type: io.kestra.plugin.scripts.shell.Commands
    inputFiles:
      stolen.txt: "{{ inputs.target }}"
    commands:
      - cat stolen.txt
""",
}


def attacker(tasks: str, namespace: str = "a") -> str:
    return f"""
id: attacker
namespace: {namespace}
inputs:
  - id: target
    type: STRING
tasks:{tasks}"""


def encodings(uri: str) -> list[str]:
    """The plain URI and the forms that used to get past the check."""
    return [
        uri,
        uri.replace("/executions/", "/%65xecutions/"),
        uri.replace("/executions/", "/executions%2F"),
        uri.replace("/executions/", "/%65xecutions%2f"),
        uri.replace("kestra:///b/", "kestra:///b/./"),
    ]


@pytest.fixture
async def runtime(tmp_path: Path) -> AsyncIterator[LocalRuntime]:
    async with LocalRuntime.open(tmp_path / "home") as opened:
        yield opened


async def produce(runtime: LocalRuntime) -> str:
    execution = await runtime.run(load_flow(PRODUCER, "producer.yml"), timeout=60)
    assert execution.state.current is State.SUCCESS
    uri = execution.task_runs_of("make")[0].outputs["uris"]["secret.txt"]
    assert isinstance(uri, str)
    assert runtime.storage.get(uri) == b"top secret"
    return uri


def leaked(runtime: LocalRuntime, execution: Execution) -> bool:
    outputs = [str(run.outputs) for run in execution.task_run_list]
    logs = [entry.message for entry in runtime.store.logs.list(execution.id)]
    return any("top secret" in text for text in outputs + logs)


@pytest.mark.parametrize("attack", sorted(ATTACKS))
async def test_another_namespaces_execution_files_stay_out_of_reach(
    runtime: LocalRuntime, attack: str
) -> None:
    secret = await produce(runtime)
    flow = load_flow(attacker(ATTACKS[attack]), "attacker.yml")
    for target in encodings(secret):
        execution = await runtime.run(flow, {"target": target}, timeout=60)
        assert execution.state.current is State.FAILED, (attack, target, execution.task_run_list)
        assert not leaked(runtime, execution), (attack, target)
        assert runtime.storage.get(secret) == b"top secret", (attack, target)


async def test_namespace_files_of_another_namespace_can_be_read(runtime: LocalRuntime) -> None:
    shared = runtime.storage.put(namespace_file("b", "shared.txt"), b"public to flows")
    flow = load_flow(attacker(ATTACKS["read"]), "attacker.yml")
    execution = await runtime.run(flow, {"target": shared}, timeout=60)
    assert execution.state.current is State.SUCCESS
    assert execution.task_runs_of("steal")[0].outputs == {"value": "public to flows"}


@pytest.mark.parametrize(
    "target", ["kestra:///c", "kestra:///c/", "kestra:///a", "kestra:///a/_files", "kestra:///"]
)
async def test_delete_cannot_wipe_a_namespace_or_a_folder(
    runtime: LocalRuntime, target: str
) -> None:
    files = [
        runtime.storage.put(namespace_file("c", "data.csv"), b"c's data"),
        runtime.storage.put("kestra:///c/flow/executions/E1/tasks/t/r/out.txt", b"c's output"),
        runtime.storage.put(namespace_file("a", "mine.csv"), b"a's data"),
    ]
    flow = load_flow(attacker(ATTACKS["Delete"]), "attacker.yml")
    execution = await runtime.run(flow, {"target": target}, timeout=60)
    assert execution.state.current is State.FAILED
    assert all(runtime.storage.exists(uri) for uri in files)


async def test_delete_removes_a_file_of_the_flows_own_namespace(runtime: LocalRuntime) -> None:
    own = runtime.storage.put(namespace_file("a", "old.csv"), b"old")
    flow = load_flow(attacker(ATTACKS["Delete"]), "attacker.yml")
    execution = await runtime.run(flow, {"target": own}, timeout=60)
    assert execution.state.current is State.SUCCESS
    assert execution.task_runs_of("steal")[0].outputs == {"uri": own, "deleted": True}
    assert not runtime.storage.exists(own)


@pytest.mark.parametrize("namespace", ["a..b", "a.b."])
def test_a_namespace_with_empty_parts_does_not_reach_a_b(
    runtime: LocalRuntime, namespace: str
) -> None:
    runtime.storage.put(namespace_file("a.b", "private.txt"), b"top secret")
    tasks = """
  - id: steal
    type: io.kestra.plugin.core.debug.Return
    format: "{{ read('private.txt') }}"
"""
    source = attacker(tasks, namespace).replace("inputs:\n  - id: target\n    type: STRING\n", "")
    # The flow is refused when it is loaded, at its `namespace:` ...
    with pytest.raises(FlowValidationError, match="empty segment"):
        load_flow(source, "x.yml")
    # ... and the storage refuses the name on its own, whoever asks.
    with pytest.raises(InvalidNameError, match="invalid namespace"):
        runtime.storage.get(namespace_file(namespace, "private.txt"))


def test_namespace_files_uploaded_to_a_files_namespace_do_not_appear_in_its_parent(
    tmp_path: Path,
) -> None:
    from tercel.api.app import create_app
    from tercel.storage.local import LocalStorage
    from tercel.store.sql import SqlStore

    store = SqlStore.open(f"sqlite:///{tmp_path / 'tercel.db'}")
    app = create_app(store, Settings(home=tmp_path), storage=LocalStorage(tmp_path / "storage"))
    try:
        with TestClient(app) as client:
            base = "/api/v1/main/namespaces"
            upload = client.post(
                f"{base}/a._files/files",
                params={"path": "/planted.txt"},
                files={"fileContent": ("planted.txt", b"planted")},
            )
            assert upload.status_code in (400, 404, 422), upload.text
            listing = client.get(f"{base}/a/files/directory")
            assert listing.status_code == 200
            assert all("planted" not in item["fileName"] for item in listing.json())
            assert client.get(f"{base}/a/files", params={"path": "/planted.txt"}).status_code == 404
    finally:
        store.close()
