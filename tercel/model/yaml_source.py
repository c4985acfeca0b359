"""YAML 1.2 documents as plain Python data, with the position of every key and value.

ruamel.yaml composes the node tree (YAML 1.2 resolution: ``yes``/``no`` stay strings);
we build the Python values ourselves so that timestamps stay strings, duplicate keys are
reported with the position of the *second* key, and every value gets a `Position`.
"""

from __future__ import annotations

import importlib.util
import io
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    CollectionEndEvent,
    CollectionStartEvent,
    DocumentStartEvent,
    ScalarEvent,
)
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.resolver import BaseResolver, implicit_resolvers
from ruamel.yaml.tag import Tag

from tercel.errors import Problem

#: One step into a document: a map key or a list index.
PathItem = str | int
Path = tuple[PathItem, ...]

_TAG = "tag:yaml.org,2002:"

#: Deepest nesting of lists and maps a document may have. libyaml's composer recurses in C
#: (a 100k-deep document crashes the process) and so does building the values: the limit is
#: checked on the event stream before anything is composed. Flows nest a few levels deep.
MAX_DEPTH = 100
#: Most aliases (``*name``) one document may use.
MAX_ALIASES = 1_000
#: Most values (scalars, lists, maps) the aliases of one document may stand for: nine levels
#: of ten aliases each are a few hundred bytes but a billion values (an "alias bomb"). Values
#: written out are bounded by the size of the text (the server's flow size limit) instead.
MAX_VALUES = 100_000


@dataclass(frozen=True, slots=True)
class Position:
    """A 1-based line and column in the source text."""

    line: int
    column: int


@dataclass
class PositionMap:
    """Where each value (and each map key) of one document is in the source.

    `values[path]` is the start of the value at `path` (for a map: its first key);
    `keys[path]` is the start of the key whose value is at `path`.
    """

    values: dict[Path, Position] = field(default_factory=dict)
    keys: dict[Path, Position] = field(default_factory=dict)
    #: Values that were copied from elsewhere (plugin defaults): new prefix → source prefix.
    redirects: dict[Path, Path] = field(default_factory=dict)

    def _resolve(self, path: Path) -> Path:
        for length in range(len(path), 0, -1):
            source = self.redirects.get(path[:length])
            if source is not None:
                return source + path[length:]
        return path

    def value(self, path: Path) -> Position:
        """Position of the value at `path`, or of its nearest known ancestor."""
        path = self._resolve(path)
        for length in range(len(path), -1, -1):
            found = self.values.get(path[:length])
            if found is not None:
                return found
        return Position(1, 1)

    def key(self, path: Path) -> Position:
        """Position of the key of the entry at `path` (falls back to its value)."""
        resolved = self._resolve(path)
        found = self.keys.get(resolved)
        return found if found is not None else self.value(path)

    def has(self, path: Path) -> bool:
        """Whether `path` exists in the source (not added by defaults or code)."""
        return self._resolve(path) in self.values


@dataclass
class Document:
    """One YAML document: its data (None when empty), positions, and problems found."""

    data: Any
    positions: PositionMap
    problems: list[Problem]
    #: 1-based line where the document starts in the file.
    start_line: int = 1


def _tag_of(node: Node) -> str:
    """The node's tag as text; cheap for the shared tags of `_Resolver12`."""
    tag = node.ctag
    if tag is None:
        return ""
    if tag.handle is None and isinstance(tag.suffix, str):
        return tag.suffix
    return str(tag)


def _position(node: Node) -> Position:
    mark = node.start_mark
    return Position(mark.line + 1, mark.column + 1)


