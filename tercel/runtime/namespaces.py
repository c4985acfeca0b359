"""The namespace settings an execution sees: ``namespace.*`` in its templates.

Kestra renders ``{{ namespace.slack.webhook }}`` from the variables of the execution's
namespace, parent namespaces merged in (a child's key wins). They come from the store
(``PUT /namespaces/{ns}``) and, for `tercel run --flows DIR`, from the flows-as-code files
``DIR/namespaces/<namespace>.yml`` (architecture §4.5), which win over stored ones.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from tercel.errors import InputError
from tercel.model.names import namespace_problem
from tercel.store.namespaces import merge_hierarchy
from tercel.store.records import NamespaceRecord, namespace_hierarchy

if TYPE_CHECKING:
    from tercel.store.api import Store

#: The folder of namespace files in a flows-as-code folder.
NAMESPACES_DIR = "namespaces"


#: How long a namespace row read from the store is reused (every execution start reads its
#: namespace and each parent: at a hundred starts a second, that was a tenth of the CPU).
CACHE_SECONDS = 1.0


class NamespaceSettings:
    """Effective namespace records: files (when given) over the store's rows.

    Store rows are reused for `CACHE_SECONDS`: another process's change is seen within that
    time, this process's at once when the writer calls `forget` (the API does).
    """

    def __init__(
        self, store: Store | None = None, files: Mapping[str, NamespaceRecord] | None = None
    ) -> None:
        self.store = store
        self.files = dict(files or {})
        self._cache: dict[tuple[str, str], tuple[float, NamespaceRecord | None]] = {}

    def forget(self) -> None:
        """Drop the cached rows (after a namespace was written)."""
        self._cache.clear()

    def effective(self, namespace: str, tenant: str = "main") -> NamespaceRecord:
        """The record of `namespace` with its ancestors merged in (root first, child wins)."""
        chain = [self._find(ns, tenant) for ns in namespace_hierarchy(namespace)]
        return merge_hierarchy(tenant, namespace, chain)

    def variables(self, namespace: str, tenant: str = "main") -> dict[str, Any]:
        """``namespace.*``: the effective variables of `namespace`."""
        return dict(self.effective(namespace, tenant).variables)

    def _find(self, namespace: str, tenant: str) -> NamespaceRecord | None:
        found = self.files.get(namespace)
        if found is None and self.store is not None:
            key = (tenant, namespace)
            now = time.monotonic()
            cached = self._cache.get(key)
            if cached is not None and now - cached[0] < CACHE_SECONDS:
                return cached[1]
            found = self.store.namespaces.find(namespace, tenant=tenant)
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[key] = (now, found)
        return found


def load_namespace_files(folder: Path, tenant: str = "main") -> dict[str, NamespaceRecord]:
    """``folder/namespaces/<namespace>.yml`` files as records (none when the folder is absent).

    Each file is a map of ``description``, ``variables`` and ``pluginDefaults``; an unreadable
    or malformed one is an `InputError` naming the file.
    """
    root = folder / NAMESPACES_DIR
    if not root.is_dir():
        return {}
    records: dict[str, NamespaceRecord] = {}
    for path in sorted([*root.glob("*.yml"), *root.glob("*.yaml")]):
        records[path.stem] = _record(path, tenant)
    return records


def _record(path: Path, tenant: str) -> NamespaceRecord:
    try:
        data: Any = YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8")) or {}
    except (OSError, YAMLError) as error:
        raise InputError(f"cannot read namespace file {path}: {error}") from error
    if not isinstance(data, dict):
        raise InputError(f"namespace file {path}: expected a map of description, variables")
    variables = data.get("variables") or {}
    defaults = data.get("pluginDefaults") or []
    if not isinstance(variables, dict) or not isinstance(defaults, list):
        raise InputError(
            f"namespace file {path}: `variables` must be a map and `pluginDefaults` a list"
        )
    description = data.get("description")
    namespace = str(data.get("id") or path.stem)
    problem = namespace_problem(namespace)
    if problem is not None:
        raise InputError(f"namespace file {path}: {problem}")
    return NamespaceRecord(
        tenant,
        namespace,
        str(description) if description is not None else None,
        variables,
        [dict(d) for d in defaults if isinstance(d, dict)],
    )
