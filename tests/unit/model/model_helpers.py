"""Helpers for model tests: load YAML text and list its problems as comparable tuples."""

from __future__ import annotations

from pathlib import Path

import pytest

from tercel.errors import FlowValidationError
from tercel.model.loader import load_flow

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "flows"


def problems(source: str) -> list[tuple[str, int, int]]:
    """(message, line, column) of every problem of `source`, which must be invalid."""
    with pytest.raises(FlowValidationError) as caught:
        load_flow(source, "flow.yml")
    return [(p.message, p.line, p.column) for p in caught.value.problems]


LOG = "    type: io.kestra.plugin.core.log.Log\n    message: hi\n"
HEADER = "id: f\nnamespace: company.team\n"


def flow_with(body: str) -> str:
    """A minimal valid flow header plus `body` (YAML text starting at line 3)."""
    return HEADER + body
