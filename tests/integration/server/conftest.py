"""Server fixtures are shared with the API tests."""

from __future__ import annotations

from tests.integration.api.conftest import server_client, settings, store

__all__ = ["server_client", "settings", "store"]