class _Builder:
    """Turns a composed node tree into Python values, recording positions and problems."""

    def __init__(self, path_name: str) -> None:
        self.path_name = path_name
        self.positions = PositionMap()
        self.problems: list[Problem] = []
        self._active: set[int] = set()

    def problem(
        self, message: str, position: Position, location: Path, hint: str | None = None
    ) -> None:
        self.problems.append(
            Problem(
                message,
                self.path_name,
                position.line,
                position.column,
                hint,
                location=format_path(location),
            )
        )

    def build(self, node: Node, path: Path) -> Any:
        self.positions.values.setdefault(path, _position(node))
        if isinstance(node, ScalarNode):
            return self._scalar(node, path)
        if id(node) in self._active:
            self.problem("recursive YAML alias", _position(node), path)
            return None
        self._active.add(id(node))
        try:
            if isinstance(node, SequenceNode):
                return [self.build(item, (*path, index)) for index, item in enumerate(node.value)]
            if isinstance(node, MappingNode):
                return self._mapping(node, path)
        finally:
            self._active.discard(id(node))
        return None

    def _mapping(self, node: MappingNode, path: Path) -> dict[str, Any]:
        result: dict[str, Any] = {}
        merged: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if _tag_of(key_node) == _TAG + "merge":
                merged.update(self._merge_source(value_node, path))
                continue
            key = self._key(key_node, path)
            if key is None:
                continue
            child = (*path, key)
            if key in result:
                self.problem(
                    f"duplicate key `{format_path(child)}`",
                    _position(key_node),
                    child,
                    "a key may appear only once in a map",
                )
                continue
            self.positions.keys[child] = _position(key_node)
            result[key] = self.build(value_node, child)
        # Explicit keys win over `<<` merged ones, as YAML's merge key specifies.
        return {**merged, **result} if merged else result

    def _merge_source(self, node: Node, path: Path) -> dict[str, Any]:
        sources = node.value if isinstance(node, SequenceNode) else [node]
        merged: dict[str, Any] = {}
        for source in reversed(sources):
            value = self.build(source, path)
            if isinstance(value, dict):
                merged.update(value)
            else:
                self.problem("`<<` merge needs a map or a list of maps", _position(source), path)
        return merged

    def _key(self, node: Node, path: Path) -> str | None:
        if not isinstance(node, ScalarNode):
            self.problem("a map key must be a scalar", _position(node), path)
            return None
        value = self._scalar(node, path)
        # Kestra reads YAML into JSON trees: keys are strings (`1:` and `true:` too).
        if value is None:
            return "null" if node.value in ("~", "null", "Null", "NULL") else str(node.value)
        if isinstance(value, bool):
            return str(node.value)
        return str(value) if not isinstance(value, str) else value

    def _scalar(self, node: ScalarNode, path: Path) -> Any:
        tag = _tag_of(node)
        text: str = node.value
        if not tag.startswith(_TAG):
            return text
        kind = tag[len(_TAG) :]
        if kind == "null":
            return None
        if kind == "bool":
            return text.lower() == "true"
        if kind == "int":
            return self._int(node, text, path)
        if kind == "float":
            return self._float(node, text, path)
        # `str`, `timestamp` (kept as written, as Kestra does), `binary` and the rest.
        return text

    def _int(self, node: ScalarNode, text: str, path: Path) -> Any:
        cleaned = text.replace("_", "")
        sign = -1 if cleaned.startswith("-") else 1
        digits = cleaned.lstrip("+-")
        try:
            for prefix, base in (("0x", 16), ("0o", 8), ("0b", 2)):
                if digits.lower().startswith(prefix):
                    return sign * int(digits[2:], base)
            return sign * int(digits, 10)
        except ValueError:
            self.problem(f"`{text}` is not a valid integer", _position(node), path)
            return text

    def _float(self, node: ScalarNode, text: str, path: Path) -> Any:
        lowered = text.lower().replace("_", "")
        if lowered.endswith(".inf"):
            return -math.inf if lowered.startswith("-") else math.inf
        if lowered.endswith(".nan"):
            return math.nan
        try:
            return float(lowered)
        except ValueError:
            self.problem(f"`{text}` is not a valid number", _position(node), path)
            return text


def format_path(path: Path) -> str:
    """``("tasks", 2, "message")`` → ``tasks[2].message``."""
    text = ""
    for item in path:
        if isinstance(item, int):
            text += f"[{item}]"
        else:
            text += f".{item}" if text else str(item)
    return text


def _implicit_12() -> dict[str, list[tuple[str, re.Pattern[str]]]]:
    """ruamel's YAML 1.2 implicit scalar rules, indexed by first character."""
    table: dict[str, list[tuple[str, re.Pattern[str]]]] = {}
    for versions, tag, regexp, first in implicit_resolvers:
        if (1, 2) in versions:
            for char in first or [""]:
                # ruamel compiles its patterns lazily; compile once here instead.
                compiled = re.compile(regexp.pattern, regexp.flags)
                table.setdefault(char, []).append((tag, compiled))
    return table


class _Resolver12(BaseResolver):
    """YAML 1.2 scalar resolution without ruamel's per-scalar version lookups (~3x faster)."""

    _rules = _implicit_12()

    def __init__(self, version: Any = None, loadumper: Any = None) -> None:
        super().__init__(loadumper)

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Tag:
        if kind is ScalarNode:
            if implicit[0]:
                for tag, regexp in self._rules.get(value[:1], ()):
                    if regexp.match(value):
                        return _SHARED_TAGS[tag]
            return _SHARED_TAGS[_TAG + "str"]
        return _SHARED_TAGS[_TAG + ("seq" if kind is SequenceNode else "map")]


#: One `Tag` per resolved tag, shared by all nodes: ruamel caches a tag's text per object.
_SHARED_TAGS = {
    tag: Tag(suffix=tag)
    for tag in {
        *(_TAG + name for name in ("str", "seq", "map")),
        *(tag for rules in _Resolver12._rules.values() for tag, _ in rules),
    }
}


def _yaml() -> YAML:
    """ruamel's libyaml-based composer when `ruamel.yaml.clib` is installed (~20x faster).

    Both resolve plain scalars with YAML 1.2 rules; we only read the composed nodes.
    """
    if _HAS_CLIB:
        yaml = YAML(typ="safe", pure=False)
        yaml.Resolver = _Resolver12
        return yaml
    yaml = YAML(typ="rt")
    yaml.version = (1, 2)
    return yaml


#: Whether ruamel's C extension (package `ruamel.yaml.clib`) is installed.
_HAS_CLIB = importlib.util.find_spec("_ruamel_yaml") is not None


