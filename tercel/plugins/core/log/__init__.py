"""`io.kestra.plugin.core.log.*`: Log, Fetch and PurgeLogs."""

from __future__ import annotations
