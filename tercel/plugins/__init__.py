"""Task, trigger and condition types by family; each module registers its types."""

from __future__ import annotations
