"""Which internal-storage files a running execution may read or delete: the one rule.

Templates (`read()`, `fileSize()`, `fileExists()`, `isFileEmpty()`), storage tasks, script
`inputFiles` and ``kestra://`` URIs in commands all ask `ExecutionScope`; the URI is parsed
by `tercel.storage.uri.parse` first, so an encoded form (``%65xecutions``, ``%2F``) is judged
exactly like the plain one. The rule, and how it compares with Kestra, is in
docs/architecture.md §4.6 ("Who may read and delete what").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tercel.errors import InvalidNameError, StorageAccessError
from tercel.storage.uri import (
    EXECUTIONS,
    NAMESPACE_FILES,
    StoragePath,
    execution_path,
    namespace_files_path,
    parse,
)


def _owner(path: StoragePath) -> str | None:
    """The execution id of ``<ns...>/<flow>/executions/<id>/...``, if the path is one.

    Namespace parts and flow slugs are never `executions` (`tercel.storage.uri`), so the
    first such segment after the namespace and flow is the executions folder.
    """
    segments = path.segments
    for index in range(2, len(segments) - 1):
        if segments[index] == EXECUTIONS:
            return segments[index + 1]
    return None


@dataclass(frozen=True, slots=True)
class Upstream:
    """The execution that started this one (a subflow's parent, a Flow trigger's source)."""

    execution_id: str
    namespace: str | None = None
    flow_id: str | None = None

    @classmethod
    def from_trigger(cls, trigger: object) -> Upstream | None:
        """From `trigger.*` variables (`executionId`, `namespace`, `flowId`), if it has one."""
        if not isinstance(trigger, Mapping):
            return None
        execution_id = trigger.get("executionId")
        if not isinstance(execution_id, str) or not execution_id:
            return None
        namespace, flow_id = trigger.get("namespace"), trigger.get("flowId")
        return cls(
            execution_id,
            namespace if isinstance(namespace, str) else None,
            flow_id if isinstance(flow_id, str) else None,
        )

    def owns(self, path: StoragePath) -> bool:
        """Whether `path` lies in this execution's folder."""
        if self.namespace is not None and self.flow_id is not None:
            return path.is_under(execution_path(self.namespace, self.flow_id, self.execution_id))
        # Only the id is known: ``<ns...>/<flow>/executions/<id>/...`` with that id (no
        # namespace part or flow slug is `executions`, so the first one is the folder).
        return _owner(path) == self.execution_id


@dataclass(frozen=True, slots=True)
class ExecutionScope:
    """What one execution may touch in internal storage.

    Read: its own files, its upstream execution's files, and namespace files (``_files``)
    of any namespace. Delete: its own files and its own namespace's files, one file at a
    time. Anything else (another execution's files, caches, state files, folders) is refused.
    """

    namespace: str
    flow_id: str
    execution_id: str
    upstream: tuple[Upstream, ...] = ()

    @classmethod
    def of(
        cls, namespace: str, flow_id: str, execution_id: str, variables: Mapping[str, Any]
    ) -> ExecutionScope:
        """The scope of a task or template with render variables `variables` (`trigger.*`)."""
        upstream = Upstream.from_trigger(variables.get("trigger"))
        return cls(namespace, flow_id, execution_id, (upstream,) if upstream else ())

    def _own(self, path: StoragePath) -> bool:
        return path.is_under(execution_path(self.namespace, self.flow_id, self.execution_id))

    @staticmethod
    def _namespace_file(path: StoragePath) -> bool:
        """A file under some namespace's ``_files`` folder (the namespace name checked)."""
        if NAMESPACE_FILES not in path.segments:
            return False
        index = path.segments.index(NAMESPACE_FILES)
        try:
            root = namespace_files_path(".".join(path.segments[:index]))
        except InvalidNameError:
            return False
        return path.is_under(root) and len(path.segments) > len(root.segments)

    def check_read(self, uri: str) -> str:
        """The canonical URI when this execution may read `uri`; StorageAccessError if not."""
        path = parse(uri)
        if (
            self._own(path)
            or self._namespace_file(path)
            or any(up.owns(path) for up in self.upstream)
        ):
            return path.uri
        owner = _owner(path)
        if owner is not None:
            raise StorageAccessError(
                f"cannot use `{uri}`: it belongs to execution `{owner}`: files of another "
                "execution can only be used by the execution itself or by the ones it triggered"
            )
        raise StorageAccessError(
            f"cannot use `{uri}`: an execution may only use its own files, those of the "
            "execution that triggered it, and namespace files"
        )

    def check_delete(self, uri: str) -> str:
        """The canonical URI when this execution may delete the one file `uri`."""
        path = parse(uri)
        if path.folder:
            raise StorageAccessError(f"cannot delete `{uri}`: a folder cannot be deleted")
        own_files = namespace_files_path(self.namespace)
        if self._own(path) or (
            path.is_under(own_files) and len(path.segments) > len(own_files.segments)
        ):
            return path.uri
        raise StorageAccessError(
            f"cannot delete `{uri}`: an execution may only delete its own files and the "
            f"namespace files of `{self.namespace}`"
        )
