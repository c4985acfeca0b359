"""Descriptions of model properties written as ``#:`` comments above the field.

Plugin authors document a property once, next to its declaration::

    #: How long to wait before giving up (ISO-8601 duration).
    timeout: str | None = None

and `tercel schema` shows the text in editors (``Field(description=...)`` works too).
"""

from __future__ import annotations

import ast
import functools
import inspect
import textwrap

from pydantic import BaseModel


@functools.cache
def field_docs(cls: type[BaseModel]) -> dict[str, str]:
    """Field name → ``#:`` comment text, for `cls` and its bases (subclasses win)."""
    docs: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        if not (isinstance(klass, type) and issubclass(klass, BaseModel)):
            continue
        docs.update(_own_docs(klass))
    return docs


def _own_docs(cls: type) -> dict[str, str]:
    try:
        lines, _ = inspect.getsourcelines(cls)
    except (OSError, TypeError):
        return {}
    source = textwrap.dedent("".join(lines))
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return {}
    body = tree.body[0].body if tree.body and isinstance(tree.body[0], ast.ClassDef) else []
    source_lines = source.splitlines()
    docs: dict[str, str] = {}
    for node in body:
        if not (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)):
            continue
        comment: list[str] = []
        index = node.lineno - 2
        while index >= 0 and source_lines[index].strip().startswith("#:"):
            comment.insert(0, source_lines[index].strip()[2:].strip())
            index -= 1
        if comment:
            docs[node.target.id] = " ".join(comment)
    return docs
