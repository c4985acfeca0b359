"""The namespace name rule, in one place: the model, the API, the CLI and storage use it.

A namespace is lower-case dotted segments, e.g. ``company.team``: letters, digits, ``_`` and
``-``; the first character a letter or a digit; no empty segment (``a..b``, ``a.``, ``.a``),
which would otherwise name the same storage folder as ``a.b`` or ``a``::

    check_namespace("company.team")       # returns it
    check_namespace("a..b")               # InvalidNameError("namespace: ... empty segment")
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

from tercel.errors import InvalidNameError

#: Kestra's namespace characters, with every dot-separated segment non-empty.
NAMESPACE_PATTERN = r"^[a-z0-9][a-z0-9_-]*(?:\.[a-z0-9_-]+)*$"
MAX_NAMESPACE_LENGTH = 150
_NAMESPACE = re.compile(NAMESPACE_PATTERN)


def namespace_problem(name: str) -> str | None:
    """Why `name` is not a valid namespace, or None when it is."""
    if not name:
        return "a namespace is required"
    if len(name) > MAX_NAMESPACE_LENGTH:
        return f"a namespace is at most {MAX_NAMESPACE_LENGTH} characters long"
    parts = name.split(".")
    if "" in parts:
        return f"{name!r} has an empty segment: no leading, trailing or doubled dots"
    if any(part.startswith(("_", "-")) for part in parts):
        # Internal storage keeps its own folders (`_files`...) under a namespace's folder.
        return f"{name!r} has a segment starting with `_` or `-`, which storage reserves"
    if "executions" in parts:
        # ... and each execution's files under `<flow>/executions/`.
        return f"{name!r} has a segment `executions`, which storage reserves"
    if _NAMESPACE.match(name):
        return None
    return (
        f"{name!r} is not a valid namespace: lower-case letters, digits, '_' and '-', "
        "in segments separated by single dots, starting with a letter or a digit"
    )


def check_namespace(name: str, field: str = "namespace") -> str:
    """Return `name` when valid; raise `InvalidNameError` naming `field` otherwise."""
    problem = namespace_problem(name)
    if problem is not None:
        raise InvalidNameError(f"{field}: {problem}")
    return name


def _validated(name: str) -> str:
    problem = namespace_problem(name)
    if problem is not None:
        raise PydanticCustomError("namespace", f"`namespace`: {problem}")
    return name


#: A model field holding a namespace (the JSON Schema keeps the pattern for editors).
NamespaceName = Annotated[
    str,
    Field(json_schema_extra={"pattern": NAMESPACE_PATTERN, "maxLength": MAX_NAMESPACE_LENGTH}),
    AfterValidator(_validated),
]
