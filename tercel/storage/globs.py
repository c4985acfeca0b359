"""File patterns as Kestra evaluates them: ``glob:<glob>``, ``regex:<regex>`` or a bare glob.

Every file pattern Tercel evaluates goes through here (`outputFiles`, `namespaceFiles`
include/exclude, the namespace and storage tasks, WorkingDirectory caches), so one pattern
means the same thing everywhere. Patterns are matched against a whole relative path with
``/`` separators (``out/sub/a.csv``):

* ``*`` and ``?`` stay inside one folder, ``**`` crosses folders (``out/**`` is every file
  under ``out``, at any depth), ``{a,b}`` is either, ``[abc]`` / ``[!abc]`` a class, ``\\``
  escapes the next character: Java's glob syntax, which Kestra uses;
* ``**/`` may also match no folder at all (``**/*.csv`` includes ``a.csv``). In a working
  directory Kestra would skip a top-level file there; matching it is what users expect, and a
  flow that works on Kestra works the same;
* a leading ``/`` is the root of the tree being matched;
* for namespace files (`any_depth=True`), a bare glob that starts with a letter, digit or
  ``_`` matches at any depth (``test.txt`` is ``**/test.txt``), as Kestra does.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from tercel.errors import TaskError

_GLOB = "glob:"
_REGEX = "regex:"
_WORD_START = re.compile(r"^\w")


def glob_regex(glob: str) -> str:
    """The regular expression (for `fullmatch`) of a Java-style glob."""
    out: list[str] = []
    index = 0
    in_group = False
    while index < len(glob):
        char = glob[index]
        if glob.startswith("**/", index):
            out.append("(?:.*/)?")
            index += 3
            continue
        if glob.startswith("**", index):
            out.append(".*")
            index += 2
            continue
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "\\" and index + 1 < len(glob):
            index += 1
            out.append(re.escape(glob[index]))
        elif char == "[":
            end = glob.find("]", index + 2)
            if end == -1:
                out.append(re.escape(char))
            else:
                body = glob[index + 1 : end]
                negate = body.startswith("!")
                body = body[1:] if negate else body
                escaped = body.replace("\\", "\\\\").replace("^", "\\^")
                out.append(f"[^/{escaped}]" if negate else f"[{escaped}]")
                index = end
        elif char == "{" and not in_group:
            in_group = True
            out.append("(?:")
        elif char == "}" and in_group:
            in_group = False
            out.append(")")
        elif char == "," and in_group:
            out.append("|")
        else:
            out.append(re.escape(char))
        index += 1
    if in_group:
        raise TaskError(f"invalid file pattern `{glob}`: `{{` is not closed")
    return "".join(out)


def compile_pattern(pattern: str, *, any_depth: bool = False) -> re.Pattern[str]:
    """Compile one pattern into a regex matched (full) against relative paths.

    `any_depth` is the namespace-file rule: a bare glob starting with a word character
    matches at any depth.
    """
    if pattern.startswith(_REGEX):
        source = pattern[len(_REGEX) :]
        # Kestra matches regexes against paths that start with "/"; ours do not.
        if source.startswith("/"):
            source = source[1:]
        elif source.startswith("^/"):
            source = "^" + source[2:]
    else:
        glob = pattern.removeprefix(_GLOB)
        if any_depth and not pattern.startswith(_GLOB) and _WORD_START.match(glob):
            glob = "**/" + glob
        source = glob_regex(glob.lstrip("/"))
    try:
        return re.compile(source)
    except re.error as error:
        raise TaskError(f"invalid file pattern `{pattern}`: {error}") from None


def compile_patterns(patterns: Iterable[str], *, any_depth: bool = False) -> list[re.Pattern[str]]:
    """Compile several patterns (see `compile_pattern`)."""
    return [compile_pattern(str(pattern), any_depth=any_depth) for pattern in patterns]


def matches(patterns: Iterable[re.Pattern[str]], path: str) -> bool:
    """Whether relative `path` (a leading ``/`` is ignored) fully matches any pattern."""
    relative = path.lstrip("/")
    return any(pattern.fullmatch(relative) for pattern in patterns)


def selected(
    path: str,
    include: Iterable[re.Pattern[str]] | None,
    exclude: Iterable[re.Pattern[str]] | None,
) -> bool:
    """Kestra's include/exclude rule: in `include` (all when empty) and not in `exclude`."""
    include = list(include or [])
    if include and not matches(include, path):
        return False
    return not matches(exclude or [], path)


def matching_files(root: Path, patterns: Iterable[str]) -> list[Path]:
    """The files under `root` whose relative path matches any of `patterns`, sorted."""
    compiled = compile_patterns(patterns)
    if not compiled:
        return []
    found = []
    for path in sorted(root.rglob("*")):
        if path.is_file() and matches(compiled, path.relative_to(root).as_posix()):
            found.append(path)
    return found
