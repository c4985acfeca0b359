"""`io.kestra.plugin.core.templating.*`: TemplatedTask, and property rendering helpers."""

from __future__ import annotations
