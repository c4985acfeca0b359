"""Applying a plan: each namespace's changes sent as one request, one transaction.

Secret values are read from their sources now (``env:VAR``, ``file:PATH``), sent in the
request body only, and never printed. When the server moved since the plan, it answers 409
with what moved and applies nothing of that namespace; `StaleStateError` carries the list.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from tercel.ascode.plan import Change, NamespacePlan, Plan, resolve_secret
from tercel.errors import StaleStateError

#: (namespace, operations) -> the server's answer; raises on refusal.
Sender = Callable[[str, list[dict[str, Any]]], dict[str, Any]]


def operation(change: Change, root: Path, environ: Mapping[str, str] | None) -> dict[str, Any]:
    """The wire operation of one change (a secret's value resolved here, not stored)."""
    op: dict[str, Any] = {
        "kind": change.kind,
        "action": change.action,
        "name": change.name,
        "expected": change.expected,
    }
    if change.action == "delete":
        return op
    key = {"flow": "source", "settings": "settings", "file": "content"}.get(change.kind, "value")
    if change.kind == "secret":
        op["value"] = resolve_secret(str(change.payload), root, environ)
    else:
        op[key] = change.payload
    return op


def apply_plan(
    plan: Plan,
    send: Sender,
    *,
    environ: Mapping[str, str] | None = None,
    on_applied: Callable[[NamespacePlan, dict[str, Any]], None] | None = None,
) -> int:
    """Send every namespace's changes in order; the number of changes made.

    Stops at the first refusal (StaleStateError or the server's error): the namespaces
    before it are applied, that one and the ones after it are not.
    """
    root = Path(plan.folder)
    done = 0
    for namespace in plan.namespaces:
        if not namespace.changes:
            continue
        operations = [operation(c, root, environ) for c in namespace.changes]
        answer = send(namespace.namespace, operations)
        done += len(namespace.changes)
        if on_applied is not None:
            on_applied(namespace, answer)
    return done


def moved_lines(error: StaleStateError) -> list[str]:
    """What moved, one line per object."""
    lines = []
    for item in error.moved:
        expected, actual = _shown(item.get("expected")), _shown(item.get("actual"))
        lines.append(f"  {item['kind']} {item['name']}: planned {expected}, now {actual}")
    return lines


def _shown(fingerprint: object) -> str:
    if fingerprint is None:
        return "absent"
    if isinstance(fingerprint, int):
        return f"revision {fingerprint}"
    text = str(fingerprint)
    # A SHA-256 is told apart by its first 12 digits; a timestamp is shown whole.
    return f"at {text[:12]}" if len(text) == 64 else f"at {text}"
