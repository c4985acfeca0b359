"""The build context sent to the engine holds the working directory's files, relative paths."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from tercel.plugins.docker.engine import context_tar

pytestmark = pytest.mark.unit


def test_context_holds_every_file_under_relative_names(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "main.py").write_text("print('hi')\n")
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    with tarfile.open(fileobj=io.BytesIO(context_tar(tmp_path))) as archive:
        names = sorted(archive.getnames())
        content = archive.extractfile("app/main.py")
        assert content is not None
        assert content.read() == b"print('hi')\n"
    assert names == ["Dockerfile", "app", "app/main.py"]
