"""Kestra's `io.kestra.plugin.core.flow.*` types: flowable, executable and `Sleep`.

Each module declares the properties (with their validators) of one family and the method the
engine calls to run it (`plan`, `next_iteration`, `pause_spec`, `subflow_requests`...). The
engine recognises these by `kind` and capability, never by type name.
"""

from __future__ import annotations
