"""The small value types repositories take and return (everything but executions and logs).

Executions, task runs and log entries are `tercel.engine.execution` dataclasses; the records
here are what only the store knows: flow revisions with their YAML, KV entries with their
type and expiry, namespaces, encrypted secrets, trigger state, queued jobs and timers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar

#: The tenant of a single-tenant installation (Kestra OSS uses the same name).
DEFAULT_TENANT = "main"

T = TypeVar("T")


class FlowIdentity(Protocol):
    """What the store needs of a parsed flow: where it lives (`tercel.model.flow.Flow` fits)."""

    @property
    def id(self) -> str: ...

    @property
    def namespace(self) -> str: ...


@dataclass(frozen=True, slots=True)
class FlowRecord:
    """One revision of a flow with its YAML source kept verbatim."""

    tenant: str
    namespace: str
    id: str
    revision: int
    source: str
    deleted: bool
    updated: datetime


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a search, with the total number of matches (pages are 1-based)."""

    items: Sequence[T]
    total: int
    page: int
    size: int


@dataclass(frozen=True, slots=True)
class MetricEntry:
    """A counter or timer a task recorded (Kestra's MetricEntry)."""

    name: str
    type: str
    value: float
    timestamp: datetime
    namespace: str
    flow_id: str
    execution_id: str | None = None
    task_id: str | None = None
    task_run_id: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    tenant_id: str = DEFAULT_TENANT

    def to_wire(self) -> dict[str, Any]:
        """Kestra's MetricEntry JSON."""
        from tercel.engine.execution import format_instant

        return {
            "tenantId": self.tenant_id,
            "namespace": self.namespace,
            "flowId": self.flow_id,
            "executionId": self.execution_id,
            "taskId": self.task_id,
            "taskRunId": self.task_run_id,
            "name": self.name,
            "type": self.type,
            "value": self.value,
            "tags": self.tags,
            "timestamp": format_instant(self.timestamp),
        }


@dataclass(frozen=True, slots=True)
class KVEntry:
    """A key-value entry with its Kestra type (STRING, NUMBER, ..., JSON) and expiry."""

    tenant: str
    namespace: str
    key: str
    value: Any
    type: str
    updated: datetime
    expiration: datetime | None = None
    description: str | None = None


@dataclass(frozen=True, slots=True)
class NamespaceRecord:
    """What is stored about a namespace: description, variables, plugin defaults."""

    tenant: str
    id: str
    description: str | None = None
    variables: dict[str, Any] = field(default_factory=dict)
    plugin_defaults: list[dict[str, Any]] = field(default_factory=list)
    updated: datetime | None = None


@dataclass(frozen=True, slots=True)
class SecretRecord:
    """A stored secret: only ciphertext (nonce + AES-GCM output); never the value."""

    tenant: str
    namespace: str
    name: str
    ciphertext: bytes
    updated: datetime


@dataclass(slots=True)
class TriggerState:
    """The scheduler's memory of one trigger of one flow (Kestra's Trigger JSON)."""

    tenant: str
    namespace: str
    flow_id: str
    trigger_id: str
    #: The last date the trigger fired for.
    date: datetime | None = None
    next_execution_date: datetime | None = None
    execution_id: str | None = None
    disabled: bool = False
    backfill: dict[str, Any] | None = None
    #: Who is evaluating it now (a scheduler id) and until when that lease holds.
    locked_by: str | None = None
    locked_until: datetime | None = None
    updated: datetime | None = None
    #: Free-form state a trigger type keeps between evaluations (e.g. preconditions seen).
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str, str, str]:
        """(tenant, namespace, flow id, trigger id)."""
        return (self.tenant, self.namespace, self.flow_id, self.trigger_id)


@dataclass(frozen=True, slots=True)
class Job:
    """A unit of work in the queue: claimed by one worker at a time, heartbeated, retried."""

    id: int
    kind: str
    payload: dict[str, Any]
    status: str
    tenant: str
    key: str | None
    claimed_by: str | None
    heartbeat: datetime | None
    #: How many times the job was claimed (a requeued job's next claim is attempt 2).
    attempts: int
    created: datetime


@dataclass(frozen=True, slots=True)
class Delay:
    """A timer for an execution: retry delay, pause delay/timeout, schedule date, WaitFor."""

    id: int
    tenant: str
    execution_id: str
    kind: str
    due: datetime
    payload: dict[str, Any]


#: Job statuses.
JOB_QUEUED = "QUEUED"
JOB_RUNNING = "RUNNING"
JOB_DONE = "DONE"
JOB_FAILED = "FAILED"

#: Log levels, lowest first (Kestra writes WARN, Python WARNING: both accepted).
LOG_LEVELS = ("TRACE", "DEBUG", "INFO", "WARN", "ERROR")


def level_number(level: str) -> int:
    """Rank of a log level for `min_level` filters (unknown levels rank as INFO)."""
    name = level.upper()
    if name == "WARNING":
        name = "WARN"
    try:
        return LOG_LEVELS.index(name)
    except ValueError:
        return LOG_LEVELS.index("INFO")


def namespace_matches(namespace: str, prefix: str) -> bool:
    """True when `namespace` is `prefix` or lies under it (`data.sources` under `data`)."""
    return namespace == prefix or namespace.startswith(prefix + ".")


def namespace_hierarchy(namespace: str) -> list[str]:
    """The namespace and its ancestors, root first: ``a.b.c`` → ``[a, a.b, a.b.c]``."""
    parts = namespace.split(".")
    return [".".join(parts[: i + 1]) for i in range(len(parts))]


@dataclass(frozen=True, slots=True)
class TestSuiteRecord:
    """A stored flow unit test (`tercel.flowtests`): its YAML source and what it names."""

    __test__ = False  # not a pytest class, despite the name

    tenant: str
    namespace: str
    id: str
    flow_id: str
    source: str
    disabled: bool = False
    updated: datetime | None = None


@dataclass(frozen=True, slots=True)
class TestRunRecord:
    """One run of a stored test suite: Kestra's `TestSuiteRunResult` as `result`."""

    __test__ = False

    tenant: str
    id: str
    namespace: str
    test_suite_id: str
    flow_id: str
    state: str
    start_date: datetime
    end_date: datetime
    result: dict[str, Any] = field(default_factory=dict)
