"""Settings from the environment and flags, and the refusal to serve the world unauthenticated."""

from __future__ import annotations

from pathlib import Path

import pytest

from tercel.config import ConfigError, Settings


def test_environment_then_flags() -> None:
    env = {"TERCEL_HOME": "/srv/t", "TERCEL_PORT": "9000", "TERCEL_API_TOKENS": "a, b"}
    settings = Settings.from_env(env, port=9100)
    assert settings.home == Path("/srv/t")
    assert settings.port == 9100
    assert settings.api_tokens == ("a", "b")
    assert settings.effective_database_url == f"sqlite:///{Path('/srv/t/tercel.db').resolve()}"


def test_malformed_settings_name_the_variable() -> None:
    with pytest.raises(ConfigError, match="TERCEL_PORT"):
        Settings.from_env({"TERCEL_PORT": "eighty"})
    with pytest.raises(ConfigError, match="TERCEL_ENCRYPTION_KEY"):
        Settings.from_env({"TERCEL_ENCRYPTION_KEY": "c2hvcnQ="})
    with pytest.raises(ConfigError, match="both"):
        Settings.from_env({"TERCEL_BASIC_AUTH_USER": "admin"})


def test_public_address_without_auth_is_refused() -> None:
    Settings.from_env({}, host="127.0.0.1").check_bind()
    Settings.from_env({}, host="::1").check_bind()
    with pytest.raises(ConfigError, match="without authentication"):
        Settings.from_env({}, host="0.0.0.0").check_bind()
    Settings.from_env({"TERCEL_API_TOKENS": "t"}, host="0.0.0.0").check_bind()


def test_storage_url_or_directory_but_not_both(tmp_path: Path) -> None:
    assert Settings.from_env({}, home=tmp_path).effective_storage_url == str(tmp_path / "storage")
    s3 = "s3://files?endpoint=http://127.0.0.1:8333"
    assert Settings.from_env({"TERCEL_STORAGE_URL": s3}).effective_storage_url == s3
    with pytest.raises(ConfigError, match="TERCEL_STORAGE_URL or TERCEL_STORAGE_DIR"):
        Settings.from_env({"TERCEL_STORAGE_URL": s3, "TERCEL_STORAGE_DIR": str(tmp_path)})


def test_size_limits_read_units_and_refuse_nonsense() -> None:
    settings = Settings.from_env(
        {
            "TERCEL_MAX_FLOW_SIZE": "512KB",
            "TERCEL_MAX_BODY_SIZE": "2mb",
            "TERCEL_MAX_WEBHOOK_SIZE": "1024",
            "TERCEL_MAX_UPLOAD_SIZE": "2GB",
            "TERCEL_WEBHOOK_FAILURES": "3",
        }
    )
    assert settings.max_flow_size == 512 * 1024
    assert settings.max_body_size == 2 * 1024 * 1024
    assert settings.max_webhook_size == 1024
    assert settings.max_upload_size == 2 * 1024**3
    assert settings.webhook_failures == 3
    defaults = Settings()
    assert (defaults.max_flow_size, defaults.max_upload_size) == (3 * 1024**2, 1024**3)
    for bad in ("1TB", "lots", "-5MB", "0"):
        with pytest.raises(ConfigError, match="TERCEL_MAX_FLOW_SIZE"):
            Settings.from_env({"TERCEL_MAX_FLOW_SIZE": bad})
