"""`TenantStorage`: one tenant's view of internal storage.

URIs stay as Kestra writes them (``kestra:///<ns>/<flow>/executions/...``, no tenant in
them), so the same URI names a different file in each tenant. The default tenant keeps the
storage root (installs from before tenants keep their files); every other tenant lives under
``.tenants/<tenant>/``, a folder no namespace can name, and which the default tenant's view
refuses, so no URI of one tenant reaches another tenant's files.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from tercel.errors import InvalidNameError
from tercel.storage.uri import from_path, to_path
from tercel.store.records import DEFAULT_TENANT

if TYPE_CHECKING:
    from tercel.plugins.context import InternalStorage

#: The folder of the tenants other than the default one, at the storage root.
TENANTS_FOLDER = ".tenants"


class TenantStorage:
    """`InternalStorage` restricted to one tenant (see the module docstring)."""

    def __init__(self, storage: InternalStorage, tenant: str) -> None:
        self.inner = storage
        self.tenant = tenant
        self._prefix = "" if tenant == DEFAULT_TENANT else f"{TENANTS_FOLDER}/{tenant}/"

    def _inner_uri(self, uri: str) -> str:
        path = to_path(uri)
        if path.split("/", 1)[0] == TENANTS_FOLDER:
            raise InvalidNameError(f"internal storage URI names a reserved folder: {uri!r}")
        return from_path(self._prefix + path) if self._prefix else uri

    def _outer_uri(self, uri: str) -> str:
        return from_path(to_path(uri)[len(self._prefix) :]) if self._prefix else uri

    def put(self, uri: str, source: Path | bytes) -> str:
        """Store bytes (or a local file's content) at `uri`; return the URI."""
        self.inner.put(self._inner_uri(uri), source)
        return uri

    def get(self, uri: str) -> bytes:
        """Whole content (NotFoundError if absent)."""
        return self.inner.get(self._inner_uri(uri))

    def local_path(self, uri: str) -> Path:
        """A local path to read the file from."""
        return self.inner.local_path(self._inner_uri(uri))

    def exists(self, uri: str) -> bool:
        """Whether something is stored at `uri`."""
        return self.inner.exists(self._inner_uri(uri))

    def size(self, uri: str) -> int:
        """Size in bytes."""
        return self.inner.size(self._inner_uri(uri))

    def delete(self, uri: str) -> bool:
        """Delete a file or a folder's files; True when something was deleted."""
        if not self._prefix and not to_path(uri).strip("/"):
            return False  # the default tenant's root holds the other tenants' folder
        return self.inner.delete(self._inner_uri(uri))

    def list(self, prefix_uri: str) -> list[str]:
        """URIs stored under a prefix, sorted (never another tenant's)."""
        found = self.inner.list(self._inner_uri(prefix_uri))
        if not self._prefix:
            return [u for u in found if to_path(u).split("/", 1)[0] != TENANTS_FOLDER]
        return [self._outer_uri(u) for u in found]


def tenant_storage(storage: InternalStorage, tenant: str) -> InternalStorage:
    """`storage` as `tenant` sees it (a view is not wrapped twice)."""
    if isinstance(storage, TenantStorage):
        if storage.tenant == tenant:
            return storage
        storage = storage.inner
    return TenantStorage(storage, tenant)


def drop_tenant_files(storage: InternalStorage, tenant: str) -> None:
    """Delete every file of a (deleted) tenant other than the default one."""
    if tenant != DEFAULT_TENANT:
        inner = storage.inner if isinstance(storage, TenantStorage) else storage
        inner.delete(from_path(f"{TENANTS_FOLDER}/{tenant}/"))
