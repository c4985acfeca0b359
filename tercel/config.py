"""Server settings: read from ``TERCEL_*`` environment variables, overridden by CLI flags.

One frozen `Settings` value is built at start-up and handed to every component::

    settings = Settings.from_env(home="/srv/tercel", port=9090)
    settings.check_bind()          # refuses a public address without authentication

| variable                      | setting              | default                         |
|-------------------------------|----------------------|---------------------------------|
| ``TERCEL_HOME``               | `home`               | ``.tercel``                     |
| ``TERCEL_DATABASE_URL``       | `database_url`       | ``sqlite:///<home>/tercel.db``  |
| ``TERCEL_STORAGE_DIR``        | `storage_dir`        | ``<home>/storage``              |
| ``TERCEL_STORAGE_URL``        | `storage_url`        | the directory above; or         |
|                               |                      | ``s3://BUCKET?endpoint=URL``    |
| ``TERCEL_ENCRYPTION_KEY``     | `encryption_key`     | none (secrets cannot be stored) |
| ``TERCEL_BASIC_AUTH_USER``    | `basic_auth_user`    | none                            |
| ``TERCEL_BASIC_AUTH_PASSWORD``| `basic_auth_password`| none                            |
| ``TERCEL_API_TOKENS``         | `api_tokens`         | none (comma-separated list)     |
| ``TERCEL_ADMIN_PASSWORD``     | `admin_password`     | none (sets `admin`'s, once)     |
| ``TERCEL_HOST``               | `host`               | ``127.0.0.1``                   |
| ``TERCEL_PORT``               | `port`               | ``8080``                        |
| ``TERCEL_WORKERS``            | `workers`            | ``8`` (concurrent task runs)    |
| ``TERCEL_MAX_FLOW_SIZE``      | `max_flow_size`      | ``3MB`` (a flow's YAML source)  |
| ``TERCEL_MAX_BODY_SIZE``      | `max_body_size`      | ``10MB`` (JSON and other bodies)|
| ``TERCEL_MAX_WEBHOOK_SIZE``   | `max_webhook_size`   | ``10MB`` (a webhook's body)     |
| ``TERCEL_MAX_UPLOAD_SIZE``    | `max_upload_size`    | ``1GB`` (a multipart request)   |
| ``TERCEL_WEBHOOK_FAILURES``   | `webhook_failures`   | ``20`` (wrong keys per minute)  |

Sizes are bytes, or a number with ``KB``, ``MB`` or ``GB`` (powers of 1024).
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from tercel.errors import TercelError

ENV_PREFIX = "TERCEL_"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080
MIB = 1024 * 1024
_UNITS = {"": 1, "B": 1, "KB": 1024, "MB": MIB, "GB": 1024 * MIB}


class ConfigError(TercelError):
    """A setting is malformed, or the combination of settings is unsafe."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything a server process needs to know about where it lives and who may call it."""

    home: Path = field(default_factory=lambda: Path(".tercel"))
    database_url: str | None = None
    storage_dir: Path | None = None
    #: ``s3://BUCKET[/PREFIX]?endpoint=...`` (credentials from ``AWS_*``) or a directory.
    storage_url: str | None = None
    #: Base64 of 32 bytes (AES-256-GCM); without it secrets are refused, never stored in clear.
    encryption_key: str | None = field(default=None, repr=False)
    basic_auth_user: str | None = None
    basic_auth_password: str | None = field(default=None, repr=False)
    api_tokens: tuple[str, ...] = field(default=(), repr=False)
    #: Sets the password of the `admin` super-admin when it has none (first start).
    admin_password: str | None = field(default=None, repr=False)
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    workers: int = 8
    #: Base URL of the UI, used for the ``url`` of a created execution.
    public_url: str | None = None
    #: Largest flow YAML accepted, in bytes (the code-point limit of Kestra's YAML reader).
    max_flow_size: int = 3 * MIB
    #: Largest JSON (or other non-multipart) request body, in bytes.
    max_body_size: int = 10 * MIB
    #: Largest webhook request body, in bytes (it becomes `trigger.body`).
    max_webhook_size: int = 10 * MIB
    #: Largest multipart request (execution inputs, namespace files), streamed to disk.
    max_upload_size: int = 1024 * MIB
    #: Wrong webhook keys one client address may send per minute before it gets 429.
    webhook_failures: int = 20

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Settings from ``TERCEL_*`` variables, then `overrides` (CLI flags; None = unset)."""
        env = os.environ if environ is None else environ

        def get(name: str) -> str | None:
            value = env.get(ENV_PREFIX + name)
            return value if value not in (None, "") else None

        values: dict[str, Any] = {}
        if (home := get("HOME")) is not None:
            values["home"] = Path(home)
        if (url := get("DATABASE_URL")) is not None:
            values["database_url"] = url
        if (storage := get("STORAGE_DIR")) is not None:
            values["storage_dir"] = Path(storage)
        if (storage_url := get("STORAGE_URL")) is not None:
            values["storage_url"] = storage_url
        for name, attr in (
            ("ENCRYPTION_KEY", "encryption_key"),
            ("BASIC_AUTH_USER", "basic_auth_user"),
            ("BASIC_AUTH_PASSWORD", "basic_auth_password"),
            ("ADMIN_PASSWORD", "admin_password"),
            ("HOST", "host"),
            ("PUBLIC_URL", "public_url"),
        ):
            if (value := get(name)) is not None:
                values[attr] = value
        if (tokens := get("API_TOKENS")) is not None:
            values["api_tokens"] = tuple(t.strip() for t in tokens.split(",") if t.strip())
        for name, attr in (
            ("PORT", "port"),
            ("WORKERS", "workers"),
            ("WEBHOOK_FAILURES", "webhook_failures"),
        ):
            if (raw := get(name)) is not None:
                values[attr] = _integer(ENV_PREFIX + name, raw)
        for name in ("FLOW", "BODY", "WEBHOOK", "UPLOAD"):
            if (raw := get(f"MAX_{name}_SIZE")) is not None:
                values[f"max_{name.lower()}_size"] = parse_size(f"{ENV_PREFIX}MAX_{name}_SIZE", raw)
        for key, value in overrides.items():
            if value is None:
                continue
            values[key] = Path(value) if key in ("home", "storage_dir") else value
        if "api_tokens" in values and isinstance(values["api_tokens"], list):
            values["api_tokens"] = tuple(values["api_tokens"])
        settings = cls(**values)
        settings.validate()
        return settings

    def with_(self, **changes: Any) -> Settings:
        """A copy with some settings changed (validated)."""
        settings = replace(self, **changes)
        settings.validate()
        return settings

    # -- derived values ------------------------------------------------------------------
    @property
    def effective_database_url(self) -> str:
        """The database URL: the configured one, or SQLite under `home`."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.home / 'tercel.db').resolve()}"

    @property
    def effective_storage_dir(self) -> Path:
        """Where internal storage (``kestra:///``) files live."""
        return self.storage_dir if self.storage_dir is not None else self.home / "storage"

    @property
    def effective_storage_url(self) -> str:
        """What `tercel.storage.open_storage` opens: the URL, or the storage directory."""
        return self.storage_url or str(self.effective_storage_dir)

    @property
    def auth_enabled(self) -> bool:
        """Whether callers must authenticate (basic auth or an API token is configured)."""
        return self.has_basic_auth or bool(self.api_tokens)

    @property
    def has_basic_auth(self) -> bool:
        """Whether both a basic-auth user and password are configured."""
        return bool(self.basic_auth_user) and bool(self.basic_auth_password)

    def encryption_key_bytes(self) -> bytes | None:
        """The 32-byte secret key, or None when none is configured."""
        if self.encryption_key is None:
            return None
        return _decode_key(self.encryption_key)

    @property
    def base_url(self) -> str:
        """Where clients reach this server."""
        if self.public_url:
            return self.public_url.rstrip("/")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    # -- checks --------------------------------------------------------------------------
    def validate(self) -> None:
        """Raise ConfigError naming the setting that is malformed."""
        if not 0 < self.port < 65536:
            raise ConfigError(f"port {self.port} is out of range (1-65535)")
        if self.workers < 1:
            raise ConfigError(f"workers must be at least 1 (got {self.workers})")
        if bool(self.basic_auth_user) != bool(self.basic_auth_password):
            raise ConfigError(
                "basic auth needs both TERCEL_BASIC_AUTH_USER and TERCEL_BASIC_AUTH_PASSWORD"
            )
        if self.encryption_key is not None:
            _decode_key(self.encryption_key)
        for name in ("flow", "body", "webhook", "upload"):
            if getattr(self, f"max_{name}_size") < 1:
                raise ConfigError(f"TERCEL_MAX_{name.upper()}_SIZE must be at least 1 byte")
        if self.webhook_failures < 1:
            raise ConfigError("TERCEL_WEBHOOK_FAILURES must be at least 1")
        if self.storage_url is not None and self.storage_dir is not None:
            raise ConfigError(
                "set either TERCEL_STORAGE_URL or TERCEL_STORAGE_DIR (--storage-dir), not both"
            )

    def check_bind(self) -> None:
        """Refuse to listen beyond loopback when anyone could call the API unauthenticated."""
        if is_loopback(self.host) or self.auth_enabled or self.admin_password:
            return
        raise ConfigError(
            f"refusing to listen on {self.host} without authentication: anyone who can reach "
            "this address could run code on this machine. Set TERCEL_BASIC_AUTH_USER and "
            "TERCEL_BASIC_AUTH_PASSWORD (or TERCEL_API_TOKENS, or TERCEL_ADMIN_PASSWORD for "
            "user logins), or listen on 127.0.0.1."
        )


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and ``localhost``."""
    if host in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _integer(name: str, raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be an integer (got {raw!r})") from None


def parse_size(name: str, raw: str) -> int:
    """``"10MB"`` → bytes (``KB``, ``MB``, ``GB`` are powers of 1024; a bare number is bytes)."""
    text = raw.strip().upper().replace(" ", "")
    digits = text.rstrip("KMGB")
    unit = _UNITS.get(text[len(digits) :])
    if unit is None or not digits.isdigit():
        raise ConfigError(
            f"{name} must be a size such as 1048576, 512KB, 10MB or 1GB (got {raw!r})"
        )
    return int(digits) * unit


def format_size(size: int) -> str:
    """Bytes as the largest exact unit: 3145728 → ``3MB``."""
    for unit in ("GB", "MB", "KB"):
        if size % _UNITS[unit] == 0:
            return f"{size // _UNITS[unit]}{unit}"
    return f"{size} bytes"


def _decode_key(text: str) -> bytes:
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ConfigError("TERCEL_ENCRYPTION_KEY must be base64 (of 32 random bytes)") from None
    if len(key) != 32:
        raise ConfigError(
            f"TERCEL_ENCRYPTION_KEY must decode to 32 bytes (got {len(key)}); "
            "create one with: openssl rand -base64 32"
        )
    return key
