"""What every router needs: the store, the settings, storage, secrets and the runtime.

Routers read it from ``request.app.state.ctx`` through the `get_ctx` dependency, so that
a test can build an app on an in-memory store and a real server on SQLite with the same code.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, Protocol

from fastapi import Depends, Request

from tercel.api.ratelimit import FailureLimiter
from tercel.config import Settings
from tercel.errors import ConflictError
from tercel.secrets.masking import SecretMasker
from tercel.storage.tenant import tenant_storage
from tercel.store.records import DEFAULT_TENANT

if TYPE_CHECKING:
    from collections.abc import Mapping

    from tercel.engine.execution import Execution, ExecutionTrigger, Label
    from tercel.model.flow import Flow
    from tercel.secrets.store import EncryptedSecrets
    from tercel.storage.api import InternalStorage
    from tercel.store.api import Store
    from tercel.store.records import FlowRecord, NamespaceRecord, TriggerState


class ExecutionRuntime(Protocol):
    """The part of the runtime the executions API drives (`tercel.server.ServerRuntime`)."""

    async def start(
        self,
        flow: Flow,
        inputs: Mapping[str, Any],
        labels: list[Label],
        *,
        execution_id: str,
        tenant: str,
        trigger: ExecutionTrigger | None = None,
    ) -> Execution:
        """Create an execution with typed inputs (InputError when wrong) and start it."""

    async def wait(self, execution_id: str, timeout: float | None = None) -> Execution:
        """Wait until the execution is terminated (or paused for good) and return it."""

    async def kill(self, execution_id: str) -> None:
        """Kill a running or paused execution (its subflows too)."""

    async def resume(self, execution_id: str, inputs: Mapping[str, Any]) -> None:
        """Resume a paused execution with its `onResume` inputs."""

    async def restart(self, execution_id: str) -> Execution:
        """Restart a failed execution from its failed task runs."""

    async def replay(self, execution_id: str, task_run_id: str | None) -> Execution:
        """A new execution replaying this one from a task run."""


#: How long a cached flow or namespace read is reused.
CACHE_SECONDS = 1.0
CACHE_ENTRIES = 10_000


@dataclass
class ApiContext:
    """The dependencies of the API, built once per application."""

    store: Store
    settings: Settings
    storage: InternalStorage | None = None
    runtime: ExecutionRuntime | None = None
    #: Stored secrets (encrypted); `enabled` is False without an encryption key.
    secrets: EncryptedSecrets | None = None
    #: (tenant, namespace, NAME) -> value: the runtime's secrets (webhook keys use them).
    secret_lookup: Callable[[str, str, str], str] | None = None
    #: Wrong webhook keys per client address (`tercel.api.ratelimit`).
    webhook_failures: FailureLimiter = field(default_factory=lambda: FailureLimiter(20))
    #: The runtime's secret values: masked in every execution the API shows.
    masker: SecretMasker = field(default_factory=SecretMasker)
    #: What `GET /health` adds about this process (role, id, what it waits for).
    health: Callable[[], dict[str, Any]] | None = None
    #: Called after a flow is created, updated or deleted (trigger indexes refresh).
    flow_listeners: list[Callable[[], None]] = field(default_factory=list)
    #: Called after a namespace's settings changed (the runtime's cached copies).
    namespace_listeners: list[Callable[[], None]] = field(default_factory=list)

    #: Hot-path reads (webhooks, execution starts) reused for `CACHE_SECONDS`.
    _cache: dict[tuple[Any, ...], tuple[float, Any]] = field(default_factory=dict)

    def shown(self, value: Any) -> Any:
        """A JSON value as the API shows it: secret values and encrypted strings masked."""
        return self.masker.mask_value(value)

    def flows_changed(self) -> None:
        """Tell the listeners that the stored flows changed."""
        self._cache.clear()
        for listener in self.flow_listeners:
            listener()

    def namespaces_changed(self) -> None:
        """Forget cached namespace settings, here and in the listeners."""
        self._cache.clear()
        for listener in self.namespace_listeners:
            listener()

    def triggers_changed(self) -> None:
        """Forget cached trigger states (a trigger was enabled, disabled or unlocked)."""
        self._cache.clear()

    def trigger_state(
        self, tenant: str, namespace: str, flow_id: str, trigger_id: str
    ) -> TriggerState | None:
        """A trigger's stored state, or None (cached like `current_flow`)."""
        state: TriggerState | None = self._cached(
            ("trigger", tenant, namespace, flow_id, trigger_id),
            lambda: self.store.triggers.find(namespace, flow_id, trigger_id, tenant=tenant),
        )
        return state

    def current_flow(self, tenant: str, namespace: str, flow_id: str) -> FlowRecord | None:
        """The current revision of a flow, or None (cached briefly: other processes'
        changes are seen within `CACHE_SECONDS`, this process's at once)."""
        record: FlowRecord | None = self._cached(
            ("flow", tenant, namespace, flow_id),
            lambda: self.store.flows.find(namespace, flow_id, tenant=tenant),
        )
        return record

    def effective_namespace(self, tenant: str, namespace: str) -> NamespaceRecord:
        """A namespace's settings merged down its hierarchy (cached like `current_flow`)."""
        record: NamespaceRecord = self._cached(
            ("namespace", tenant, namespace),
            lambda: self.store.namespaces.effective(namespace, tenant=tenant),
        )
        return record

    def _cached(self, key: tuple[Any, ...], load: Callable[[], Any]) -> Any:
        now = time.monotonic()
        hit = self._cache.get(key)
        if hit is not None and now - hit[0] < CACHE_SECONDS:
            return hit[1]
        if len(self._cache) > CACHE_ENTRIES:
            self._cache.clear()
        value = load()
        self._cache[key] = (now, value)
        return value

    def require_runtime(self) -> ExecutionRuntime:
        """The runtime, or a 409 saying this server does not run executions."""
        if self.runtime is None:
            raise ConflictError("this server runs no executor: executions cannot be started")
        return self.runtime

    def require_storage(self, tenant: str = DEFAULT_TENANT) -> InternalStorage:
        """`tenant`'s view of internal storage, or a 409 saying none is configured."""
        if self.storage is None:
            raise ConflictError("this server has no internal storage configured")
        return tenant_storage(self.storage, tenant)


async def get_ctx(request: Request) -> ApiContext:
    """FastAPI dependency: the application's `ApiContext`.

    A coroutine so that FastAPI calls it inline: a plain function dependency is run in a
    worker thread on every request (a thread hop that cost ~5% of a webhook's CPU).
    """
    ctx: ApiContext = request.app.state.ctx
    return ctx


#: Route parameter type that injects the `ApiContext`.
Ctx = Annotated[ApiContext, Depends(get_ctx)]
