"""What template functions need from the outside world (secrets, KV, files, logs).

The renderer itself is pure: functions such as ``secret()``, ``kv()`` or ``read()`` call a
`TemplateServices` object that the runtime passes in. Without one, those functions fail
with a clear message instead of guessing.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class TemplateServices(Protocol):
    """The outside world as template functions see it.

    Every method may raise a `tercel.errors.TercelError` subclass (e.g. `SecretError`,
    `NotFoundError`); the renderer turns it into a `TemplateError` naming the expression.
    """

    def secret(self, name: str) -> str:
        """A secret's value; implementations register it for masking in logs."""
        ...

    def kv(self, namespace: str | None, key: str, error_on_missing: bool) -> Any:
        """A KV value (typed); None when absent and `error_on_missing` is false.

        `namespace` None means the flow's namespace.
        """
        ...

    def read(self, path_or_uri: str) -> str:
        """UTF-8 content of a namespace file (relative path) or of a ``kestra://`` URI."""
        ...

    def file_uri(self, path: str) -> str:
        """The ``kestra:///`` URI of a namespace file."""
        ...

    def file_size(self, uri: str) -> int:
        """Size in bytes of a ``kestra://`` file or namespace file."""
        ...

    def file_exists(self, uri: str) -> bool:
        """Whether a ``kestra://`` file or namespace file exists."""
        ...

    def error_logs(self) -> list[dict[str, Any]]:
        """ERROR log entries of the current execution (``taskId``, ``message``, ...)."""
        ...


class NoServices:
    """The default: every outside-world function fails with a message that says why."""

    def _missing(self, what: str) -> Exception:
        from tercel.errors import TemplateError

        return TemplateError(f"`{what}()` is not available here: no runtime services were given")

    def secret(self, name: str) -> str:
        """Fail: no secret backend."""
        raise self._missing("secret")

    def kv(self, namespace: str | None, key: str, error_on_missing: bool) -> Any:
        """Fail: no KV store."""
        raise self._missing("kv")

    def read(self, path_or_uri: str) -> str:
        """Fail: no storage."""
        raise self._missing("read")

    def file_uri(self, path: str) -> str:
        """Fail: no storage."""
        raise self._missing("fileURI")

    def file_size(self, uri: str) -> int:
        """Fail: no storage."""
        raise self._missing("fileSize")

    def file_exists(self, uri: str) -> bool:
        """Fail: no storage."""
        raise self._missing("fileExists")

    def error_logs(self) -> list[dict[str, Any]]:
        """No logs known: an empty list (as in an execution without errors)."""
        return []
