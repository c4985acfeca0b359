"""Tercel: a workflow orchestrator that runs Kestra's declarative YAML flows."""

from __future__ import annotations

__version__ = "0.1.0"
