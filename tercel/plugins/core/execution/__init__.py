"""`io.kestra.plugin.core.execution.*`: Fail, Labels, Exit, Count, Resume, PurgeExecutions."""

from __future__ import annotations
