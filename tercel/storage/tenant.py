"""`TenantStorage`: one tenant's view of internal storage.

URIs stay as Kestra writes them (``kestra:///<ns>/<flow>/executions/...``, no tenant in
them), so the same URI names a different file in each tenant. The default tenant keeps the
storage root (installs from before tenants keep their files); every other tenant lives under
``.tenants/<tenant>/``, a folder no namespace can name, and which the default tenant's view
refuses, so no URI of one tenant reaches another tenant's files.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, BinaryIO

from tercel.errors import InvalidNameError
from tercel.storage.uri import StoragePath, parse
from tercel.store.records import DEFAULT_TENANT

if TYPE_CHECKING:
    from pathlib import Path

    from tercel.storage.api import InternalStorage

#: The folder of the tenants other than the default one, at the storage root.
TENANTS_FOLDER = ".tenants"


class TenantStorage:
    """`InternalStorage` restricted to one tenant (see the module docstring)."""

    def __init__(self, storage: InternalStorage, tenant: str) -> None:
        self.inner = storage
        self.tenant = tenant
        self._prefix: tuple[str, ...] = () if tenant == DEFAULT_TENANT else (TENANTS_FOLDER, tenant)

    @property
    def location(self) -> str:
        """Where the files live (the backend's location)."""
        return self.inner.location

    def check(self) -> None:
        """The backend's start-up probe."""
        self.inner.check()

    def _inner_uri(self, uri: str) -> str:
        parsed = parse(uri)
        if parsed.segments[:1] == (TENANTS_FOLDER,):
            raise InvalidNameError(f"internal storage URI names a reserved folder: {uri!r}")
        return StoragePath(self._prefix + parsed.segments, folder=parsed.folder).uri

    def _outer_uri(self, uri: str) -> str:
        parsed = parse(uri)
        return StoragePath(parsed.segments[len(self._prefix) :], folder=parsed.folder).uri

    def put(self, uri: str, source: Path | bytes | BinaryIO) -> str:
        """Store bytes, a local file's content or a stream at `uri`; return its URI."""
        return self._outer_uri(self.inner.put(self._inner_uri(uri), source))

    def get(self, uri: str) -> bytes:
        """Whole content (NotFoundError if absent)."""
        return self.inner.get(self._inner_uri(uri))

    def open(self, uri: str) -> BinaryIO:
        """A binary stream of the content (NotFoundError if absent)."""
        return self.inner.open(self._inner_uri(uri))

    def download(self, uri: str, target: Path) -> Path:
        """Copy the file to local `target`, streamed."""
        return self.inner.download(self._inner_uri(uri), target)

    def exists(self, uri: str) -> bool:
        """Whether a file is stored at `uri`."""
        return self.inner.exists(self._inner_uri(uri))

    def size(self, uri: str) -> int:
        """Size in bytes."""
        return self.inner.size(self._inner_uri(uri))

    def modified(self, uri: str) -> float:
        """Last modification, seconds since the epoch."""
        return self.inner.modified(self._inner_uri(uri))

    def delete(self, uri: str) -> bool:
        """Delete one file; True when it existed."""
        return self.inner.delete(self._inner_uri(uri))

    def delete_prefix(self, uri: str) -> int:
        """Delete every file under a folder URI of this tenant."""
        if not self._prefix and not parse(uri).segments:
            raise InvalidNameError("refusing to delete the whole internal storage")
        return self.inner.delete_prefix(self._inner_uri(uri))

    def list(self, prefix_uri: str) -> list[str]:
        """URIs stored under a prefix, sorted (never another tenant's)."""
        found = self.inner.list(self._inner_uri(prefix_uri))
        if not self._prefix:
            return [u for u in found if parse(u).segments[:1] != (TENANTS_FOLDER,)]
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
        inner.delete_prefix(StoragePath((TENANTS_FOLDER, tenant), folder=True).uri)
