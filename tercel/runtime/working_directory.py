"""What a worker does around a WorkingDirectory's children: files in, files out, cache.

Before the children run: the cache (if any, and not expired) is unpacked, namespace files
and `inputFiles` are written. After them: `outputFiles` are uploaded (the WorkingDirectory's
outputs) and files matching the cache `patterns` are packed back into the cache.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from tercel.errors import TaskError, TemplateError
from tercel.runtime.template_places import Placer, with_place
from tercel.storage import globs
from tercel.storage.api import CHUNK_SIZE

if TYPE_CHECKING:
    from tercel.engine.execution import Execution
    from tercel.runtime.services import ExecutionServices
    from tercel.storage.api import InternalStorage


class DirectoryCache(Protocol):
    """The `cache` of a shared directory: which files outlive the execution, how long."""

    @property
    def patterns(self) -> list[str]:
        """Globs of the files kept."""

    @property
    def ttl(self) -> str | None:
        """ISO-8601 duration after which the cache is dropped (None: kept)."""


@runtime_checkable
class SharedDirectoryTask(Protocol):
    """What the runtime reads of a task whose children share a directory (WorkingDirectory)."""

    @property
    def id(self) -> str:
        """The task id (the cache is stored under it)."""

    @property
    def cache(self) -> DirectoryCache | None:
        """Files restored before the children run and saved after they succeed."""

    @property
    def namespace_files(self) -> Mapping[str, Any] | None:
        """`enabled`, `include`, `exclude`: namespace files copied in first."""

    @property
    def input_files(self) -> Mapping[str, Any] | str | None:
        """Files written before the children run (names to contents)."""

    @property
    def output_files(self) -> list[str] | None:
        """Globs of the files uploaded as the task's outputs."""


def _render(
    value: Any,
    context: Mapping[str, Any],
    services: ExecutionServices,
    place: Placer | None = None,
    task_id: str | None = None,
) -> Any:
    """Render a property of the WorkingDirectory; a template error says where it is."""
    from tercel.templating import render_value

    try:
        return render_value(value, context, services=services)
    except TemplateError as error:
        raise with_place(error, place, task_id, value) from None


def _safe_path(root: Path, relative: str) -> Path:
    target = (root / relative).resolve()
    if not target.is_relative_to(root.resolve()):
        raise TaskError(f"file `{relative}` would be written outside the working directory")
    return target


def cache_uri(execution: Execution, task_id: str) -> str:
    """``kestra:///<ns>/<flow>/<task>/cache/cache.zip`` (Kestra §10.1)."""
    from tercel.storage.uri import from_path, namespace_path, slugify

    flow = slugify(execution.flow_id)
    return from_path(f"{namespace_path(execution.namespace)}/{flow}/{task_id}/cache/cache.zip")


def restore_cache(root: Path, task: Any, execution: Execution, storage: InternalStorage) -> None:
    """Unpack the cache into `root` when there is one younger than its `ttl`."""
    from tercel.model.durations import parse_duration

    cache = task.cache if isinstance(task, SharedDirectoryTask) else None
    if cache is None:
        return
    uri = cache_uri(execution, task.id)
    if not storage.exists(uri):
        return
    if cache.ttl:
        age = time.time() - storage.modified(uri)
        if age > parse_duration(cache.ttl).total_seconds():
            storage.delete(uri)
            return
    # Through a temporary file: a large cache is never held whole in memory.
    with tempfile.TemporaryDirectory(prefix="tercel-cache-") as scratch:
        local = storage.download(uri, Path(scratch) / "cache.zip")
        with zipfile.ZipFile(local) as archive:
            for name in archive.namelist():
                target = _safe_path(root, name)
                target.parent.mkdir(parents=True, exist_ok=True)
                with archive.open(name) as source, target.open("wb") as out:
                    shutil.copyfileobj(source, out, CHUNK_SIZE)


def save_cache(root: Path, task: Any, execution: Execution, storage: InternalStorage) -> None:
    """Pack the files matching the cache `patterns` and store them."""
    cache = task.cache if isinstance(task, SharedDirectoryTask) else None
    if cache is None:
        return
    with tempfile.TemporaryDirectory(prefix="tercel-cache-") as scratch:
        bundle = Path(scratch) / "cache.zip"
        with zipfile.ZipFile(bundle, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in _matching(root, cache.patterns):
                archive.write(path, path.relative_to(root).as_posix())
        storage.put(cache_uri(execution, task.id), bundle)


def _matching(root: Path, patterns: list[str]) -> list[Path]:
    return globs.matching_files(root, patterns)


def write_input_files(
    root: Path,
    task: Any,
    context: Mapping[str, Any],
    services: ExecutionServices,
    place: Placer | None = None,
) -> None:
    """Write namespace files (when enabled) and `inputFiles` into the working directory.

    `place` locates a failing template in the flow (its YAML position goes in the error).
    """
    shared = task if isinstance(task, SharedDirectoryTask) else None
    namespace_files = (shared.namespace_files if shared is not None else None) or {}
    if namespace_files.get("enabled"):
        _write_namespace_files(root, namespace_files, services)
    files = shared.input_files if shared is not None else None
    if files is None:
        return
    rendered = _render(files, context, services, place, task.id)
    if isinstance(rendered, str):
        try:
            rendered = json.loads(rendered)
        except ValueError as error:
            raise TaskError("`inputFiles` must be a map of file names to contents") from error
    if not isinstance(rendered, Mapping):
        raise TaskError("`inputFiles` must be a map of file names to contents")
    for name, content in rendered.items():
        target = _safe_path(root, str(name))
        target.parent.mkdir(parents=True, exist_ok=True)
        text = content if isinstance(content, str) else json.dumps(content)
        if text.startswith("kestra://"):
            target.write_bytes(services.read_bytes(text))
        else:
            target.write_text(text, encoding="utf-8")


def _write_namespace_files(
    root: Path, options: Mapping[str, Any], services: ExecutionServices
) -> None:
    include = globs.compile_patterns(options.get("include") or [], any_depth=True)
    exclude = globs.compile_patterns(options.get("exclude") or [], any_depth=True)
    for relative, content in services.namespace_files():
        if not globs.selected(relative, include, exclude):
            continue
        target = _safe_path(root, relative)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)


def upload_output_files(
    root: Path,
    task: Any,
    *,
    context: Mapping[str, Any],
    services: ExecutionServices,
    storage: InternalStorage,
    file_uri: Any,
    place: Placer | None = None,
) -> dict[str, Any] | None:
    """Upload files matching `outputFiles`; the WorkingDirectory's outputs."""
    patterns = task.output_files if isinstance(task, SharedDirectoryTask) else None
    if not patterns:
        return None
    rendered = [str(p) for p in _render(list(patterns), context, services, place, task.id)]
    uploaded: dict[str, str] = {}
    for path in _matching(root, rendered):
        relative = path.relative_to(root).as_posix()
        uploaded[relative] = storage.put(file_uri(relative), path)
    return {"outputFiles": uploaded}
