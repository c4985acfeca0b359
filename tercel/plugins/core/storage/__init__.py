"""`io.kestra.plugin.core.storage.*`: tasks on files in internal storage, and Ion row files."""

from __future__ import annotations
