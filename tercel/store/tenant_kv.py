"""`TenantKV`: the KV store of one tenant, as tasks and templates see it (`KVStore`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

    from tercel.store.api import KVRepository


class TenantKV:
    """`tercel.plugins.context.KVStore` bound to one tenant: a task of tenant B never reads
    or writes the keys of tenant A, even for a namespace of the same name."""

    def __init__(self, repository: KVRepository, tenant: str) -> None:
        self.repository = repository
        self.tenant = tenant

    def get(self, namespace: str, key: str) -> Any | None:
        """The value, or None when absent or expired."""
        return self.repository.get(namespace, key, tenant=self.tenant)

    def set(
        self,
        namespace: str,
        key: str,
        value: Any,
        *,
        ttl_seconds: float | None = None,
        kv_type: str | None = None,
        overwrite: bool = True,
        description: str | None = None,
    ) -> None:
        """Store a value; ConflictError when `overwrite` is false and the key exists."""
        self.repository.set(
            namespace,
            key,
            value,
            ttl_seconds=ttl_seconds,
            kv_type=kv_type,
            overwrite=overwrite,
            description=description,
            tenant=self.tenant,
        )

    def delete(self, namespace: str, key: str) -> bool:
        """Delete; True when something was deleted."""
        return self.repository.delete(namespace, key, tenant=self.tenant)

    def keys(self, namespace: str, prefix: str | None = None) -> list[str]:
        """Keys of non-expired entries, sorted."""
        return self.repository.keys(namespace, prefix, tenant=self.tenant)

    def purge(self, select: Callable[[str, str], bool], *, expired_only: bool = True) -> int:
        """Delete this tenant's entries `select` accepts (only expired ones when
        `expired_only`); the number deleted."""
        return self.repository.purge(select, expired_only=expired_only, tenant=self.tenant)
