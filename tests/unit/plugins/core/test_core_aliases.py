"""Every legacy type name of Kestra §4.0 for the core runnable tasks resolves to its class."""

from __future__ import annotations

import pytest

from tercel.model.registry import Category, registry
from tercel.plugins.context import RunnableTask

ALIASES = {
    "io.kestra.core.tasks.log.Log": "io.kestra.plugin.core.log.Log",
    "io.kestra.core.tasks.log.Fetch": "io.kestra.plugin.core.log.Fetch",
    "io.kestra.core.tasks.debugs.Return": "io.kestra.plugin.core.debug.Return",
    "io.kestra.core.tasks.debugs.Echo": "io.kestra.plugin.core.debug.Echo",
    "io.kestra.core.tasks.executions.Fail": "io.kestra.plugin.core.execution.Fail",
    "io.kestra.core.tasks.executions.Labels": "io.kestra.plugin.core.execution.Labels",
    "io.kestra.core.tasks.executions.Counts": "io.kestra.plugin.core.execution.Count",
    "io.kestra.core.tasks.storages.Size": "io.kestra.plugin.core.storage.Size",
    "io.kestra.core.tasks.storages.Delete": "io.kestra.plugin.core.storage.Delete",
    "io.kestra.core.tasks.storages.Concat": "io.kestra.plugin.core.storage.Concat",
    "io.kestra.core.tasks.storages.DeduplicateItems": (
        "io.kestra.plugin.core.storage.DeduplicateItems"
    ),
    "io.kestra.core.tasks.storages.FilterItems": "io.kestra.plugin.core.storage.FilterItems",
    "io.kestra.core.tasks.storages.Reverse": "io.kestra.plugin.core.storage.Reverse",
    "io.kestra.core.tasks.storages.Split": "io.kestra.plugin.core.storage.Split",
    "io.kestra.core.tasks.storages.LocalFiles": "io.kestra.plugin.core.storage.LocalFiles",
    "io.kestra.core.tasks.storages.PurgeExecution": (
        "io.kestra.plugin.core.storage.PurgeCurrentExecutionFiles"
    ),
    "io.kestra.core.tasks.storages.Purge": "io.kestra.plugin.core.execution.PurgeExecutions",
    "io.kestra.core.tasks.states.Get": "io.kestra.plugin.core.state.Get",
    "io.kestra.core.tasks.states.Set": "io.kestra.plugin.core.state.Set",
    "io.kestra.core.tasks.states.Delete": "io.kestra.plugin.core.state.Delete",
    "io.kestra.core.tasks.templating.TemplatedTask": (
        "io.kestra.plugin.core.templating.TemplatedTask"
    ),
}

CANONICAL = [
    "io.kestra.plugin.core.log.PurgeLogs",
    "io.kestra.plugin.core.output.OutputValues",
    "io.kestra.plugin.core.execution.Resume",
    "io.kestra.plugin.core.execution.PurgeExecutions",
    "io.kestra.plugin.core.execution.Exit",
    "io.kestra.plugin.core.kv.Set",
    "io.kestra.plugin.core.kv.Get",
    "io.kestra.plugin.core.kv.GetKeys",
    "io.kestra.plugin.core.kv.Delete",
    "io.kestra.plugin.core.namespace.UploadFiles",
    "io.kestra.plugin.core.namespace.DownloadFiles",
    "io.kestra.plugin.core.namespace.DeleteFiles",
    *ALIASES.values(),
]


@pytest.mark.parametrize(("alias", "canonical"), sorted(ALIASES.items()))
def test_legacy_name_resolves_to_the_canonical_task(alias: str, canonical: str) -> None:
    found = registry.get(alias)
    assert found is not None
    assert found.name == canonical


@pytest.mark.parametrize("name", sorted(set(CANONICAL)))
def test_every_core_runnable_task_is_registered_and_implements_run(name: str) -> None:
    found = registry.get(name)
    assert found is not None
    assert found.category is Category.TASK
    assert issubclass(found.cls, RunnableTask)
    assert found.cls.runnable
    assert "run" in {
        attr for klass in found.cls.__mro__ if klass is not RunnableTask for attr in vars(klass)
    }
