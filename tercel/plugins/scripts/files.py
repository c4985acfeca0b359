"""Files around a script: inputs in, namespace files in, outputs out, ``kestra://`` made local."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from tercel.errors import TaskError, TercelError
from tercel.plugins.context import TaskContext
from tercel.plugins.core.storage.files import check_readable
from tercel.storage import globs

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")

#: A ``kestra://`` URI inside a rendered command (stops at whitespace and quotes).
_INTERNAL_URI = re.compile(r"kestra://[^\s'\"`;|&<>()]+")


def safe_name(name: str) -> str:
    """A file name with only portable characters (for downloaded files)."""
    return _UNSAFE.sub("_", name) or "file"


def download(ctx: TaskContext, uri: str, target: Path) -> None:
    """Copy an internal-storage file this execution may read to `target`, streamed."""
    checked = check_readable(ctx, uri)
    try:
        ctx.storage.download(checked, target)
    except TercelError as error:
        raise TaskError(f"cannot read `{uri}`: {error}") from None


def _inside(root: Path, relative: str, what: str) -> Path:
    """`root/relative`, refusing paths that escape `root` (``../x``, ``/etc/x``)."""
    target = (root / relative).resolve()
    if not target.is_relative_to(root.resolve()):
        raise TaskError(f"{what} `{relative}` must stay inside the working directory")
    return target


def write_input_files(ctx: TaskContext, files: dict[str, Any] | str | None) -> list[Path]:
    """Write `inputFiles` (rendered; a ``kestra://`` value is downloaded) into the working dir."""
    if files is None:
        return []
    entries = files
    if isinstance(files, str):
        rendered = ctx.render(files)
        try:
            entries = json.loads(rendered) if isinstance(rendered, str) else rendered
        except ValueError:
            raise TaskError("property `inputFiles` must be a map or a JSON object") from None
    if not isinstance(entries, dict):
        raise TaskError("property `inputFiles` must be a map of file name to content")
    written = []
    for name, content in entries.items():
        path = _inside(ctx.working_dir, str(ctx.render(name)), "input file")
        path.parent.mkdir(parents=True, exist_ok=True)
        rendered = ctx.render(content)
        text = rendered if isinstance(rendered, str) else json.dumps(rendered)
        if text.startswith("kestra://") and "\n" not in text.strip():
            download(ctx, text.strip(), path)
        else:
            path.write_text(text)
        written.append(path)
    return written


def localize_internal_uris(ctx: TaskContext, text: str, into: Path) -> str:
    """Download every ``kestra://`` URI in `text` into `into`; return text with local paths."""
    uris = set(_INTERNAL_URI.findall(text))
    if not uris:
        return text
    into.mkdir(parents=True, exist_ok=True)
    for index, uri in enumerate(sorted(uris)):
        local = into / f"{index}-{safe_name(uri.rsplit('/', 1)[-1])}"
        download(ctx, uri, local)
        text = text.replace(uri, str(local))
    return text


def _namespace_files(ctx: TaskContext) -> list[tuple[str, bytes]]:
    """(relative path, content) of the namespace's files.

    The runtime's services also see local namespace folders (``tercel run --flows DIR``);
    without them, the files stored under ``kestra:///<ns>/_files/`` are used.
    """
    return [(str(path), bytes(content)) for path, content in ctx.namespace_files()]


def copy_namespace_files(
    ctx: TaskContext, include: list[str] | None, exclude: list[str] | None
) -> int:
    """Copy the namespace's files (filtered by globs) into the working dir."""
    count = 0
    included = globs.compile_patterns(include or [], any_depth=True)
    excluded = globs.compile_patterns(exclude or [], any_depth=True)
    for relative, content in _namespace_files(ctx):
        if not globs.selected(relative, included, excluded):
            continue
        path = _inside(ctx.working_dir, relative, "namespace file")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        count += 1
    return count


def collect_output_files(
    ctx: TaskContext, patterns: list[str], output_dir: Path | None
) -> dict[str, str]:
    """Upload files matching `patterns` (and all of `output_dir`) → name: ``kestra:///`` URI."""
    root = ctx.working_dir
    found: dict[str, Path] = {}
    for path in globs.matching_files(root, patterns):
        found[path.relative_to(root).as_posix()] = path
    if output_dir is not None and output_dir.is_dir():
        for path in sorted(output_dir.rglob("*")):
            if path.is_file():
                found[path.relative_to(output_dir).as_posix()] = path
    return {name: ctx.storage.put(ctx.file_uri(name), path) for name, path in found.items()}
