"""Static proof that the implementations satisfy the Protocols (checked by mypy, never run)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tercel.plugins.context import KVStore
    from tercel.storage.api import InternalStorage
    from tercel.storage.local import LocalStorage
    from tercel.storage.s3 import S3Storage
    from tercel.store.api import Store
    from tercel.store.memory import MemoryStore
    from tercel.store.sql import SqlStore

    def _implementations_conform(
        memory: MemoryStore, sql: SqlStore, disk: LocalStorage, bucket: S3Storage
    ) -> None:
        stores: list[Store] = [memory, sql]
        key_values: list[KVStore] = [memory.kv, sql.kv]
        storages: list[InternalStorage] = [disk, bucket]
        del stores, key_values, storages
