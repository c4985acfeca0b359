"""The pure rules of a plan: environment overrides, seeds, prune scope, secrets by digest."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tercel.ascode.desired import desired_state
from tercel.ascode.fingerprint import kv_fingerprint, secret_digest, settings_fingerprint
from tercel.ascode.folder import Environment, Folder, NamespaceSpec, Override, SourceFlow
from tercel.ascode.plan import Plan, make_plan
from tercel.errors import SecretError

pytestmark = pytest.mark.unit

FLOW = "id: hello\nnamespace: team\ntasks: []\n"


def folder() -> Folder:
    found = Folder(Path("/repo"))
    found.flows.append(SourceFlow("team", "hello", "flows/hello.yml", FLOW))
    found.namespaces["team"] = NamespaceSpec(
        "team",
        "namespaces/team.yml",
        "Team",
        {"slack": {"channel": "#dev", "user": "bot"}},
        [{"type": "io.kestra.plugin.core.log.Log", "values": {"level": "INFO"}}],
        {"start": "2024-01-01"},
        {"TOKEN": "env:TOKEN"},
    )
    return found


def empty_state(namespace: str) -> dict[str, Any]:
    return {
        "namespace": namespace,
        "flows": [],
        "settings": None,
        "files": [],
        "kv": [],
        "secrets": [],
    }


def test_an_environment_merges_variables_and_replaces_defaults_of_the_same_type() -> None:
    prod = Environment(
        "prod",
        "environments/prod.yml",
        overrides={
            "team": Override(
                {"slack": {"channel": "#alerts"}},
                [{"type": "io.kestra.plugin.core.log.Log", "values": {"level": "WARN"}}],
            )
        },
    )
    [team], _ = desired_state(folder(), prod)
    assert team.settings == {
        "description": "Team",
        "variables": {"slack": {"channel": "#alerts", "user": "bot"}},
        "pluginDefaults": [{"type": "io.kestra.plugin.core.log.Log", "values": {"level": "WARN"}}],
    }


def test_kv_is_seeded_once_and_a_different_server_value_is_kept() -> None:
    wanted, _ = desired_state(folder(), Environment("dev", ""))
    state = empty_state("team")
    state["kv"] = [
        {
            "key": "start",
            "value": "2025-06-01",
            "type": "STRING",
            "fingerprint": kv_fingerprint("2025-06-01", "STRING"),
        }
    ]
    [plan] = make_plan(
        wanted, lambda ns, nonce, d: state, prune=True, root=Path("/repo"), environ={"TOKEN": "t"}
    )
    assert not [c for c in plan.changes if c.kind == "kv"]
    assert any("kv `start` differs on the server and is kept" in n for n in plan.notes)


def test_prune_deletes_only_in_managed_namespaces() -> None:
    spare = dict(empty_state("team"))
    spare["flows"] = [{"id": "stray", "revision": 4, "source": "id: stray\n"}]
    for managed, expected in ((["team"], "delete"), (["other"], None)):
        environment = Environment("prod", "", managed=managed)
        wanted, _ = desired_state(folder(), environment)
        plans = make_plan(
            wanted,
            lambda ns, nonce, d: spare if ns == "team" else empty_state(ns),
            prune=True,
            root=Path("/repo"),
            environ={"TOKEN": "t"},
        )
        team = next(p for p in plans if p.namespace == "team")
        stray = [c for c in team.changes if c.name == "stray"]
        if expected is None:
            assert not stray
            assert ("flow", "stray") in team.unmanaged
        else:
            assert [(c.action, c.expected) for c in stray] == [("delete", 4)]


def test_a_secret_is_compared_by_a_one_time_digest_and_never_stored_in_the_plan() -> None:
    wanted, _ = desired_state(folder(), Environment("dev", ""))
    seen: dict[str, str] = {}

    def server(namespace: str, nonce: str, digests: dict[str, str]) -> dict[str, Any]:
        seen.update(digests)
        state = empty_state(namespace)
        same = digests["TOKEN"] == secret_digest(nonce, "s3cret")
        state["secrets"] = [{"name": "TOKEN", "fingerprint": "t1", "same": same}]
        state["flows"] = [{"id": "hello", "revision": 1, "source": FLOW}]
        description, variables = "Team", {"slack": {"channel": "#dev", "user": "bot"}}
        defaults = [{"type": "io.kestra.plugin.core.log.Log", "values": {"level": "INFO"}}]
        state["settings"] = {
            "description": description,
            "variables": variables,
            "pluginDefaults": defaults,
            "fingerprint": settings_fingerprint(description, variables, defaults),
        }
        state["kv"] = [
            {
                "key": "start",
                "value": "2024-01-01",
                "type": "STRING",
                "fingerprint": kv_fingerprint("2024-01-01", "STRING"),
            }
        ]
        return state

    [same] = make_plan(wanted, server, prune=False, root=Path("/repo"), environ={"TOKEN": "s3cret"})
    assert same.changes == []
    [rotated] = make_plan(
        wanted, server, prune=False, root=Path("/repo"), environ={"TOKEN": "new-value"}
    )
    assert [(c.kind, c.action, c.payload) for c in rotated.changes] == [
        ("secret", "update", "env:TOKEN")
    ]
    saved = Plan("http://x", "main", "dev", "/repo", False, [rotated]).to_json()
    assert "new-value" not in str(saved)
    assert "new-value" not in str(seen)


def test_a_missing_secret_source_is_an_error_naming_it() -> None:
    wanted, _ = desired_state(folder(), Environment("dev", ""))
    with pytest.raises(SecretError, match="`env:TOKEN`: environment variable TOKEN is not set"):
        make_plan(
            wanted,
            lambda ns, nonce, d: empty_state(ns),
            prune=False,
            root=Path("/repo"),
            environ={},
        )
