"""The `tercel` command line: one module per command group."""

from __future__ import annotations
