"""In-memory KV entries, namespace records and secret rows (see `memory`)."""

from __future__ import annotations

import copy
import dataclasses
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from tercel.errors import ConflictError
from tercel.store.kvtypes import coerce, validate_key
from tercel.store.namespaces import merge_hierarchy
from tercel.store.records import (
    DEFAULT_TENANT,
    KVEntry,
    NamespaceRecord,
    SecretRecord,
    namespace_hierarchy,
    namespace_matches,
)

Clock = Callable[[], datetime]


class MemoryKV:
    """KV entries in a dict; expired entries behave as absent."""

    def __init__(self, lock: threading.RLock, clock: Clock) -> None:
        self._lock = lock
        self._clock = clock
        self._entries: dict[tuple[str, str, str], KVEntry] = {}

    def _live(self, tenant: str, namespace: str, key: str) -> KVEntry | None:
        entry = self._entries.get((tenant, namespace, key))
        if entry is None:
            return None
        if entry.expiration is not None and entry.expiration <= self._clock():
            return None
        return entry

    def get(self, namespace: str, key: str, *, tenant: str = DEFAULT_TENANT) -> Any | None:
        """See `KVRepository.get`."""
        entry = self.entry(namespace, key, tenant=tenant)
        return None if entry is None else copy.deepcopy(entry.value)

    def entry(self, namespace: str, key: str, *, tenant: str = DEFAULT_TENANT) -> KVEntry | None:
        """See `KVRepository.entry`."""
        with self._lock:
            return self._live(tenant, namespace, key)

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
        tenant: str = DEFAULT_TENANT,
        now: datetime | None = None,
    ) -> None:
        """See `KVRepository.set`."""
        validate_key(key)
        stored, deduced = coerce(value, kv_type)
        moment = now or self._clock()
        expiration = moment + timedelta(seconds=ttl_seconds) if ttl_seconds is not None else None
        with self._lock:
            if not overwrite and self._live(tenant, namespace, key) is not None:
                raise ConflictError(
                    f"KV key `{key}` already exists in namespace `{namespace}` "
                    "and overwrite is false"
                )
            self._entries[(tenant, namespace, key)] = KVEntry(
                tenant,
                namespace,
                key,
                copy.deepcopy(stored),
                deduced,
                moment,
                expiration,
                description,
            )

    def delete(self, namespace: str, key: str, *, tenant: str = DEFAULT_TENANT) -> bool:
        """See `KVRepository.delete`."""
        with self._lock:
            live = self._live(tenant, namespace, key) is not None
            self._entries.pop((tenant, namespace, key), None)
            return live

    def keys(
        self, namespace: str, prefix: str | None = None, *, tenant: str = DEFAULT_TENANT
    ) -> list[str]:
        """See `KVRepository.keys`."""
        return [
            entry.key
            for entry in self.list(namespace, tenant=tenant)
            if prefix is None or entry.key.startswith(prefix)
        ]

    def list(self, namespace: str, *, tenant: str = DEFAULT_TENANT) -> list[KVEntry]:
        """See `KVRepository.list`."""
        with self._lock:
            found = [
                entry
                for (t, ns, key) in list(self._entries)
                if t == tenant and ns == namespace and (entry := self._live(t, ns, key)) is not None
            ]
        return sorted(found, key=lambda entry: entry.key)

    def purge(
        self,
        select: Callable[[str, str], bool],
        *,
        expired_only: bool = True,
        tenant: str = DEFAULT_TENANT,
    ) -> int:
        """See `KVRepository.purge`."""
        now = self._clock()
        with self._lock:
            doomed = [
                (t, ns, key)
                for (t, ns, key), entry in self._entries.items()
                if t == tenant
                and select(ns, key)
                and (not expired_only or (entry.expiration is not None and entry.expiration <= now))
            ]
            for found in doomed:
                del self._entries[found]
        return len(doomed)


class MemoryNamespaces:
    """Namespace records in a dict."""

    def __init__(self, lock: threading.RLock, clock: Clock) -> None:
        self._lock = lock
        self._clock = clock
        self._records: dict[tuple[str, str], NamespaceRecord] = {}

    def put(self, record: NamespaceRecord) -> NamespaceRecord:
        """See `NamespaceRepository.put`."""
        stored = dataclasses.replace(copy.deepcopy(record), updated=self._clock())
        with self._lock:
            self._records[(record.tenant, record.id)] = stored
        return stored

    def find(self, namespace: str, *, tenant: str = DEFAULT_TENANT) -> NamespaceRecord | None:
        """See `NamespaceRepository.find`."""
        with self._lock:
            record = self._records.get((tenant, namespace))
        return copy.deepcopy(record)

    def list(
        self, prefix: str | None = None, *, tenant: str = DEFAULT_TENANT
    ) -> list[NamespaceRecord]:
        """See `NamespaceRepository.list`."""
        with self._lock:
            found = [
                copy.deepcopy(record)
                for (t, ns), record in self._records.items()
                if t == tenant and (prefix is None or namespace_matches(ns, prefix))
            ]
        return sorted(found, key=lambda record: record.id)

    def delete(self, namespace: str, *, tenant: str = DEFAULT_TENANT) -> bool:
        """See `NamespaceRepository.delete`."""
        with self._lock:
            return self._records.pop((tenant, namespace), None) is not None

    def effective(self, namespace: str, *, tenant: str = DEFAULT_TENANT) -> NamespaceRecord:
        """See `NamespaceRepository.effective`."""
        chain = [self.find(ns, tenant=tenant) for ns in namespace_hierarchy(namespace)]
        return merge_hierarchy(tenant, namespace, chain)


class MemorySecrets:
    """Encrypted secret rows in a dict."""

    def __init__(self, lock: threading.RLock) -> None:
        self._lock = lock
        self._rows: dict[tuple[str, str, str], SecretRecord] = {}

    def put(self, record: SecretRecord) -> None:
        """See `SecretRepository.put`."""
        with self._lock:
            self._rows[(record.tenant, record.namespace, record.name)] = record

    def find(
        self, namespace: str, name: str, *, tenant: str = DEFAULT_TENANT
    ) -> SecretRecord | None:
        """See `SecretRepository.find`."""
        with self._lock:
            return self._rows.get((tenant, namespace, name))

    def names(self, namespace: str, *, tenant: str = DEFAULT_TENANT) -> list[str]:
        """See `SecretRepository.names`."""
        with self._lock:
            return sorted(n for (t, ns, n) in self._rows if t == tenant and ns == namespace)

    def delete(self, namespace: str, name: str, *, tenant: str = DEFAULT_TENANT) -> bool:
        """See `SecretRepository.delete`."""
        with self._lock:
            return self._rows.pop((tenant, namespace, name), None) is not None
