"""The same storage tests run on the local disk and on a real S3 server (SeaweedFS).

S3 tests need ``TEST_S3_ENDPOINT``; ``scripts/with-seaweedfs.sh`` starts a throw-away
SeaweedFS and sets it (the `s3_bucket_url` fixture in tests/conftest.py skips without it).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tercel.storage import open_storage
from tercel.storage.api import InternalStorage

BACKENDS = ["local", pytest.param("s3", marks=pytest.mark.s3)]


@pytest.fixture(params=BACKENDS)
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> InternalStorage:
    """Every backend, empty, opened through `open_storage` as the server does."""
    if request.param == "local":
        opened = open_storage(tmp_path / "storage")
    else:
        opened = open_storage(request.getfixturevalue("s3_url"))
    opened.check()
    return opened
