"""Kestra's `io.kestra.plugin.core.metric.*` tasks."""

from __future__ import annotations
