"""One registry of every task, trigger, condition and task-runner type.

A plugin module declares its types with `@plugin("io.kestra...Name", aliases=...)`; the
registry maps canonical names and legacy aliases to the model class. Third-party packages
expose a `register()` callable in the entry-point group ``tercel.plugins``; it is called once,
the first time the registry is used.
"""

from __future__ import annotations

import importlib.metadata
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TypeVar

from pydantic import BaseModel

from tercel.model import plugin_index

ENTRY_POINT_GROUP = "tercel.plugins"


class Category(StrEnum):
    """What a registered type is used as in a flow."""

    TASK = "task"
    TRIGGER = "trigger"
    CONDITION = "condition"
    TASK_RUNNER = "task_runner"


@dataclass(frozen=True, slots=True)
class PluginInfo:
    """A registered type: its canonical name, class, category and legacy aliases."""

    name: str
    cls: type[BaseModel]
    category: Category
    aliases: tuple[str, ...] = ()


@dataclass
class Registry:
    """Maps type names (canonical or alias) to `PluginInfo`.

    Looking a name up imports only the module that registers it when the plugin index
    (`tercel.model.plugin_index`) knows it; listing every type imports every plugin.
    """

    _by_name: dict[str, PluginInfo] = field(default_factory=dict)
    _canonical: dict[str, PluginInfo] = field(default_factory=dict)
    _loaded: bool = False
    _loading: bool = False
    _index: plugin_index.Index | None = None
    _index_key: str | None = None
    # Threads of a server validate flows concurrently from the start: one loads the plugins,
    # the others wait (they would see a half-filled registry and call a type unknown).
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False, compare=False)

    def register(self, info: PluginInfo) -> None:
        """Register a type under its canonical name and every alias."""
        self._canonical[info.name] = info
        for name in (info.name, *info.aliases):
            self._by_name[name] = info

    def _entry_points(self) -> list[importlib.metadata.EntryPoint]:
        return list(importlib.metadata.entry_points(group=ENTRY_POINT_GROUP))

    def _ensure_loaded(self) -> None:
        if self._loaded:
            return
        with self._lock:
            if self._loaded or self._loading:  # done, or this thread is loading (re-entry)
                return
            self._loading = True
            try:
                entry_points = self._entry_points()
                for entry_point in entry_points:
                    register = entry_point.load()
                    register()
                # The core plugins are always there, even when the package is not installed
                # (e.g. running from a source checkout without `pip install -e .`).
                from tercel.plugins import core

                core.register()
            finally:
                self._loading = False
                self._loaded = True
            key = self._index_key or plugin_index.fingerprint(entry_points)
            covered = plugin_index.packages(entry_points)
            index = {
                name: info.cls.__module__
                for name, info in self._by_name.items()
                if plugin_index.covers(info.cls.__module__, covered)
            }
            plugin_index.save(key, index)

    def _lookup_lazily(self, type_name: str) -> PluginInfo | None:
        """Import just the module the index names for `type_name`; None if it cannot.

        Python's import lock makes a thread that imports a module another thread is
        importing wait for it, so the module's types are registered when this returns.
        """
        with self._lock:
            if self._index is None:
                self._index_key = plugin_index.fingerprint(self._entry_points())
                self._index = plugin_index.load(self._index_key) or {}
            module = self._index.get(type_name)
        if module is None:
            return None
        try:
            importlib.import_module(module)
        except ImportError:
            return None
        return self._by_name.get(type_name)

    def get(self, type_name: str) -> PluginInfo | None:
        """Return the type registered under `type_name` (canonical or alias), if any."""
        found = self._by_name.get(type_name)
        if found is not None or self._loaded:
            return found
        found = self._lookup_lazily(type_name)
        if found is not None:
            return found
        self._ensure_loaded()
        return self._by_name.get(type_name)

    def names(self, category: Category | None = None) -> list[str]:
        """Every canonical name, optionally of one category, sorted."""
        self._ensure_loaded()
        return sorted(
            name
            for name, info in self._canonical.items()
            if category is None or info.category is category
        )

    def all_names(self) -> list[str]:
        """Canonical names and aliases, for "did you mean" hints."""
        self._ensure_loaded()
        return sorted(self._by_name)

    def __iter__(self) -> Iterator[PluginInfo]:
        self._ensure_loaded()
        return iter(list(self._canonical.values()))


registry = Registry()

ModelT = TypeVar("ModelT", bound=type[BaseModel])


def plugin(
    type_name: str, *, category: Category = Category.TASK, aliases: tuple[str, ...] = ()
) -> Callable[[ModelT], ModelT]:
    """Class decorator: register a model class as the type `type_name`."""

    def decorate(cls: ModelT) -> ModelT:
        registry.register(PluginInfo(type_name, cls, category, aliases))
        return cls

    return decorate
