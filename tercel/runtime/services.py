"""The real `TemplateServices`: secrets, KV, files and error logs for one execution.

Templates call functions that need the outside world (`secret()`, `kv()`, `read()`,
`fileURI()`, `errorLogs()`...); the templating package calls them through this object, which
is bound to one execution so that it knows the namespace and which files it may read.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2.exceptions import UndefinedError

from tercel.errors import (
    InvalidNameError,
    NotFoundError,
    SecretError,
    StorageAccessError,
    TemplateError,
)
from tercel.model.names import namespace_problem
from tercel.storage.access import ExecutionScope

if TYPE_CHECKING:
    from tercel.plugins.context import KVStore
    from tercel.secrets.masking import SecretMasker
    from tercel.storage.access import Upstream
    from tercel.storage.api import InternalStorage


class MissingKeyError(UndefinedError):
    """`kv()` of a key that does not exist (templating treats it as undefined)."""


SECRET_ENV_PREFIX = "SECRET_"  # noqa: S105 - a variable-name prefix, not a secret


def secrets_from_env(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """Kestra's OSS secrets: ``SECRET_<NAME>`` variables, base64 (newlines ignored), by NAME.

    A variable whose value is not valid base64 is skipped rather than served garbled.
    """
    from tercel.secrets.env import EnvSecrets

    env = EnvSecrets(environ)
    return {name: value for name in env.names() if (value := env.get(name)) is not None}


class SecretSource:
    """Looks secrets up: a store lookup first (when given), then ``SECRET_*`` variables."""

    def __init__(
        self,
        env_secrets: Mapping[str, str] | None = None,
        lookup: Callable[[str, str, str], str | None] | None = None,
    ) -> None:
        self._env = dict(secrets_from_env() if env_secrets is None else env_secrets)
        #: (tenant, namespace, NAME) -> value or None: the store's secrets (e.g.
        #: `tercel.secrets.store.EncryptedSecrets.lookup`), consulted before the environment.
        self.lookup = lookup

    def get(self, tenant_id: str, namespace: str, name: str) -> str:
        """The value of secret `name` (case-insensitive) or SecretError."""
        key = name.upper()
        if self.lookup is not None:
            found = self.lookup(tenant_id, namespace, key)
            if found is not None:
                return found
        try:
            return self._env[key]
        except KeyError:
            raise SecretError(
                f"secret `{name}` not found: set the environment variable "
                f"{SECRET_ENV_PREFIX}{key} to its base64-encoded value"
            ) from None


class ExecutionServices:
    """`TemplateServices` for the templates of one execution."""

    def __init__(
        self,
        *,
        tenant_id: str,
        namespace: str,
        flow_id: str,
        execution_id: str,
        secrets: SecretSource,
        masker: SecretMasker,
        kv_store: KVStore,
        storage: InternalStorage,
        error_logs: Callable[[], list[dict[str, Any]]],
        files_root: Path | None = None,
        upstream: tuple[Upstream, ...] = (),
    ) -> None:
        self.tenant_id = tenant_id
        self.namespace = namespace
        self.flow_id = flow_id
        self.execution_id = execution_id
        self._secrets = secrets
        self._masker = masker
        self._kv = kv_store
        self._storage = storage
        self._error_logs = error_logs
        self._files_root = files_root
        # Own execution plus the ones `trigger.*` points at (a subflow's parent).
        self._scope = ExecutionScope(namespace, flow_id, execution_id, upstream)

    # -- secrets -------------------------------------------------------------------------
    def secret(self, name: str) -> str:
        """A secret's value; registered for masking before it is returned."""
        value = self._secrets.get(self.tenant_id, self.namespace, name)
        self._masker.add(value)
        return value

    # -- KV ------------------------------------------------------------------------------
    def kv(self, namespace: str | None, key: str, error_on_missing: bool = True) -> Any:
        """A KV value of `namespace` (default: the flow's); None or error when missing."""
        where = _valid_namespace(namespace or self.namespace)
        value = self._kv.get(where, key)
        if value is None and error_on_missing:
            # A missing key is like an undefined variable: `??` falls back, strict fails.
            raise MissingKeyError(f"key `{key}` not found in the KV store of namespace `{where}`")
        return value

    # -- files ---------------------------------------------------------------------------
    def _check_readable(self, uri: str) -> str:
        """The canonical form of `uri` when this execution may read it (TemplateError if not)."""
        try:
            return self._scope.check_read(uri)
        except (StorageAccessError, InvalidNameError) as error:
            raise TemplateError(str(error)) from None

    def namespace_file_uri(self, path: str, namespace: str | None = None) -> str:
        """``kestra:///<ns>/_files/<path>``: where a namespace file is stored."""
        from tercel.storage.uri import namespace_file

        try:
            return namespace_file(_valid_namespace(namespace or self.namespace), path)
        except InvalidNameError as error:
            raise TemplateError(str(error)) from None

    def _local_namespace_file(self, path: str, namespace: str | None) -> Path | None:
        if self._files_root is None:
            return None
        relative = path.lstrip("/")
        for base in (self._files_root / (namespace or self.namespace), self._files_root):
            candidate = (base / relative).resolve()
            if candidate.is_file() and candidate.is_relative_to(self._files_root.resolve()):
                return candidate
        return None

    def read_bytes(self, path_or_uri: str, namespace: str | None = None) -> bytes:
        """Content of an internal-storage URI or of a namespace file."""
        if path_or_uri.startswith("kestra://"):
            uri = self._check_readable(path_or_uri)
            try:
                return self._storage.get(uri)
            except NotFoundError as error:
                raise TemplateError(f"file `{path_or_uri}` does not exist") from error
        uri = self._check_readable(self.namespace_file_uri(path_or_uri, namespace))
        if self._storage.exists(uri):
            return self._storage.get(uri)
        local = self._local_namespace_file(path_or_uri, namespace)
        if local is not None:
            return local.read_bytes()
        raise TemplateError(
            f"namespace file `{path_or_uri}` does not exist in `{namespace or self.namespace}`"
        )

    def namespace_files(self) -> list[tuple[str, bytes]]:
        """Every namespace file of the flow's namespace: (relative path, content)."""
        from tercel.storage.uri import namespace_file, to_path

        found: dict[str, bytes] = {}
        if self._files_root is not None:
            base = self._files_root / self.namespace
            if base.is_dir():
                for path in sorted(p for p in base.rglob("*") if p.is_file()):
                    found[path.relative_to(base).as_posix()] = path.read_bytes()
        prefix_uri = namespace_file(self.namespace)
        prefix = to_path(prefix_uri)
        for uri in self._storage.list(prefix_uri):
            found[to_path(uri)[len(prefix) :]] = self._storage.get(uri)
        return sorted(found.items())

    def read(self, path_or_uri: str, namespace: str | None = None) -> str:
        """Text content of an internal-storage URI or of a namespace file."""
        return self.read_bytes(path_or_uri, namespace).decode("utf-8")

    def file_uri(self, path: str, namespace: str | None = None) -> str:
        """The ``kestra:///`` URI of a namespace file."""
        return self.namespace_file_uri(path, namespace)

    def file_size(self, uri: str) -> int:
        """Size in bytes of a file in internal storage."""
        checked = self._check_readable(uri)
        try:
            return self._storage.size(checked)
        except NotFoundError as error:
            raise TemplateError(f"file `{uri}` does not exist") from error

    def file_exists(self, uri: str) -> bool:
        """Whether a file exists in internal storage (or as a namespace file)."""
        if uri.startswith("kestra://"):
            return self._storage.exists(self._check_readable(uri))
        return (
            self._storage.exists(self._check_readable(self.namespace_file_uri(uri)))
            or self._local_namespace_file(uri, None) is not None
        )

    def is_file_empty(self, uri: str) -> bool:
        """Whether a file in internal storage is empty."""
        return self.file_size(uri) == 0

    # -- logs ----------------------------------------------------------------------------
    def error_logs(self) -> list[dict[str, Any]]:
        """ERROR log lines of this execution so far, as Kestra LogEntry maps."""
        return self._error_logs()


def _valid_namespace(namespace: str) -> str:
    """`namespace`, or a TemplateError saying why it is not one (``a..b`` would alias)."""
    problem = namespace_problem(namespace)
    if problem is not None:
        raise TemplateError(f"namespace: {problem}")
    return namespace