def _syntax_problem(error: Exception, path_name: str, source: str = "") -> Problem:
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    line = mark.line + 1 if mark is not None else 1
    column = mark.column + 1 if mark is not None else 1
    if isinstance(error, MarkedYAMLError):
        message = " ".join(
            part for part in (error.context, error.problem) if isinstance(part, str) and part
        )
    else:
        message = str(error).splitlines()[0] if str(error) else type(error).__name__
    hint = _syntax_hint(message, error, source.splitlines()[line - 1 : line])
    return Problem(f"invalid YAML: {message or 'syntax error'}", path_name, line, column, hint)


def _syntax_hint(message: str, error: Exception, lines: list[str]) -> str | None:
    """What usually causes this YAML error, in the words of someone writing a flow."""
    if "tab" in message or (lines and lines[0].lstrip(" ").startswith("\t")):
        return "YAML indents with spaces only: replace the tab with spaces"
    if "quoted scalar" in message and "end of stream" in message:
        start = getattr(error, "context_mark", None)
        where = f"; it starts at line {start.line + 1}" if start is not None else ""
        return f"a quoted string is not closed{where}"
    if "mapping values are not allowed" in message:
        return "check the indentation of this line; or, if a value contains `: `, quote the value"
    if "expected '-' indicator" in message or "expected <block end>" in message:
        return "check the indentation: the properties of one map start in the same column"
    return None


def _structure_limit(source: str, path_name: str) -> Problem | None:
    """The first place where `source` nests too deeply or expands too many aliases, if any.

    One pass over the event stream (libyaml's parser is a state machine: no recursion, no
    expansion), counting each anchor's size so that an alias costs what it expands to.
    Syntax errors are left to the composer, which stops at the same event.
    """
    sizes: dict[str, int] = {}
    #: Per open collection: values inside it so far, and its anchor.
    open_: list[list[Any]] = []
    aliases = 0
    expanded = 0  # values that aliases stand for: the builder copies each of them
    try:
        for event in _yaml().parse(io.StringIO(source)):
            if isinstance(event, DocumentStartEvent):
                sizes.clear()
                aliases = expanded = 0
                continue
            if isinstance(event, CollectionStartEvent):
                if len(open_) >= MAX_DEPTH:
                    return _limit_problem(
                        f"lists and maps are nested more than {MAX_DEPTH} levels deep",
                        event,
                        path_name,
                        "a flow needs a few levels; flatten this structure",
                    )
                open_.append([0, event.anchor])
                continue
            if isinstance(event, CollectionEndEvent):
                size, anchor = open_.pop()
                size += 1
            elif isinstance(event, ScalarEvent):
                size, anchor = 1, event.anchor
            elif isinstance(event, AliasEvent):
                aliases += 1
                # An alias of a collection still open is recursive: the builder reports it.
                size, anchor = sizes.get(event.anchor, 1), None
                expanded += size
                if aliases > MAX_ALIASES or expanded > MAX_VALUES:
                    return _limit_problem(
                        f"YAML aliases expand this document beyond {MAX_VALUES} values "
                        f"or {MAX_ALIASES} aliases (`*{event.anchor}` here)",
                        event,
                        path_name,
                        "an anchor used by aliases of itself multiplies at each level; "
                        "repeat less, or use pluginDefaults",
                    )
            else:
                continue
            if anchor is not None:
                sizes[anchor] = size
            if open_:
                open_[-1][0] += size
    except Exception:  # noqa: BLE001 - a syntax error: the composer reports it with context
        return None
    return None


def _limit_problem(message: str, event: Any, path_name: str, hint: str) -> Problem:
    mark = event.start_mark
    return Problem(message, path_name, mark.line + 1, mark.column + 1, hint)


def parse_documents(source: str, path_name: str = "<string>") -> list[Document]:
    """Parse every document of `source`; a syntax error becomes a `Document` with one problem.

    Documents before the syntax error are returned as parsed; nothing here raises. A
    document nested too deeply or whose aliases expand too much (`MAX_DEPTH`, `MAX_ALIASES`,
    `MAX_VALUES`) is one problem at that place, found before anything is built.
    """
    limit = _structure_limit(source, path_name)
    if limit is not None:
        return [Document(None, PositionMap(), [limit], limit.line)]
    documents: list[Document] = []
    nodes: Iterator[Node] = _yaml().compose_all(io.StringIO(source))
    try:
        for node in nodes:
            builder = _Builder(path_name)
            if node is None:
                documents.append(Document(None, builder.positions, [], 1))
                continue
            data = builder.build(node, ())
            documents.append(
                Document(data, builder.positions, builder.problems, node.start_mark.line + 1)
            )
    except YAMLError as error:
        documents.append(Document(None, PositionMap(), [_syntax_problem(error, path_name, source)]))
    except Exception as error:  # noqa: BLE001 - malformed input must never escape as a crash
        documents.append(Document(None, PositionMap(), [_syntax_problem(error, path_name, source)]))
    if not documents:
        documents.append(Document(None, PositionMap(), []))
    return documents
