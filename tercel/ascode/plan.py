"""A plan: every create, update and delete that would make a server match the folder.

`make_plan` compares the desired namespaces with the state the server answers
(`tercel.ascode.sync.NamespaceSync.state`) and records, for each change, the fingerprint of
what it saw so that applying refuses when the server moved meanwhile. A plan never holds a
secret value: secrets are named with their source (``env:VAR``), read again when applied,
and compared through a one-time HMAC digest.

Rules (docs/flows-as-code.md): flows, settings, files and secrets follow the folder; objects
the folder does not have are "not managed here" unless `prune` is set and the environment
manages the namespace, in which case they are deleted. KV entries are seeds: created when
absent, never overwritten or pruned (flows write KV at run time).
"""

from __future__ import annotations

import base64
import difflib
import io
import os
import secrets as random_tokens
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from tercel.ascode.desired import DesiredNamespace
from tercel.ascode.fingerprint import (
    Fingerprint,
    file_fingerprint,
    kv_fingerprint,
    secret_digest,
    settings_fingerprint,
)
from tercel.errors import SecretError
from tercel.store.kvtypes import coerce

PLAN_FORMAT = "tercel-plan/1"
#: Kinds in the order a plan shows them.
KIND_ORDER = ("settings", "flow", "file", "kv", "secret")

#: (namespace, nonce, digests) -> the server's state JSON of that namespace.
StateReader = Callable[[str, str, Mapping[str, str]], dict[str, Any]]


@dataclass
class Change:
    """One object to create, update or delete."""

    kind: str
    action: str
    name: str
    expected: Fingerprint
    #: Flow YAML, settings map, file content (base64), KV value or secret source.
    payload: Any = None
    diff: str = ""
    warning: str | None = None
    origin: str | None = None


@dataclass
class NamespacePlan:
    """The changes of one namespace (applied together, in one transaction)."""

    namespace: str
    changes: list[Change] = field(default_factory=list)
    #: (kind, name) on the server that the folder does not have and will not delete.
    unmanaged: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class Plan:
    """What `tercel plan` prints and `-o plan.json` saves."""

    server: str
    tenant: str
    environment: str
    folder: str
    prune: bool
    namespaces: list[NamespacePlan] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def changes(self) -> list[Change]:
        """Every change, namespace by namespace."""
        return [c for ns in self.namespaces for c in ns.changes]

    def to_json(self) -> dict[str, Any]:
        """The plan as JSON (no secret value: only where each comes from)."""
        body = asdict(self)
        body["format"] = PLAN_FORMAT
        for namespace in body["namespaces"]:
            namespace["unmanaged"] = [list(u) for u in namespace["unmanaged"]]
        return body

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Plan:
        """Read a saved plan; ValueError when it is not one."""
        if data.get("format") != PLAN_FORMAT:
            raise ValueError(f"not a Tercel plan (expected format `{PLAN_FORMAT}`)")
        plan = cls(
            str(data["server"]),
            str(data["tenant"]),
            str(data["environment"]),
            str(data["folder"]),
            bool(data["prune"]),
            notes=list(data.get("notes") or []),
        )
        for ns in data.get("namespaces") or []:
            plan.namespaces.append(
                NamespacePlan(
                    ns["namespace"],
                    [Change(**change) for change in ns.get("changes") or []],
                    [(kind, name) for kind, name in ns.get("unmanaged") or []],
                    list(ns.get("notes") or []),
                )
            )
        return plan


def to_yaml(value: Any) -> str:
    """A value as block YAML, keys in their order (the form diffs are shown in)."""
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    # Keys keep the folder's order (variables before pluginDefaults), as the user wrote them.
    setattr(yaml, "sort_base_mapping_type_on_output", False)  # noqa: B010 - untyped option
    buffer = io.StringIO()
    yaml.dump(value, buffer)
    return buffer.getvalue()


