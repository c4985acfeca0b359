"""Shared fixtures. Tests never need ../shared: fixtures live under tests/.

Every test is marked with its tier from the folder it lives in (`tests/unit` -> `unit`,
`tests/integration` -> `integration`, `tests/e2e` -> `e2e`), so `pytest -m unit` selects all
unit tests without each module having to say so.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
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


#: Set by scripts/with-seaweedfs.sh (a real SeaweedFS on 127.0.0.1).
S3_ENDPOINT = os.environ.get("TEST_S3_ENDPOINT")
NO_S3 = "TEST_S3_ENDPOINT is not set: run under scripts/with-seaweedfs.sh to test the S3 storage"


@pytest.fixture(scope="session")
def s3_bucket_url() -> Iterator[str]:
    """``s3://BUCKET?endpoint=...`` of the test server, its credentials in ``AWS_*``.

    Skips (with the reason) when no S3 server was started for this session.
    """
    if not S3_ENDPOINT:
        pytest.skip(NO_S3)
    bucket = os.environ["TEST_S3_BUCKET"]
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_ACCESS_KEY_ID", os.environ["TEST_S3_ACCESS_KEY"])
        patch.setenv("AWS_SECRET_ACCESS_KEY", os.environ["TEST_S3_SECRET_KEY"])
        patch.setenv("AWS_REGION", "us-east-1")
        import boto3

        client = boto3.client("s3", endpoint_url=S3_ENDPOINT)
        names = {b["Name"] for b in client.list_buckets().get("Buckets", [])}
        if bucket not in names:
            client.create_bucket(Bucket=bucket)
        yield f"s3://{bucket}?endpoint={S3_ENDPOINT}"


@pytest.fixture
def s3_url(s3_bucket_url: str) -> str:
    """A storage URL of the test bucket under a prefix of its own (tests never share files)."""
    bucket, _, query = s3_bucket_url.partition("?")
    return f"{bucket}/t-{uuid.uuid4().hex[:12]}?{query}"
