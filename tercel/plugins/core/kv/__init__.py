"""`io.kestra.plugin.core.kv.*`: Set, Get, GetKeys, Delete and PurgeKV on the KV store."""

from __future__ import annotations