def unified(before: str, after: str, name: str) -> str:
    """A unified diff from the server's text to the folder's."""
    lines = difflib.unified_diff(
        before.splitlines(keepends=True),
        after.splitlines(keepends=True),
        fromfile=f"server: {name}",
        tofile=f"folder: {name}",
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def _text(content: bytes) -> str | None:
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        return None


def file_diff(before: bytes | None, after: bytes | None, name: str) -> str:
    """A text diff, or a size line for binary files."""
    old, new = _text(before or b""), _text(after or b"")
    if old is None or new is None:
        return f"binary file: {len(before or b'')} -> {len(after or b'')} bytes\n"
    return unified(old, new, name)


def resolve_secret(source: str, root: Path, environ: Mapping[str, str] | None = None) -> str:
    """The value a secret source names; SecretError naming the source when unavailable."""
    env = os.environ if environ is None else environ
    scheme, _, target = source.partition(":")
    if scheme == "env":
        value = env.get(target)
        if not value:
            raise SecretError(f"secret source `{source}`: environment variable {target} is not set")
        return value
    if scheme == "file":
        path = Path(target) if Path(target).is_absolute() else root / target
        try:
            value = path.read_text(encoding="utf-8").rstrip("\n")
        except OSError as error:
            raise SecretError(f"secret source `{source}`: cannot read {path}: {error}") from None
        if not value:
            raise SecretError(f"secret source `{source}`: {path} is empty")
        return value
    raise SecretError(f"secret source `{source}`: expected env:VARIABLE or file:PATH")


def make_plan(
    wanted: list[DesiredNamespace],
    read_state: StateReader,
    *,
    prune: bool,
    root: Path,
    environ: Mapping[str, str] | None = None,
) -> list[NamespacePlan]:
    """Compare every desired namespace with the server's state."""
    plans = []
    for desired in wanted:
        nonce = random_tokens.token_hex(16)
        digests = {
            name: secret_digest(nonce, resolve_secret(source, root, environ))
            for name, source in desired.secrets.items()
        }
        state = read_state(desired.namespace, nonce, digests)
        plans.append(_compare(desired, state, prune=prune))
    return plans


def _compare(desired: DesiredNamespace, state: Mapping[str, Any], *, prune: bool) -> NamespacePlan:
    plan = NamespacePlan(desired.namespace)
    may_delete = prune and desired.managed
    ns = desired.namespace

    def leftover(kind: str, name: str, expected: Fingerprint, diff: str = "") -> None:
        if may_delete:
            plan.changes.append(Change(kind, "delete", name, expected, diff=diff))
        else:
            plan.unmanaged.append((kind, name))

    # -- settings
    server_settings = state.get("settings")
    if desired.settings is not None:
        want = desired.settings
        fingerprint = settings_fingerprint(
            want["description"], want["variables"], want["pluginDefaults"]
        )
        before = ""
        expected = None
        if server_settings is not None:
            expected = server_settings["fingerprint"]
            before = to_yaml(_settings_view(server_settings))
        if expected != fingerprint:
            plan.changes.append(
                Change(
                    "settings",
                    "update" if server_settings is not None else "create",
                    ns,
                    expected,
                    payload=want,
                    diff=unified(before, to_yaml(_settings_view(want)), f"namespace {ns}"),
                )
            )
    elif server_settings is not None:
        leftover(
            "settings",
            ns,
            server_settings["fingerprint"],
            unified(to_yaml(_settings_view(server_settings)), "", f"namespace {ns}"),
        )

    # -- flows
    server_flows = {f["id"]: f for f in state.get("flows") or []}
    created: list[str] = []
    for flow_id, flow in sorted(desired.flows.items()):
        current = server_flows.get(flow_id)
        if current is None:
            created.append(flow_id)
            plan.changes.append(
                Change(
                    "flow",
                    "create",
                    flow_id,
                    None,
                    flow.source,
                    unified("", flow.source, f"{ns}.{flow_id}"),
                    origin=flow.path,
                )
            )
        elif current["source"] != flow.source:
            plan.changes.append(
                Change(
                    "flow",
                    "update",
                    flow_id,
                    current["revision"],
                    flow.source,
                    unified(current["source"], flow.source, f"{ns}.{flow_id}"),
                    origin=flow.path,
                )
            )
    for flow_id, current in sorted(server_flows.items()):
        if flow_id in desired.flows:
            continue
        leftover(
            "flow", flow_id, current["revision"], unified(current["source"], "", f"{ns}.{flow_id}")
        )
        if may_delete:
            change = plan.changes[-1]
            change.warning = (
                f"executions of `{ns}.{flow_id}` stay (readable by id) and keep their revision; "
                "a flow created under another id starts a new history"
            )
            if created:
                change.warning += (
                    f" (if `{flow_id}` was renamed to `{'`, `'.join(created)}`, this is that "
                    "rename: a delete and a create)"
                )

    # -- files
    server_files = {f["path"]: f for f in state.get("files") or []}
    for path, content in sorted(desired.files.items()):
        current = server_files.get(path)
        fingerprint = file_fingerprint(content)
        encoded = base64.b64encode(content).decode()
        if current is None:
            plan.changes.append(
                Change("file", "create", path, None, encoded, file_diff(None, content, path))
            )
        elif current["fingerprint"] != fingerprint:
            stored = base64.b64decode(current["content"])
            plan.changes.append(
                Change(
                    "file",
                    "update",
                    path,
                    current["fingerprint"],
                    encoded,
                    file_diff(stored, content, path),
                )
            )
    for path, current in sorted(server_files.items()):
        if path not in desired.files:
            leftover(
                "file",
                path,
                current["fingerprint"],
                file_diff(base64.b64decode(current["content"]), None, path),
            )

    # -- KV: seeds only
    server_kv = {e["key"]: e for e in state.get("kv") or []}
    for key, value in sorted(desired.kv.items()):
        current = server_kv.get(key)
        stored, kv_type = coerce(value, None)
        if current is None:
            plan.changes.append(
                Change("kv", "create", key, None, value, unified("", to_yaml(stored), f"kv {key}"))
            )
        elif current["fingerprint"] != kv_fingerprint(stored, kv_type):
            plan.notes.append(
                f"kv `{key}` differs on the server and is kept: KV entries are seeded once, "
                "flows may change them"
            )
    for key in sorted(server_kv):
        if key not in desired.kv:
            plan.unmanaged.append(("kv", key))

    # -- secrets: names and sources only
    server_secrets = {s["name"]: s for s in state.get("secrets") or []}
    for name, source in sorted(desired.secrets.items()):
        current = server_secrets.get(name)
        if current is None:
            plan.changes.append(
                Change(
                    "secret", "create", name, None, source, f"(value from {source}, not shown)\n"
                )
            )
        elif not current.get("same", False):
            plan.changes.append(
                Change(
                    "secret",
                    "update",
                    name,
                    current["fingerprint"],
                    source,
                    f"(new value from {source}, not shown)\n",
                )
            )
    for name, current in sorted(server_secrets.items()):
        if name not in desired.secrets:
            leftover("secret", name, current["fingerprint"], "(value not shown)\n")

    plan.changes.sort(key=lambda c: KIND_ORDER.index(c.kind))
    return plan


def _settings_view(settings: Mapping[str, Any]) -> dict[str, Any]:
    view: dict[str, Any] = {}
    if settings.get("description") is not None:
        view["description"] = settings["description"]
    view["variables"] = settings.get("variables") or {}
    view["pluginDefaults"] = settings.get("pluginDefaults") or []
    return view


SYMBOL = {"create": "+", "update": "~", "delete": "-"}


def render(plan: Plan, *, diffs: bool = True) -> str:
    """The plan as a person reads it."""
    out = [
        f"Plan for environment `{plan.environment}` on {plan.server} (tenant {plan.tenant})"
        + (", pruning" if plan.prune else "")
    ]
    for note in plan.notes:
        out.append(f"note: {note}")
    counts = {"create": 0, "update": 0, "delete": 0}
    for ns in plan.namespaces:
        if not ns.changes and not ns.unmanaged and not ns.notes:
            continue
        out.append("")
        out.append(f"namespace {ns.namespace}")
        for change in ns.changes:
            counts[change.action] += 1
            origin = f"  ({change.origin})" if change.origin else ""
            out.append(
                f"  {SYMBOL[change.action]} {change.action} {change.kind} {change.name}{origin}"
            )
            if change.warning:
                out.append(f"    warning: {change.warning}")
            if diffs and change.diff:
                out.extend("      " + line for line in change.diff.rstrip("\n").split("\n"))
        if ns.unmanaged:
            listed = ", ".join(f"{kind} {name}" for kind, name in ns.unmanaged)
            out.append(f"  ? not managed here (on the server, not in the folder): {listed}")
        for note in ns.notes:
            out.append(f"  note: {note}")
    out.append("")
    if not any(counts.values()):
        out.append("No changes: the server matches the folder.")
    else:
        out.append(
            f"Plan: {counts['create']} to create, {counts['update']} to update, "
            f"{counts['delete']} to delete."
        )
    return "\n".join(out)
