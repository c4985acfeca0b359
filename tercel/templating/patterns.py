"""Regular expressions written by template authors, run with a time limit.

Patterns come from flows (``replace(..., regexp=true)``, ``split``, ``matches``...): a
catastrophic-backtracking pattern must not hang a worker, so they run on the `regex`
module with a timeout. Java's ``$1`` group references are accepted in replacements.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import regex  # type: ignore[import-untyped]

from tercel.errors import TemplateError, TemplateSecurityError
from tercel.templating import limits

#: Seconds one regular-expression operation may take.
TIMEOUT_SECONDS = 1.0


@lru_cache(maxsize=256)
def compile_pattern(pattern: str) -> Any:
    """Compile (cached); a bad pattern is a `TemplateError` naming it."""
    try:
        return regex.compile(pattern, regex.VERSION0)
    except regex.error as error:
        raise TemplateError(f"invalid regular expression `{pattern}`: {error}") from None


def _timed_out(pattern: str) -> TemplateSecurityError:
    return TemplateSecurityError(
        f"regular expression `{pattern}` took over {TIMEOUT_SECONDS:g}s (too much backtracking)"
    )


def java_replacement(replacement: str) -> str:
    """Java's ``$1``/``${name}`` group references, in Python's ``\\g<1>`` form."""
    out: list[str] = []
    index = 0
    while index < len(replacement):
        char = replacement[index]
        if char == "\\" and index + 1 < len(replacement):
            out.append("\\\\" if replacement[index + 1] == "\\" else replacement[index + 1])
            index += 2
            continue
        if char == "$" and index + 1 < len(replacement):
            rest = replacement[index + 1 :]
            if rest[0] == "{" and "}" in rest:
                name = rest[1 : rest.index("}")]
                out.append(f"\\g<{name}>")
                index += len(name) + 3
                continue
            digits = len(rest) - len(rest.lstrip("0123456789"))
            if digits:
                out.append(f"\\g<{rest[:digits]}>")
                index += digits + 1
                continue
        out.append("\\\\" if char == "\\" else char)
        index += 1
    return "".join(out)


def substitute(pattern: str, replacement: str, text: str) -> str:
    """``String.replaceAll``: every match replaced, within time and size limits."""
    compiled = compile_pattern(pattern)
    template = java_replacement(replacement)
    try:
        matches = sum(1 for _ in compiled.finditer(text, timeout=TIMEOUT_SECONDS))
        limits.check_length(len(text) + matches * len(replacement))
        return str(compiled.sub(template, text, timeout=TIMEOUT_SECONDS))
    except TimeoutError:
        raise _timed_out(pattern) from None
    except (regex.error, IndexError) as error:
        raise TemplateError(f"invalid replacement `{replacement}`: {error}") from None


def split(pattern: str, text: str, maxsplit: int = 0) -> list[str]:
    """Split on a pattern (capture groups are not kept, as in Java)."""
    compiled = compile_pattern(pattern)
    try:
        parts: list[str] = []
        start = 0
        for match in compiled.finditer(text, timeout=TIMEOUT_SECONDS):
            if maxsplit and len(parts) >= maxsplit:
                break
            if match.end() == 0:
                continue  # Java: a zero-width match at the start makes no empty first part
            if match.start() == match.end() and match.start() >= len(text):
                break
            parts.append(text[start : match.start()])
            start = match.end()
        parts.append(text[start:])
        return parts
    except TimeoutError:
        raise _timed_out(pattern) from None


def full_match(pattern: str, text: str) -> bool:
    """Whether the whole text matches."""
    try:
        return compile_pattern(pattern).fullmatch(text, timeout=TIMEOUT_SECONDS) is not None
    except TimeoutError:
        raise _timed_out(pattern) from None


def search(pattern: str, text: str) -> bool:
    """Whether the pattern matches somewhere in the text."""
    try:
        return compile_pattern(pattern).search(text, timeout=TIMEOUT_SECONDS) is not None
    except TimeoutError:
        raise _timed_out(pattern) from None


def bounded_replace(text: str, old: str, new: str) -> str:
    """``str.replace`` that refuses to build an oversized result."""
    count = len(text) + 1 if old == "" else text.count(old)
    limits.check_length(len(text) + count * max(len(new) - len(old), 0))
    return text.replace(old, new)
