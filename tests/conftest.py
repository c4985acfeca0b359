"""Shared fixtures. Tests never need ../shared: fixtures live under tests/.

Every test is marked with its tier from the folder it lives in (`tests/unit` -> `unit`,
`tests/integration` -> `integration`, `tests/e2e` -> `e2e`), so `pytest -m unit` selects all
unit tests without each module having to say so.
"""

from __future__ import annotations

from pathlib import Path

import pytest

_TESTS = Path(__file__).resolve().parent
_TIERS = ("unit", "integration", "e2e")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Add the tier marker of each test's top-level folder under `tests/`."""
    for item in items:
        try:
            tier = item.path.resolve().relative_to(_TESTS).parts[0]
        except ValueError:
            continue
        if tier in _TIERS:
            item.add_marker(getattr(pytest.mark, tier))
