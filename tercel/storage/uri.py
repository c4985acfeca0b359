"""``kestra:///...`` URIs of internal storage and where each kind of file lives.

Namespace dots become slashes and the flow id is slugified, as Kestra does, so that URIs a
Kestra user has seen (``kestra:///company/team/my-flow/executions/<id>/tasks/...``) look
the same here.

Every URI that reaches a storage backend or an access check is parsed once, by `parse`, into
its decoded path segments. Checks then compare segments, never raw strings, so that
``%65xecutions`` and ``executions`` are the same word and ``executions%2Fx`` is refused
instead of being one segment here and two on disk (see docs/architecture.md §4.6).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import quote, unquote

from tercel.errors import InvalidNameError

SCHEME = "kestra://"
_NON_WORD = re.compile(r"[^\w-]+")
_DASHES = re.compile(r"-{2,}")
#: Characters left as they are when a path segment is written into a URI.
_SAFE = "._-~"
#: One segment of a namespace: never empty, never starting with `_` or `.` (the names that
#: start with `_`, such as ``_files``, are the storage's own folders inside a namespace).
_NAMESPACE_SEGMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
#: Folder names the layout reserves inside a namespace folder.
NAMESPACE_FILES = "_files"
EXECUTIONS = "executions"


@dataclass(frozen=True, slots=True)
class StoragePath:
    """A parsed internal-storage URI: its decoded segments, and whether it names a folder."""

    segments: tuple[str, ...]
    #: True when the URI ended with ``/`` (a folder prefix, e.g. an execution's files).
    folder: bool = False

    @property
    def path(self) -> str:
        """The relative path on a backend (``a/b.txt``; a folder ends with ``/``)."""
        joined = "/".join(self.segments)
        return joined + "/" if self.folder and joined else joined

    @property
    def uri(self) -> str:
        """The canonical URI: each segment percent-encoded the same way."""
        return (
            SCHEME
            + "/"
            + "/".join(quote(part, safe=_SAFE) for part in self.segments)
            + ("/" if self.folder and self.segments else "")
        )

    def is_under(self, prefix: StoragePath) -> bool:
        """Whether this path is `prefix` itself or lies inside it, segment by segment."""
        size = len(prefix.segments)
        return self.segments[:size] == prefix.segments


def _refuse(uri: str, why: str) -> InvalidNameError:
    return InvalidNameError(f"invalid internal storage URI {uri!r}: {why}")


def parse(uri: str) -> StoragePath:
    """The one parser of internal-storage URIs: every backend and every check uses it.

    Refused (InvalidNameError): another scheme, ``.`` and ``..`` segments, empty segments
    (``a//b``), and, in raw or percent-encoded form, ``/`` or ``\\`` inside a segment, NUL
    and other control characters. A query or fragment is not part of a storage URI.
    """
    if not isinstance(uri, str) or not uri.startswith(SCHEME):
        raise InvalidNameError(f"not an internal storage URI (kestra:///...): {uri!r}")
    raw = uri[len(SCHEME) :]
    if "?" in raw or "#" in raw:
        raise _refuse(uri, "a query or fragment is not allowed (encode `?` as %3F)")
    if "\\" in raw:
        raise _refuse(uri, "backslashes are not allowed")
    folder = raw.endswith("/")
    body = raw.strip("/")
    if not body:
        return StoragePath((), folder=True)
    segments: list[str] = []
    for encoded in body.split("/"):
        try:
            part = unquote(encoded, errors="strict")
        except UnicodeDecodeError:
            raise _refuse(uri, "percent-encoded bytes that are not UTF-8") from None
        if part == "":
            raise _refuse(uri, "empty path segment (`//`)")
        if part in (".", ".."):
            raise _refuse(uri, "`.` and `..` segments are not allowed")
        if "/" in part or "\\" in part:
            raise _refuse(uri, "an encoded `/` or `\\` (%2F, %5C) inside a segment")
        if any(ord(char) < 0x20 or ord(char) == 0x7F for char in part):
            raise _refuse(uri, "control characters (NUL, newline...) are not allowed")
        segments.append(part)
    return StoragePath(tuple(segments), folder=folder)


def normalize(uri: str) -> str:
    """The canonical form of a URI (`parse` then re-encode); the same file, the same text."""
    return parse(uri).uri


def slugify(text: str) -> str:
    """Kestra's slug of a flow or task id: lower case, runs of other characters become '-'."""
    normalized = unicodedata.normalize("NFD", text)
    ascii_text = normalized.encode("ascii", "ignore").decode("ascii")
    slug = _DASHES.sub("-", _NON_WORD.sub("-", ascii_text)).strip("-")
    return slug.lower()


def namespace_segments(namespace: str) -> tuple[str, ...]:
    """``company.team`` → ``("company", "team")``; refuses names that would alias another.

    An empty segment (``a..b``, ``a.b.``) would land in ``a/b``; a segment starting with
    ``_`` (``a._files``) in a folder the storage reserves inside namespace ``a``; a segment
    ``executions`` (``a.f.executions.<id>``) inside the files of an execution of flow ``f``.
    """
    parts = tuple(namespace.split("."))
    if not all(_NAMESPACE_SEGMENT.fullmatch(part) for part in parts):
        raise InvalidNameError(
            f"invalid namespace {namespace!r}: dot-separated parts of letters, digits, `_` "
            "and `-`, none empty and none starting with `_` or `-`"
        )
    if EXECUTIONS in parts:
        raise InvalidNameError(
            f"invalid namespace {namespace!r}: `{EXECUTIONS}` cannot be a part of a namespace "
            "name (internal storage keeps each execution's files in a folder of that name)"
        )
    return parts


def namespace_path(namespace: str) -> str:
    """``company.team`` → ``company/team`` (checked by `namespace_segments`)."""
    return "/".join(namespace_segments(namespace))


def _flow_slug(flow_id: str) -> str:
    slug = slugify(flow_id)
    if not slug or slug.startswith("_") or slug == EXECUTIONS:
        raise InvalidNameError(
            f"invalid flow id {flow_id!r} for internal storage (`{EXECUTIONS}` and names "
            "starting with `_` are the storage's own folder names)"
        )
    return slug


def is_internal(uri: str) -> bool:
    """True for a ``kestra://`` URI."""
    return uri.startswith(SCHEME)


def to_path(uri: str) -> str:
    """The relative path a URI names (``kestra:///a/b.txt`` → ``a/b.txt``), checked safe."""
    return parse(uri).path


def from_path(path: str) -> str:
    """The URI of a relative path (``a/b c.txt`` → ``kestra:///a/b%20c.txt``)."""
    return SCHEME + "/" + quote(path.lstrip("/"), safe="/" + _SAFE)


def execution_path(namespace: str, flow_id: str, execution_id: str) -> StoragePath:
    """The folder of everything an execution stored, parsed."""
    if not _NAMESPACE_SEGMENT.fullmatch(execution_id):
        raise InvalidNameError(f"invalid execution id {execution_id!r} for internal storage")
    return StoragePath(
        (*namespace_segments(namespace), _flow_slug(flow_id), EXECUTIONS, execution_id),
        folder=True,
    )


def namespace_files_path(namespace: str) -> StoragePath:
    """The folder of a namespace's files (``<ns>/_files/``), parsed."""
    return StoragePath((*namespace_segments(namespace), NAMESPACE_FILES), folder=True)


def execution_prefix(namespace: str, flow_id: str, execution_id: str) -> str:
    """``kestra:///<ns>/<flow>/executions/<id>/``: everything an execution stored."""
    return execution_path(namespace, flow_id, execution_id).uri


def task_file(
    namespace: str, flow_id: str, execution_id: str, *, task_id: str, task_run_id: str, name: str
) -> str:
    """Where a task run's file goes: ``.../executions/<id>/tasks/<task>/<taskRunId>/<name>``."""
    prefix = execution_prefix(namespace, flow_id, execution_id)
    return prefix + quote(f"tasks/{slugify(task_id)}/{task_run_id}/{name}", safe="/" + _SAFE)


def input_file(namespace: str, flow_id: str, execution_id: str, input_id: str, name: str) -> str:
    """Where a FILE input goes: ``.../executions/<id>/inputs/<input>/<filename>``."""
    prefix = execution_prefix(namespace, flow_id, execution_id)
    return prefix + quote(f"inputs/{input_id}/{name}", safe="/" + _SAFE)


def trigger_file(
    namespace: str, flow_id: str, execution_id: str, trigger_id: str, name: str
) -> str:
    """Where a trigger's file goes: ``.../executions/<id>/trigger/<trigger>/<name>``."""
    prefix = execution_prefix(namespace, flow_id, execution_id)
    return prefix + quote(f"trigger/{trigger_id}/{name}", safe="/" + _SAFE)


def namespace_file(namespace: str, path: str = "") -> str:
    """A namespace file: ``kestra:///<ns>/_files/<path>`` (no path: the folder)."""
    return namespace_files_path(namespace).uri + quote(path.lstrip("/"), safe="/" + _SAFE)


def namespace_file_path(namespace: str, uri: str) -> str:
    """The path of a namespace file inside its namespace (inverse of `namespace_file`)."""
    root = namespace_files_path(namespace)
    parsed = parse(uri)
    if not parsed.is_under(root):
        raise InvalidNameError(f"{uri!r} is not a file of namespace `{namespace}`")
    return "/".join(parsed.segments[len(root.segments) :])
