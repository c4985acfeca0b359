"""The blueprint catalog: `catalog.yml` (metadata) and the flow files it names."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any

from ruamel.yaml import YAML

from tercel.errors import NotFoundError

#: The first top-level `namespace:` line of a flow file.
_NAMESPACE_LINE = re.compile(r"^namespace:[^\n]*$", re.MULTILINE)
#: A subflow call's `namespace:` that names the blueprint's own namespace.
_NAMESPACE_VALUE = re.compile(r"^(namespace:\s*)(\S+)\s*$", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Blueprint:
    """A ready-to-use flow (or a few flows that go together)."""

    id: str
    title: str
    description: str
    tags: tuple[str, ...]
    #: Flow files, callees first (a parent flow comes after the subflows it calls).
    files: tuple[str, ...]

    def sources(self) -> list[str]:
        """The YAML source of each flow, in `files` order."""
        folder = resources.files("tercel.blueprints") / "flows"
        return [(folder / name).read_text(encoding="utf-8") for name in self.files]

    @property
    def namespace(self) -> str:
        """The namespace the blueprint's flows are written for."""
        found = _NAMESPACE_VALUE.search(self.sources()[0])
        return found.group(2) if found else ""

    def text(self, namespace: str | None = None) -> str:
        """Every flow of the blueprint, as one YAML stream (``---`` between flows)."""
        sources = self.sources()
        if namespace:
            sources = [with_namespace(source, self.namespace, namespace) for source in sources]
        ended = [source if source.endswith("\n") else source + "\n" for source in sources]
        return "---\n".join(ended)


def with_namespace(source: str, old: str, new: str) -> str:
    """`source` with its namespace (and references to it, e.g. subflow calls) set to `new`."""
    if not _NAMESPACE_LINE.search(source):
        raise ValueError("the flow has no top-level `namespace:`")
    pattern = re.compile(rf"(\bnamespace:\s*[\"']?){re.escape(old)}([\"']?\s*$)", re.MULTILINE)
    return pattern.sub(lambda m: f"{m.group(1)}{new}{m.group(2)}", source)


@functools.cache
def all_blueprints() -> tuple[Blueprint, ...]:
    """Every blueprint of the catalog, in catalog order."""
    text = (resources.files("tercel.blueprints") / "catalog.yml").read_text(encoding="utf-8")
    entries: list[dict[str, Any]] = YAML(typ="safe").load(text)
    return tuple(
        Blueprint(
            id=str(entry["id"]),
            title=str(entry["title"]),
            description=str(entry.get("description", "")).strip(),
            tags=tuple(str(tag) for tag in entry.get("tags", [])),
            files=tuple(str(name) for name in entry["files"]),
        )
        for entry in entries
    )


def get_blueprint(blueprint_id: str) -> Blueprint:
    """The blueprint `blueprint_id` (NotFoundError listing the ids when unknown)."""
    for blueprint in all_blueprints():
        if blueprint.id == blueprint_id:
            return blueprint
    known = ", ".join(b.id for b in all_blueprints())
    raise NotFoundError(f"no blueprint `{blueprint_id}`; known blueprints: {known}")
