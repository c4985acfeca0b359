"""Persistence: repositories for flows, executions, logs, KV, namespaces, secrets, triggers,
the job queue and timers.

`tercel.store.api` holds the Protocols every part of Tercel codes against;
`tercel.store.memory.MemoryStore` implements them in memory (unit tests, `tercel run`) and
`tercel.store.sql.SqlStore.open(url)` on SQLite or PostgreSQL (importing this package does
not import SQLAlchemy).
"""

from __future__ import annotations
