"""`io.kestra.plugin.core.kv.*`: Set, Get, GetKeys and Delete on a namespace's KV store."""

from __future__ import annotations
