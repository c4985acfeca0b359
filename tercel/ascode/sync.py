"""The server side of flows as code: one namespace's state, and its changes applied at once.

`NamespaceSync.state` answers what a plan compares with; `NamespaceSync.apply` makes a list
of operations in one database transaction after checking that nothing they touch moved
since the plan read it (`StaleStateError`, a 409 listing what moved). Namespace files live
in internal storage, not in the database: they are written last, inside the transaction,
and put back as they were if anything fails, so a failed apply leaves no half state.

Operation (wire JSON)::

    {"kind": "flow|settings|file|kv|secret", "action": "create|update|delete",
     "name": "...", "expected": <fingerprint or null>,
     "source": "<flow YAML>" | "settings": {...} | "content": "<base64>" | "value": ...}
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tercel.ascode.fingerprint import (
    Fingerprint,
    file_fingerprint,
    kv_fingerprint,
    secret_digest,
    settings_fingerprint,
)
from tercel.errors import (
    ConflictError,
    FlowValidationError,
    InvalidNameError,
    Problem,
    SecretError,
    StaleStateError,
)
from tercel.model.loader import validate_source
from tercel.store.kvtypes import coerce, validate_key
from tercel.store.records import NamespaceRecord

if TYPE_CHECKING:
    from tercel.api.files_service import NamespaceFiles
    from tercel.secrets.store import EncryptedSecrets
    from tercel.store.api import Store

KINDS = ("flow", "settings", "file", "kv", "secret")
ACTIONS = ("create", "update", "delete")


@dataclass(frozen=True)
class Operation:
    """One change to one object of a namespace."""

    kind: str
    action: str
    name: str
    expected: Fingerprint
    payload: Any = None

    @classmethod
    def from_wire(cls, data: Mapping[str, Any], index: int) -> Operation:
        """Read and check one operation; InvalidNameError naming `operations[index]`."""
        where = f"operations[{index}]"
        kind, action, name = data.get("kind"), data.get("action"), data.get("name")
        if kind not in KINDS:
            raise InvalidNameError(f"{where}.kind: one of {', '.join(KINDS)}")
        if action not in ACTIONS:
            raise InvalidNameError(f"{where}.action: one of {', '.join(ACTIONS)}")
        if not isinstance(name, str) or not name:
            raise InvalidNameError(f"{where}.name: the object's name is required")
        payload_key = {"flow": "source", "settings": "settings", "file": "content"}.get(
            kind, "value"
        )
        payload = data.get(payload_key)
        if action != "delete" and payload is None:
            raise InvalidNameError(f"{where}.{payload_key}: required to {action} a {kind}")
        expected = data.get("expected")
        if expected is not None and not isinstance(expected, str | int):
            raise InvalidNameError(f"{where}.expected: a fingerprint or null")
        return cls(kind, action, name, expected, payload)


class NamespaceSync:
    """Reads and changes everything flows-as-code manages in one namespace of one tenant."""

    def __init__(
        self,
        store: Store,
        files: NamespaceFiles | None,
        secrets: EncryptedSecrets | None,
    ) -> None:
        self.store = store
        self.files = files
        self.secrets = secrets

    # -- reading ----------------------------------------------------------------------
    def fingerprints(self, tenant: str, namespace: str) -> dict[tuple[str, str], Fingerprint]:
        """(kind, name) -> fingerprint of every object held in exactly `namespace`."""
        found: dict[tuple[str, str], Fingerprint] = {}
        for record in self.store.flows.list(namespace, tenant=tenant):
            if record.namespace == namespace:
                found[("flow", record.id)] = record.revision
        settings = self.store.namespaces.find(namespace, tenant=tenant)
        if settings is not None:
            found[("settings", namespace)] = settings_fingerprint(
                settings.description, settings.variables, settings.plugin_defaults
            )
        for path, content in self._files(namespace).items():
            found[("file", path)] = file_fingerprint(content)
        for entry in self.store.kv.list(namespace, tenant=tenant):
            found[("kv", entry.key)] = kv_fingerprint(entry.value, entry.type)
        for name in self.store.secrets.names(namespace, tenant=tenant):
            secret = self.store.secrets.find(namespace, name, tenant=tenant)
            if secret is not None:
                found[("secret", name)] = secret.updated.isoformat()
        return found

    def _files(self, namespace: str) -> dict[str, bytes]:
        if self.files is None:
            return {}
        return self.files.all_files(namespace)

    def state(
        self,
        tenant: str,
        namespace: str,
        *,
        nonce: str | None = None,
        digests: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """Everything a plan compares with, as JSON. Secrets: names and when they were set;
        with a `nonce` and HMAC `digests` of candidate values, whether each stored value is
        the same (values themselves never leave the server)."""
        flows = [
            {"id": r.id, "revision": r.revision, "source": r.source}
            for r in self.store.flows.list(namespace, tenant=tenant)
            if r.namespace == namespace
        ]
        record = self.store.namespaces.find(namespace, tenant=tenant)
        settings = None
        if record is not None:
            settings = {
                "description": record.description,
                "variables": record.variables,
                "pluginDefaults": record.plugin_defaults,
                "fingerprint": settings_fingerprint(
                    record.description, record.variables, record.plugin_defaults
                ),
            }
        files = [
            {
                "path": path,
                "size": len(content),
                "fingerprint": file_fingerprint(content),
                "content": base64.b64encode(content).decode(),
            }
            for path, content in sorted(self._files(namespace).items())
        ]
        kv = [
            {
                "key": e.key,
                "value": e.value,
                "type": e.type,
                "fingerprint": kv_fingerprint(e.value, e.type),
            }
            for e in self.store.kv.list(namespace, tenant=tenant)
        ]
        secrets = []
        for name in self.store.secrets.names(namespace, tenant=tenant):
            stored = self.store.secrets.find(namespace, name, tenant=tenant)
            if stored is None:
                continue
            entry: dict[str, Any] = {"name": name, "fingerprint": stored.updated.isoformat()}
            if nonce and digests and name in digests and self.secrets is not None:
                value = self.secrets.get(namespace, name, tenant=tenant)
                entry["same"] = value is not None and secret_digest(nonce, value) == digests[name]
            secrets.append(entry)
        return {
            "namespace": namespace,
            "flows": flows,
            "settings": settings,
            "files": files,
            "kv": kv,
            "secrets": secrets,
        }

    # -- applying ---------------------------------------------------------------------
    def apply(
        self, tenant: str, namespace: str, operations: Sequence[Operation]
    ) -> list[dict[str, Any]]:
        """Make every operation or none; StaleStateError when an object moved since the plan."""
        sources = self._check_flows(namespace, operations)
        if any(op.kind == "file" for op in operations) and self.files is None:
            raise ConflictError("this server has no internal storage: files cannot be applied")
        if any(op.kind == "secret" and op.action != "delete" for op in operations) and (
            self.secrets is None or not self.secrets.enabled
        ):
            raise SecretError(
                "secrets cannot be stored without an encryption key on the server "
                "(TERCEL_ENCRYPTION_KEY)"
            )
        undo: list[Callable[[], None]] = []
        results: list[dict[str, Any]] = []
        # Two applies to one namespace take turns (an advisory lock on PostgreSQL, across
        # processes): otherwise both could pass the fingerprint check before either commits.
        with self.store.execution_lock(f"namespace-sync/{tenant}/{namespace}"):
            self._apply_all(tenant, namespace, operations, sources=sources, undo=undo, out=results)
        return results

    def _apply_all(
        self,
        tenant: str,
        namespace: str,
        operations: Sequence[Operation],
        *,
        sources: dict[int, Any],
        undo: list[Callable[[], None]],
        out: list[dict[str, Any]],
    ) -> None:
        try:
            with self.store.transaction():
                self._check_expected(tenant, namespace, operations)
                for index, op in enumerate(operations):
                    if op.kind != "file":
                        out.append(self._apply_one(tenant, namespace, op, sources.get(index)))
                for op in operations:
                    if op.kind == "file":
                        out.append(self._apply_file(namespace, op, undo))
        except BaseException:
            for step in reversed(undo):
                step()
            raise

    def _check_flows(self, namespace: str, operations: Sequence[Operation]) -> dict[int, Any]:
        """Every flow to write is valid and in this namespace (all problems at once)."""
        problems: list[Problem] = []
        parsed: dict[int, Any] = {}
        for index, op in enumerate(operations):
            if op.kind != "flow" or op.action == "delete":
                continue
            path = f"{namespace}/{op.name}"
            results = validate_source(str(op.payload), path) if isinstance(op.payload, str) else []
            if len(results) != 1:
                problems.append(Problem("expected one flow document", path, 1, 1))
                continue
            result = results[0]
            problems.extend(p for p in result.problems if p.severity == "error")
            flow = result.flow
            if result.ok and flow is not None:
                if (flow.namespace, flow.id) != (namespace, op.name):
                    problems.append(
                        Problem(
                            f"the flow is `{flow.namespace}.{flow.id}`, the operation names "
                            f"`{namespace}.{op.name}`",
                            path,
                            1,
                            1,
                        )
                    )
                parsed[index] = flow
        if problems:
            raise FlowValidationError(problems)
        return parsed

    def _check_expected(self, tenant: str, namespace: str, operations: Sequence[Operation]) -> None:
        current = self.fingerprints(tenant, namespace)
        moved: list[dict[str, object]] = []
        for op in operations:
            actual = current.get((op.kind, op.name))
            if actual != op.expected:
                moved.append(
                    {"kind": op.kind, "name": op.name, "expected": op.expected, "actual": actual}
                )
        if moved:
            what = ", ".join(f"{m['kind']} `{m['name']}`" for m in moved)
            raise StaleStateError(
                f"namespace `{namespace}` changed on the server since the plan was made "
                f"({what}): make a new plan",
                moved,
            )

    def _apply_one(self, tenant: str, namespace: str, op: Operation, flow: Any) -> dict[str, Any]:
        result: dict[str, Any] = {"kind": op.kind, "action": op.action, "name": op.name}
        if op.kind == "flow":
            if op.action == "delete":
                record = self.store.flows.delete(namespace, op.name, tenant=tenant)
            else:
                record = self.store.flows.save(str(op.payload), flow, tenant=tenant)
            result["revision"] = record.revision
        elif op.kind == "settings":
            if op.action == "delete":
                self.store.namespaces.delete(namespace, tenant=tenant)
            else:
                body = op.payload if isinstance(op.payload, dict) else {}
                variables, defaults = body.get("variables") or {}, body.get("pluginDefaults") or []
                if not isinstance(variables, dict) or not isinstance(defaults, list):
                    raise InvalidNameError(
                        "settings: variables must be a map, pluginDefaults a list"
                    )
                description = body.get("description")
                self.store.namespaces.put(
                    NamespaceRecord(
                        tenant,
                        namespace,
                        description if isinstance(description, str) else None,
                        variables,
                        defaults,
                    )
                )
        elif op.kind == "kv":
            if op.action == "delete":
                self.store.kv.delete(namespace, op.name, tenant=tenant)
            else:
                validate_key(op.name)
                value, kv_type = coerce(op.payload, None)
                self.store.kv.set(namespace, op.name, value, kv_type=kv_type, tenant=tenant)
        elif op.kind == "secret":
            name = op.name.upper()
            if op.action == "delete":
                self.store.secrets.delete(namespace, name, tenant=tenant)
            else:
                assert self.secrets is not None
                if not isinstance(op.payload, str) or not op.payload:
                    raise InvalidNameError(f"secret `{name}`: the value must be non-empty text")
                self.secrets.set(namespace, name, op.payload, tenant=tenant)
        return result

    def _apply_file(
        self, namespace: str, op: Operation, undo: list[Callable[[], None]]
    ) -> dict[str, Any]:
        assert self.files is not None
        files = self.files
        previous = files.find(namespace, op.name)

        def restore() -> None:
            if previous is None:
                files.remove_quietly(namespace, op.name)
            else:
                files.write(namespace, op.name, previous)

        undo.append(restore)
        if op.action == "delete":
            files.delete(namespace, op.name)
        else:
            try:
                content = base64.b64decode(str(op.payload), validate=True)
            except ValueError:
                raise InvalidNameError(f"file `{op.name}`: content must be base64") from None
            files.write(namespace, op.name, content)
        return {"kind": "file", "action": op.action, "name": op.name}
