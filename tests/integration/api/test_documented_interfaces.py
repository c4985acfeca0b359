"""The docs promise only what exists: every CLI command and API endpoint they name is there.

A paragraph, list item or table row that says "not built yet" describes a plan, not the
program, and is left out.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer

from tercel.api.app import create_app
from tercel.cli.app import app as cli_app
from tercel.store.sql import SqlStore

ROOT = Path(__file__).resolve().parents[3]
DOCS = [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]
_ENDPOINT = re.compile(
    r"^((?:GET|POST|PUT|DELETE|PATCH)(?:/(?:GET|POST|PUT|DELETE|PATCH))*) (/\S*)"
)
_COMMAND = re.compile(r"(?:^|[\s`(])(?:\.venv/bin/)?tercel((?: [a-z][a-z-]*)+)")
_CODE = re.compile(r"`([^`\n]+)`")


def blocks(text: str) -> Iterator[str]:
    """Paragraphs, list items, table rows and fenced code lines of a Markdown text."""
    current: list[str] = []
    fenced = False
    for line in text.splitlines():
        if line.startswith("```"):
            fenced = not fenced
            continue
        starts_item = fenced or line.startswith(("|", "- ", "* ", "#")) or not line.strip()
        if starts_item and current:
            yield " ".join(current)
            current = []
        if fenced or line.startswith("|"):
            yield line if not fenced else f"`{line}`"
        elif line.strip():
            current.append(line)
    if current:
        yield " ".join(current)


def claimed(path: Path) -> Iterator[str]:
    """The blocks of `path` that describe what exists (not plans)."""
    for block in blocks(path.read_text(encoding="utf-8")):
        if "not built yet" not in block.lower():
            yield block


def documented_endpoints() -> set[tuple[str, str, str]]:
    """(doc, method, path) of every `METHOD /path` code span in the docs."""
    found: set[tuple[str, str, str]] = set()
    for doc in DOCS:
        for block in claimed(doc):
            for span in _CODE.findall(block):
                match = _ENDPOINT.match(span)
                if match is None:
                    continue
                path = match.group(2).split("?", 1)[0]
                for method in match.group(1).split("/"):
                    found.add((doc.name, method, path))
    return found


def documented_commands() -> set[tuple[str, tuple[str, ...]]]:
    """(doc, words) of every `tercel word...` in code spans and code blocks of the docs."""
    found: set[tuple[str, tuple[str, ...]]] = set()
    for doc in DOCS:
        for block in claimed(doc):
            for span in _CODE.findall(block):
                for match in _COMMAND.finditer(span):
                    found.add((doc.name, tuple(match.group(1).split())))
    return found


def _normalize(path: str) -> str:
    return re.sub(r"\{[^}]*\}", "{}", path.rstrip("/")) or "/"


@pytest.fixture(scope="module")
def api_routes(tmp_path_factory: pytest.TempPathFactory) -> set[tuple[str, str]]:
    store = SqlStore.open(f"sqlite:///{tmp_path_factory.mktemp('docs') / 'tercel.db'}")
    try:
        paths = create_app(store).openapi()["paths"]
    finally:
        store.close()
    routes = set()
    for path, operations in paths.items():
        for method in operations:
            routes.add((method.upper(), _normalize(path)))
    return routes


def test_the_docs_name_endpoints_at_all() -> None:
    endpoints = documented_endpoints()
    assert len(endpoints) > 40
    assert ("server.md", "GET", "/ui/failures") in endpoints


def test_every_documented_endpoint_exists(api_routes: set[tuple[str, str]]) -> None:
    missing = [
        f"{doc}: {method} {path}"
        for doc, method, path in sorted(documented_endpoints())
        if (method, _normalize(path)) not in api_routes
        and (method, _normalize("/api/v1/{tenant}" + path)) not in api_routes
    ]
    assert missing == []


def _is_group(command: Any) -> bool:
    # Typer ships its own copy of click: a group is what has sub-commands.
    return callable(getattr(command, "list_commands", None))


def _resolves(root: Any, words: tuple[str, ...]) -> bool:
    """Whether `tercel words...` names a command or a command group (words after a command
    are its arguments)."""
    command = root
    for word in words:
        if not _is_group(command):
            return True
        found = command.get_command(None, word)
        if found is None:
            return False
        command = found
    return True


def test_every_documented_command_exists() -> None:
    root = typer.main.get_command(cli_app)
    assert _is_group(root)
    commands = documented_commands()
    assert {words for _, words in commands} >= {("run",), ("validate",), ("server", "local")}
    missing = [
        f"{doc}: tercel {' '.join(words)}"
        for doc, words in sorted(commands)
        if not _resolves(root, words)
    ]
    assert missing == []
