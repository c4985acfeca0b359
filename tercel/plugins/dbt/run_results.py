"""dbt's `target/run_results.json` → per-node outputs, metrics and a failure message."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: Node statuses that make dbt exit non-zero (models/seeds: error; tests: fail or error).
FAILED_STATUSES = frozenset({"error", "fail", "runtime error"})


@dataclass(frozen=True, slots=True)
class NodeResult:
    """One node (model, test, seed, snapshot) of a dbt invocation."""

    unique_id: str
    name: str
    resource_type: str
    status: str
    execution_time: float
    rows_affected: int | None
    message: str | None

    @classmethod
    def of(cls, entry: dict[str, Any]) -> NodeResult:
        """Read one entry of `results`."""
        unique_id = str(entry.get("unique_id", ""))
        parts = unique_id.split(".")
        response = entry.get("adapter_response") or {}
        rows = response.get("rows_affected") if isinstance(response, dict) else None
        return cls(
            unique_id=unique_id,
            # `test.<project>.<name>.<hash>`, `model.<project>.<name>`.
            name=parts[2] if len(parts) >= 3 else parts[-1],
            resource_type=parts[0] if parts else "",
            status=str(entry.get("status", "")).lower(),
            execution_time=float(entry.get("execution_time") or 0.0),
            rows_affected=int(rows) if isinstance(rows, int | float) and rows >= 0 else None,
            message=entry.get("message") if isinstance(entry.get("message"), str) else None,
        )

    @property
    def failed(self) -> bool:
        """Whether this node made the invocation fail."""
        return self.status in FAILED_STATUSES

    def output(self) -> dict[str, Any]:
        """The node as it appears in the task's `results` output."""
        return {
            "uniqueId": self.unique_id,
            "resourceType": self.resource_type,
            "status": self.status,
            "executionTime": self.execution_time,
            "rowsAffected": self.rows_affected,
            "message": self.message,
        }


def read_run_results(path: Path) -> list[NodeResult]:
    """The nodes of a run_results.json file (empty when the file is missing or unreadable)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    results = data.get("results") if isinstance(data, dict) else None
    if not isinstance(results, list):
        return []
    return [NodeResult.of(entry) for entry in results if isinstance(entry, dict)]


def failure_message(nodes: list[NodeResult]) -> str | None:
    """``dbt: model `x` failed (message); test `y` failed`` or None when nothing failed."""
    failed = [node for node in nodes if node.failed]
    if not failed:
        return None
    parts = []
    for node in failed:
        detail = f" ({node.message.strip().splitlines()[0]})" if node.message else ""
        parts.append(f"{node.resource_type} `{node.name}` {node.status}{detail}")
    return "dbt: " + "; ".join(parts)
