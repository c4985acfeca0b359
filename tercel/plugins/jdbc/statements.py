"""Reading SQL text: splitting it into statements and binding Kestra's `:name` parameters.

Both need to know where string literals, quoted identifiers, comments and PostgreSQL
dollar-quoted bodies are, so that a `;` or a `:name` inside them is left alone. A single
left-to-right scan finds the "code" parts; everything else is copied unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Literal

ParamStyle = Literal["named", "dollar", "pyformat"]

_DOLLAR_TAG = re.compile(r"\$([A-Za-z_][A-Za-z_0-9]*)?\$")
_NAME = re.compile(r"[A-Za-z_][A-Za-z_0-9]*")


def _segments(sql: str) -> Iterator[tuple[bool, str]]:
    """(is_code, text) pieces of `sql`; literals and comments are not code."""
    i, start, n = 0, 0, len(sql)
    while i < n:
        char = sql[i]
        end = -1
        if char in ("'", '"', "`"):
            end = i + 1
            while end < n:
                if sql[end] == char:
                    if end + 1 < n and sql[end + 1] == char:  # doubled quote escapes
                        end += 2
                        continue
                    break
                end += 1
            end = min(end + 1, n)
        elif sql.startswith("--", i):
            newline = sql.find("\n", i)
            end = n if newline < 0 else newline
        elif sql.startswith("/*", i):
            close = sql.find("*/", i + 2)
            end = n if close < 0 else close + 2
        elif char == "$":
            tag = _DOLLAR_TAG.match(sql, i)
            if tag is not None and (i == 0 or not (sql[i - 1].isalnum() or sql[i - 1] == "_")):
                close = sql.find(tag.group(0), tag.end())
                end = n if close < 0 else close + len(tag.group(0))
        if end > i:
            if start < i:
                yield True, sql[start:i]
            yield False, sql[i:end]
            i = start = end
        else:
            i += 1
    if start < n:
        yield True, sql[start:]


def split_statements(sql: str) -> list[str]:
    """The statements of `sql` (separated by `;` outside literals), blank ones dropped."""
    statements: list[str] = []
    current: list[str] = []
    for is_code, text in _segments(sql):
        if not is_code:
            current.append(text)
            continue
        parts = text.split(";")
        for index, part in enumerate(parts):
            current.append(part)
            if index < len(parts) - 1:
                statements.append("".join(current))
                current = []
    statements.append("".join(current))
    return [s.strip() for s in statements if _has_code(s)]


def _has_code(statement: str) -> bool:
    return any(is_code and text.strip() for is_code, text in _segments(statement))


def bind_parameters(sql: str, names: set[str], style: ParamStyle) -> tuple[str, list[str]]:
    """Rewrite ``:name`` placeholders (only for `names`) into the driver's style.

    Returns the new SQL and the parameter names it uses, in order. `::type` casts and
    names that are not parameters are left unchanged. For ``pyformat`` (psycopg) every
    other ``%`` is doubled, since the driver then reads the text as a format string.
    """
    used: list[str] = []
    out: list[str] = []
    for is_code, text in _segments(sql):
        if not is_code:
            out.append(text.replace("%", "%%") if style == "pyformat" else text)
            continue
        i = 0
        while i < len(text):
            char = text[i]
            if char == ":" and text.startswith("::", i):
                out.append("::")
                i += 2
                continue
            if char == ":" and (i == 0 or text[i - 1] != ":"):
                match = _NAME.match(text, i + 1)
                if match is not None and match.group(0) in names:
                    name = match.group(0)
                    used.append(name)
                    out.append(_placeholder(name, style))
                    i = match.end()
                    continue
            out.append("%%" if char == "%" and style == "pyformat" else char)
            i += 1
    return "".join(out), used


def _placeholder(name: str, style: ParamStyle) -> str:
    if style == "dollar":
        return f"${name}"
    if style == "pyformat":
        return f"%({name})s"
    return f":{name}"
