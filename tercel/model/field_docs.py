"""Descriptions of model properties written as ``#:`` comments above the field.

Plugin authors document a property once, next to its declaration::

    #: How long to wait before giving up (ISO-8601 duration).
    timeout: str | None = None

and `tercel schema` shows the text in editors (``Field(description=...)`` works too).
"""

from __future__ import annotations

import ast
import functools
import sys
from pathlib import Path

from pydantic import BaseModel


@functools.cache
def field_docs(cls: type[BaseModel]) -> dict[str, str]:
    """Field name → ``#:`` comment text, for `cls` and its bases (subclasses win)."""
    docs: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        if isinstance(klass, type) and issubclass(klass, BaseModel) and klass is not BaseModel:
            docs.update(_module_docs(klass.__module__).get(klass.__qualname__, {}))
    return docs


@functools.cache
def _module_docs(module_name: str) -> dict[str, dict[str, str]]:
    """Class qualname → field → comment, for every class of a module (parsed once)."""
    module = sys.modules.get(module_name)
    filename = getattr(module, "__file__", None)
    if not filename:
        return {}
    try:
        source = Path(filename).read_text(encoding="utf-8")
        tree = ast.parse(source)
    except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
        return {}
    lines = source.splitlines()
    found: dict[str, dict[str, str]] = {}

    def visit(body: list[ast.stmt], prefix: str) -> None:
        for node in body:
            if isinstance(node, ast.ClassDef):
                name = f"{prefix}{node.name}"
                found[name] = _class_docs(node, lines)
                visit(node.body, f"{name}.")

    visit(tree.body, "")
    return found


def _class_docs(node: ast.ClassDef, lines: list[str]) -> dict[str, str]:
    docs: dict[str, str] = {}
    for statement in node.body:
        if not (isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name)):
            continue
        comment: list[str] = []
        index = statement.lineno - 2
        while index >= 0 and lines[index].strip().startswith("#:"):
            comment.insert(0, lines[index].strip()[2:].strip())
            index -= 1
        if comment:
            docs[statement.target.id] = " ".join(comment)
    return docs
