"""Blueprint tests share the full-server client of the API tests."""

from __future__ import annotations

from tests.integration.api.conftest import server_client

__all__ = ["server_client"]
