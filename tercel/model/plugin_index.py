"""The plugin index: which module registers each type name, cached between processes.

Importing every plugin module (about 180 pydantic models) costs more than a second, while a
flow usually uses a handful of types. The first process that needs the registry imports them
all and writes, per type name, the module that registered it; later processes import only the
modules of the types they look up.

The cache is keyed by a fingerprint of what could change the answer: the `tercel.plugins`
entry points (name, target, distribution and version) and the size and modification time of
every Python file under each entry point's package, so editing or adding a plugin module, or
installing another plugin package, makes a new index. Stat-ing ~150 files takes about a
millisecond. A cache that cannot be read or written is ignored: the registry then imports
everything, as it would without the index.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import os
from pathlib import Path

#: Type name (canonical or alias) -> module whose import registers it.
Index = dict[str, str]

_CORE_PACKAGE = "tercel.plugins.core"
_KEEP = 8


def cache_dir() -> Path:
    """Where the index is kept: `$TERCEL_CACHE_DIR`, else `$XDG_CACHE_HOME/tercel`."""
    configured = os.environ.get("TERCEL_CACHE_DIR")
    if configured:
        return Path(configured)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "tercel"


def packages(entry_points: list[importlib.metadata.EntryPoint]) -> set[str]:
    """The modules the index covers: the core plugins and each entry point's module."""
    return {_CORE_PACKAGE, *(entry_point.module for entry_point in entry_points)}


def covers(module: str, covered: set[str]) -> bool:
    """Whether `module` is one of `covered` or inside one of them.

    Types registered from anywhere else (a test module, a script) are left out of the
    index: its fingerprint would not see them change.
    """
    return any(module == package or module.startswith(f"{package}.") for package in covered)


def fingerprint(entry_points: list[importlib.metadata.EntryPoint]) -> str:
    """A digest of the entry points and of every source file of their packages."""
    digest = hashlib.sha256()
    for entry_point in entry_points:
        dist = entry_point.dist
        version = f"{dist.name}=={dist.version}" if dist is not None else "?"
        digest.update(f"{entry_point.name}={entry_point.value}@{version}\n".encode())
    for package in sorted(packages(entry_points)):
        for path in _source_files(package):
            stat = path.stat()
            digest.update(f"{path}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:32]


def _source_files(module: str) -> list[Path]:
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return []
    if spec is None:
        return []
    if spec.submodule_search_locations:
        return sorted(
            path
            for location in spec.submodule_search_locations
            for path in Path(location).rglob("*.py")
        )
    return [Path(spec.origin)] if spec.origin else []


def load(key: str) -> Index | None:
    """The cached index for `key`, or None when there is none (or it is unreadable)."""
    try:
        data = json.loads((cache_dir() / f"plugin-index-{key}.json").read_text("utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not all(
        isinstance(name, str) and isinstance(module, str) for name, module in data.items()
    ):
        return None
    return data


def save(key: str, index: Index) -> None:
    """Write the index for `key` atomically; failing to write is not an error."""
    folder = cache_dir()
    target = folder / f"plugin-index-{key}.json"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        # Several installs (virtual environments, checkouts) may share the cache: keep the
        # newest few indexes rather than only this one, so that they do not evict each other.
        others = sorted(
            (path for path in folder.glob("plugin-index-*.json") if path != target),
            key=lambda path: path.stat().st_mtime,
        )
        for stale in others[:-_KEEP]:
            stale.unlink(missing_ok=True)
        partial = folder / f".plugin-index-{key}.{os.getpid()}.tmp"
        partial.write_text(json.dumps(index, sort_keys=True), "utf-8")
        partial.replace(target)
    except OSError:
        return
