"""Creating executions for triggers, and finding the flows that have a kind of trigger."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any, TypeVar

from tercel.engine.execution import Execution, ExecutionTrigger, Label
from tercel.errors import FlowValidationError
from tercel.ids import short_id
from tercel.model.defaults import PluginDefaultEntry
from tercel.model.flow import Flow
from tercel.model.loader import load_flow
from tercel.model.trigger import Trigger

if TYPE_CHECKING:
    from tercel.server import ServerRuntime
    from tercel.store.api import Store

_log = logging.getLogger(__name__)
T = TypeVar("T", bound=Trigger)

#: How long the list of triggered flows is reused before the store is read again.
INDEX_SECONDS = 1.0


@dataclass(frozen=True, slots=True)
class Triggered:
    """One trigger of one flow of one tenant."""

    tenant: str
    flow: Flow
    trigger: Trigger


@lru_cache(maxsize=256)
def parse_with_defaults(source: str, path: str, revision: int, defaults: str) -> Flow:
    """A flow with extra plugin defaults (JSON list of ``{type, values, forced}``) applied."""
    entries = [
        PluginDefaultEntry(
            str(item.get("type", "")), dict(item.get("values") or {}), bool(item.get("forced"))
        )
        for item in json.loads(defaults)
    ]
    flow = load_flow(source, path, extra_defaults=entries)
    return flow.model_copy(update={"revision": revision})


def defaults_key(plugin_defaults: list[dict[str, Any]]) -> str:
    """Namespace plugin defaults as the cache key `parse_with_defaults` takes."""
    return json.dumps(plugin_defaults, sort_keys=True, default=str)


class TriggerIndex:
    """Current flows with their triggers, parsed once per revision, refreshed each second."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._parsed: dict[tuple[str, str, str, int], Flow | None] = {}
        self._sources: dict[tuple[str, str, str], tuple[str, int]] = {}
        self._items: list[Triggered] = []
        self._loaded_at = -1.0

    def executable(self, tenant: str, flow: Flow) -> Flow:
        """`flow` as an execution runs it: with its namespaces' `pluginDefaults` applied."""
        effective = self.store.namespaces.effective(flow.namespace, tenant=tenant)
        found = self._sources.get((tenant, flow.namespace, flow.id))
        if not effective.plugin_defaults or found is None:
            return flow
        source, revision = found
        return parse_with_defaults(
            source,
            f"{flow.namespace}/{flow.id}",
            revision,
            defaults_key(effective.plugin_defaults),
        )

    def invalidate(self) -> None:
        """Read the store again at the next use (flows changed)."""
        self._loaded_at = -1.0

    def refresh(self, *, force: bool = False) -> list[Triggered]:
        """Every (tenant, flow, trigger), re-read from the store at most once a second."""
        now = time.monotonic()
        if not force and self._loaded_at >= 0 and now - self._loaded_at < INDEX_SECONDS:
            return self._items
        items: list[Triggered] = []
        sources: dict[tuple[str, str, str], tuple[str, int]] = {}
        for record in self.store.flows.list(None, tenant=None):
            sources[(record.tenant, record.namespace, record.id)] = (record.source, record.revision)
            key = (record.tenant, record.namespace, record.id, record.revision)
            if key not in self._parsed:
                try:
                    flow = load_flow(record.source, f"{record.namespace}/{record.id}")
                    self._parsed[key] = flow.model_copy(update={"revision": record.revision})
                except FlowValidationError:
                    _log.warning("stored flow %s.%s is invalid", record.namespace, record.id)
                    self._parsed[key] = None
            flow_ = self._parsed[key]
            if flow_ is None or flow_.disabled:
                continue
            items.extend(Triggered(record.tenant, flow_, t) for t in flow_.triggers)
        self._items = items
        self._sources = sources
        self._loaded_at = now
        return items

    def of_type(self, cls: type[T]) -> list[tuple[str, Flow, T]]:
        """The enabled triggers of one class."""
        return [
            (item.tenant, item.flow, item.trigger)
            for item in self.refresh()
            if isinstance(item.trigger, cls) and not item.trigger.disabled
        ]


def render_inputs(trigger: Trigger, context: Mapping[str, Any]) -> dict[str, Any]:
    """The trigger's `inputs`, rendered (flow defaults are applied when typed)."""
    if not trigger.inputs:
        return {}
    from tercel.templating import render_value

    rendered = render_value(dict(trigger.inputs), context)
    return dict(rendered) if isinstance(rendered, Mapping) else {}


def launch(
    runtime: ServerRuntime,
    tenant: str,
    flow: Flow,
    trigger: Trigger,
    variables: Mapping[str, Any],
    *,
    context: Mapping[str, Any] | None = None,
    schedule_date: datetime | None = None,
    extra_inputs: Mapping[str, Any] | None = None,
    extra_labels: Mapping[str, str] | None = None,
    require_inputs: bool = True,
) -> Execution:
    """Create and start an execution of `flow` for `trigger` (`trigger.*` = `variables`).

    `extra_inputs` and `extra_labels` (a backfill's) win over the trigger's own.
    `require_inputs` false starts it even when a required input has no value.
    """
    render_context = {"trigger": dict(variables), **(context or {})}
    inputs = {**render_inputs(trigger, render_context), **(extra_inputs or {})}
    merged = {**{k: str(v) for k, v in trigger.labels.items()}, **(extra_labels or {})}
    labels = [Label(key, value) for key, value in merged.items()]
    return runtime.start_now(
        flow,
        inputs,
        labels,
        execution_id=short_id(),
        tenant=tenant,
        trigger=ExecutionTrigger(trigger.id, trigger.type, dict(variables)),
        schedule_date=schedule_date,
        require_inputs=require_inputs,
    )
