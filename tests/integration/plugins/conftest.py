"""Plugin integration fixtures: the full-server client is shared with the API tests."""

from __future__ import annotations

from tests.integration.api.conftest import server_client

__all__ = ["server_client"]
