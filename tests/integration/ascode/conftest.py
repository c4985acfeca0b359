"""Fixtures of the flows-as-code tests (helpers in `ascode_helpers`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from ascode_helpers import Project, Server


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    """A `tercel server local` process with secrets enabled."""
    running = Server(tmp_path / "home")
    yield running
    running.stop()


@pytest.fixture
def project(tmp_path: Path) -> Project:
    """An empty flows-as-code folder."""
    return Project(tmp_path / "repo")
