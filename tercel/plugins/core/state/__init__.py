"""`io.kestra.plugin.core.state.*` (deprecated, use KV): Set, Get and Delete a state."""

from __future__ import annotations
