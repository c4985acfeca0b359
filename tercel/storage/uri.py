"""``kestra:///...`` URIs of internal storage (Kestra §10.1) and where each kind of file lives.

Namespace dots become slashes and the flow id is slugified, as Kestra does, so that URIs a
Kestra user has seen (``kestra:///company/team/my-flow/executions/<id>/tasks/...``) look
the same here.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote, unquote

from tercel.errors import InvalidNameError

SCHEME = "kestra://"
_NON_WORD = re.compile(r"[^\w-]+")
_DASHES = re.compile(r"-{2,}")


def slugify(text: str) -> str:
    """Kestra's slug of a flow or task id: lower case, runs of other characters become '-'."""
    normalized = unicodedata.normalize("NFD", text)
    ascii_text = normalized.encode("ascii", "ignore").decode("ascii")
    slug = _DASHES.sub("-", _NON_WORD.sub("-", ascii_text)).strip("-")
    return slug.lower()


def namespace_path(namespace: str) -> str:
    """``company.team`` → ``company/team``."""
    return namespace.replace(".", "/")


def is_internal(uri: str) -> bool:
    """True for a ``kestra://`` URI."""
    return uri.startswith(SCHEME)


def to_path(uri: str) -> str:
    """The relative path a URI names (``kestra:///a/b.txt`` → ``a/b.txt``), checked safe."""
    if not is_internal(uri):
        raise InvalidNameError(f"not an internal storage URI (kestra:///...): {uri!r}")
    path = unquote(uri[len(SCHEME) :]).lstrip("/")
    parts = path.split("/")
    if any(part in ("..", ".") for part in parts) or "\\" in path or "\x00" in path:
        raise InvalidNameError(f"internal storage URI must not contain '.', '..' or '\\': {uri!r}")
    return path


def from_path(path: str) -> str:
    """The URI of a relative path (``a/b c.txt`` → ``kestra:///a/b%20c.txt``)."""
    return SCHEME + "/" + quote(path.lstrip("/"), safe="/._-~")


def execution_prefix(namespace: str, flow_id: str, execution_id: str) -> str:
    """``kestra:///<ns>/<flow>/executions/<id>/``: everything an execution stored."""
    return from_path(f"{namespace_path(namespace)}/{slugify(flow_id)}/executions/{execution_id}/")


def task_file(
    namespace: str, flow_id: str, execution_id: str, *, task_id: str, task_run_id: str, name: str
) -> str:
    """Where a task run's file goes: ``.../executions/<id>/tasks/<task>/<taskRunId>/<name>``."""
    prefix = execution_prefix(namespace, flow_id, execution_id)
    return prefix + quote(f"tasks/{slugify(task_id)}/{task_run_id}/{name}", safe="/._-~")


def input_file(namespace: str, flow_id: str, execution_id: str, input_id: str, name: str) -> str:
    """Where a FILE input goes: ``.../executions/<id>/inputs/<input>/<filename>``."""
    prefix = execution_prefix(namespace, flow_id, execution_id)
    return prefix + quote(f"inputs/{input_id}/{name}", safe="/._-~")


def trigger_file(
    namespace: str, flow_id: str, execution_id: str, trigger_id: str, name: str
) -> str:
    """Where a trigger's file goes: ``.../executions/<id>/trigger/<trigger>/<name>``."""
    prefix = execution_prefix(namespace, flow_id, execution_id)
    return prefix + quote(f"trigger/{trigger_id}/{name}", safe="/._-~")


def namespace_file(namespace: str, path: str = "") -> str:
    """A namespace file: ``kestra:///<ns>/_files/<path>`` (no path: the folder)."""
    return from_path(f"{namespace_path(namespace)}/_files/{path.lstrip('/')}")


def namespace_file_path(namespace: str, uri: str) -> str:
    """The path of a namespace file inside its namespace (inverse of `namespace_file`)."""
    prefix = to_path(namespace_file(namespace))
    path = to_path(uri)
    if not path.startswith(prefix):
        raise InvalidNameError(f"{uri!r} is not a file of namespace `{namespace}`")
    return path[len(prefix) :]
