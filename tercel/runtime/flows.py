"""Where the runtime finds the flows that subflows name: a folder, the store, or a dict."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from tercel.errors import FlowValidationError, NotFoundError

if TYPE_CHECKING:
    from tercel.errors import Problem
    from tercel.model.flow import Flow
    from tercel.store.api import Store


class FlowResolver(Protocol):
    """Finds a flow by namespace and id (and revision)."""

    def resolve(
        self, namespace: str, flow_id: str, revision: int | None = None, tenant: str = "main"
    ) -> Flow:
        """The flow, or NotFoundError naming what is missing."""


#: Top-level folders of a flows-as-code folder that hold no flows (docs/flows-as-code.md).
NOT_FLOWS = frozenset({"namespaces", "files", "environments"})


def _not_found(namespace: str, flow_id: str) -> NotFoundError:
    return NotFoundError(f"flow `{namespace}.{flow_id}` not found")


class FlowSet:
    """Flows held in memory, keyed by (namespace, id); the latest one added wins."""

    def __init__(self, flows: Iterable[Flow] = ()) -> None:
        self._flows: dict[tuple[str, str], Flow] = {}
        for flow in flows:
            self.add(flow)

    def add(self, flow: Flow) -> None:
        """Make `flow` resolvable."""
        self._flows[(flow.namespace, flow.id)] = flow

    def all(self) -> list[Flow]:
        """Every flow held."""
        return list(self._flows.values())

    def __len__(self) -> int:
        return len(self._flows)

    def resolve(
        self, namespace: str, flow_id: str, revision: int | None = None, tenant: str = "main"
    ) -> Flow:
        """The flow, or NotFoundError."""
        try:
            return self._flows[(namespace, flow_id)]
        except KeyError:
            raise _not_found(namespace, flow_id) from None


def load_flow_dir(path: Path, on_invalid: Callable[[list[Problem]], None] | None = None) -> FlowSet:
    """Every valid flow under `path`; invalid documents are reported and skipped."""
    from tercel.flowtests.loader import is_test_source
    from tercel.model.loader import validate_source

    found = FlowSet()
    files = (
        [path]
        if path.is_file()
        else sorted(
            p
            for p in path.rglob("*")
            if p.suffix in (".yml", ".yaml")
            and p.is_file()
            # Flows-as-code layout (architecture §4.5): namespace settings and namespace
            # files live beside the flows and are not flows.
            and p.relative_to(path).parts[0] not in NOT_FLOWS
        )
    )
    for file in files:
        try:
            source = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        if is_test_source(source):
            continue  # a flow unit test (`tercel test`), not a flow
        for result in validate_source(source, str(file)):
            if result.ok and result.flow is not None:
                found.add(result.flow)
            elif on_invalid is not None and result.problems:
                on_invalid(result.problems)
    return found


class StoreFlows:
    """Flows saved in the store, parsed on demand (parsed revisions are cached)."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._cache: dict[tuple[str, str, str, int], Flow] = {}

    def resolve(
        self, namespace: str, flow_id: str, revision: int | None = None, tenant: str = "main"
    ) -> Flow:
        """The flow, or NotFoundError."""
        from tercel.model.loader import load_flow

        record = self._store.flows.find(namespace, flow_id, revision, tenant=tenant)
        if record is None:
            raise _not_found(namespace, flow_id)
        key = (tenant, namespace, flow_id, record.revision)
        flow = self._cache.get(key)
        if flow is None:
            try:
                flow = load_flow(record.source, f"{namespace}/{flow_id}")
            except FlowValidationError as error:
                raise NotFoundError(
                    f"flow `{namespace}.{flow_id}` revision {record.revision} is invalid: {error}"
                ) from error
            flow = flow.model_copy(update={"revision": record.revision})
            self._cache[key] = flow
        return flow


class ChainedFlows:
    """Tries resolvers in order (e.g. `--flows` folder first, then the store)."""

    def __init__(self, *resolvers: FlowResolver) -> None:
        self._resolvers = resolvers

    def resolve(
        self, namespace: str, flow_id: str, revision: int | None = None, tenant: str = "main"
    ) -> Flow:
        """The first resolver's flow that exists, or NotFoundError."""
        for resolver in self._resolvers:
            try:
                return resolver.resolve(namespace, flow_id, revision, tenant)
            except NotFoundError:
                continue
        raise _not_found(namespace, flow_id)
