"""`io.kestra.plugin.core.debug.*`: Return and Echo."""

from __future__ import annotations
