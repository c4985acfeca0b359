"""JDBC URLs (`jdbc:duckdb:/path`, `jdbc:sqlite:/path`, `jdbc:postgresql://host/db`) → drivers."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl, quote, urlsplit

from tercel.errors import TaskError


@dataclass(frozen=True, slots=True)
class Target:
    """Where to connect: the driver name and what it needs (a file path or a libpq URI)."""

    driver: str
    #: DuckDB/SQLite: the database file (``:memory:`` for an in-memory database).
    #: PostgreSQL: a ``postgresql://`` URI (credentials included).
    address: str


def parse_jdbc_url(url: str, *, username: str | None = None, password: str | None = None) -> Target:
    """Read a JDBC URL; `username`/`password` complete a PostgreSQL address."""
    if not url.startswith("jdbc:"):
        raise TaskError(f"`url` must be a JDBC URL (jdbc:<driver>:...), got `{_redact(url)}`")
    driver, _, rest = url[len("jdbc:") :].partition(":")
    driver = driver.lower()
    if driver in ("duckdb", "sqlite"):
        path = rest.split("?", 1)[0]
        if path in ("", ":memory:", "memory:"):
            path = ":memory:"
        elif path.startswith("//"):
            path = path[2:] if path.startswith("///") else path
        return Target(driver, path)
    if driver in ("postgresql", "postgres"):
        return Target("postgresql", _postgres_uri(rest, username, password))
    raise TaskError(f"unsupported JDBC driver `{driver}` (duckdb, sqlite, postgresql)")


def _postgres_uri(rest: str, username: str | None, password: str | None) -> str:
    if not rest.startswith("//"):
        raise TaskError("a PostgreSQL URL looks like jdbc:postgresql://host:port/database")
    parts = urlsplit("postgresql:" + rest)
    query = dict(parse_qsl(parts.query))
    user = username or query.pop("user", None) or parts.username
    secret = password or query.pop("password", None) or parts.password
    credentials = ""
    if user:
        credentials = quote(user, safe="")
        if secret:
            credentials += ":" + quote(secret, safe="")
        credentials += "@"
    host = parts.hostname or "localhost"
    port = f":{parts.port}" if parts.port else ""
    # libpq understands sslmode & co; JDBC-only options (e.g. `ssl=true`) are translated or dropped.
    if query.pop("ssl", "").lower() == "true":
        query.setdefault("sslmode", "require")
    kept = {k: v for k, v in query.items() if k in _LIBPQ_OPTIONS}
    suffix = "?" + "&".join(f"{k}={quote(v, safe='')}" for k, v in kept.items()) if kept else ""
    return f"postgresql://{credentials}{host}{port}{parts.path}{suffix}"


_LIBPQ_OPTIONS = frozenset(
    {
        "sslmode",
        "sslcert",
        "sslkey",
        "sslrootcert",
        "connect_timeout",
        "application_name",
        "options",
        "target_session_attrs",
    }
)


def _redact(url: str) -> str:
    """A URL for an error message, without a password in it."""
    return url.split("?", 1)[0].rsplit("@", maxsplit=1)[-1]
