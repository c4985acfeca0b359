"""Fixtures: a `LocalRuntime` on a SQLite file in a temp dir."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from engine_helpers import sqlite_runtime

from tercel.runtime.local import LocalRuntime


@pytest.fixture
async def runtime(tmp_path: Path) -> AsyncIterator[LocalRuntime]:
    async with sqlite_runtime(
        tmp_path / "home", environ={"SECRET_TOKEN": "c3VwZXItc2VjcmV0LXRva2Vu"}
    ) as started:
        yield started
