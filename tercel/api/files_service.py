"""Namespace files on internal storage: ``kestra:///<ns/path>/_files/<path>``.

On local storage an empty directory is a real directory. Other storages only know files,
so there an empty directory is kept as a hidden marker file that listings never show.
"""

from __future__ import annotations

import io
import posixpath
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, BinaryIO, cast

from tercel.errors import ConflictError, InvalidNameError, NotFoundError
from tercel.storage.api import InternalStorage
from tercel.storage.uri import namespace_file, namespace_file_path, to_path

#: Marks a directory that has no file in it yet.
DIR_MARKER = ".tercel-dir"
#: The longest file name most file systems accept.
MAX_NAME_BYTES = 255
#: Refuse archives that would unpack into more than this (zip bombs).
MAX_UNZIPPED_BYTES = 512 * 1024 * 1024


def clean_path(raw: str | None, *, allow_root: bool = False) -> str:
    """A relative path inside a namespace (no leading '/', no '..'); 422 naming `path`."""
    text = (raw or "").replace("\\", "/").strip()
    parts = [part for part in text.split("/") if part not in ("", ".")]
    if any(part == ".." for part in parts) or "\x00" in text:
        raise InvalidNameError(f"path: {raw!r} must stay inside the namespace (no '..')")
    if any(len(part.encode("utf-8")) > MAX_NAME_BYTES for part in parts):
        raise InvalidNameError(
            f"path: a file or directory name is longer than {MAX_NAME_BYTES} bytes"
        )
    if not parts and not allow_root:
        raise InvalidNameError("path: a file path is required, e.g. ?path=/scripts/main.py")
    return "/".join(parts)


@dataclass(frozen=True, slots=True)
class FileStat:
    """What ``/files/stats`` and ``/files/directory`` answer for one entry."""

    name: str
    path: str
    is_dir: bool
    size: int

    def to_wire(self) -> dict[str, Any]:
        """Kestra's FileAttributes JSON."""
        return {
            "fileName": self.name,
            "path": "/" + self.path,
            "type": "Directory" if self.is_dir else "File",
            "size": self.size,
        }


class NamespaceFiles:
    """CRUD of one tenant's namespace files."""

    def __init__(self, storage: InternalStorage) -> None:
        self.storage = storage
        # Local storage: directories are real (script tasks copy namespace files as they are).
        base = getattr(storage, "base_dir", None)
        self._base: Path | None = base if isinstance(base, Path) else None

    def _disk(self, namespace: str, path: str) -> Path | None:
        if self._base is None:
            return None
        return self._base / to_path(namespace_file(namespace, path))

    def _all(self, namespace: str) -> list[str]:
        root = namespace_file(namespace)
        return [namespace_file_path(namespace, uri) for uri in self.storage.list(root)]

    def read(self, namespace: str, path: str) -> bytes:
        """A file's bytes (404 when absent)."""
        uri = namespace_file(namespace, clean_path(path))
        if not self.storage.exists(uri):
            raise NotFoundError(f"namespace `{namespace}` has no file `/{clean_path(path)}`")
        return self.storage.get(uri)

    def all_files(self, namespace: str) -> dict[str, bytes]:
        """Every file of the namespace by path (directory markers left out)."""
        return {
            name: self.storage.get(namespace_file(namespace, name))
            for name in self._all(namespace)
            if posixpath.basename(name) != DIR_MARKER
        }

    def find(self, namespace: str, path: str) -> bytes | None:
        """A file's bytes, None when absent."""
        uri = namespace_file(namespace, clean_path(path))
        return self.storage.get(uri) if self.storage.exists(uri) else None

    def remove_quietly(self, namespace: str, path: str) -> None:
        """Delete a file if it exists, and the directories its write created (undo)."""
        target = clean_path(path)
        self.storage.delete(namespace_file(namespace, target))
        parent = posixpath.dirname(target)
        while parent:
            disk = self._disk(namespace, parent)
            if disk is None or not disk.is_dir() or any(disk.iterdir()):
                break
            disk.rmdir()
            parent = posixpath.dirname(parent)

    def write(self, namespace: str, path: str, content: bytes | BinaryIO) -> str:
        """Create or replace a file (bytes, or copied from an open file); its path."""
        target = clean_path(path)
        if self.is_dir(namespace, target):
            raise ConflictError(f"path: `/{target}` is a directory")
        self.storage.put(namespace_file(namespace, target), content)
        self._drop_markers(namespace, target)
        return target

    def _drop_markers(self, namespace: str, path: str) -> None:
        if self._base is not None:
            return
        parent = posixpath.dirname(path)
        while parent:
            self.storage.delete(namespace_file(namespace, f"{parent}/{DIR_MARKER}"))
            parent = posixpath.dirname(parent)

    def extract_zip(self, namespace: str, directory: str, archive: bytes | IO[bytes]) -> list[str]:
        """Unpack a zip (bytes, or an open file) under `directory`; the paths written.

        Members are copied out one chunk at a time, never read into memory whole.
        """
        try:
            bundle = zipfile.ZipFile(io.BytesIO(archive) if isinstance(archive, bytes) else archive)
        except zipfile.BadZipFile:
            raise InvalidNameError("fileContent: the uploaded .zip is not a valid archive") from (
                None
            )
        with bundle:
            members = [m for m in bundle.infolist() if not m.is_dir()]
            if sum(m.file_size for m in members) > MAX_UNZIPPED_BYTES:
                raise InvalidNameError("fileContent: the archive unpacks to more than 512 MiB")
            written = []
            for member in members:
                inner = clean_path(member.filename)
                target = f"{directory}/{inner}" if directory else inner
                with bundle.open(member) as content:
                    written.append(self.write(namespace, target, cast("BinaryIO", content)))
        return written

    def is_dir(self, namespace: str, path: str) -> bool:
        """Whether `path` is a directory (the root always is)."""
        if not path:
            return True
        disk = self._disk(namespace, path)
        if disk is not None:
            return disk.is_dir()
        prefix = path + "/"
        return any(name.startswith(prefix) for name in self._all(namespace))

    def stat(self, namespace: str, path: str) -> FileStat:
        """A file's or directory's attributes (404 when neither)."""
        target = clean_path(path, allow_root=True)
        uri = namespace_file(namespace, target)
        name = posixpath.basename(target)
        if target and self.storage.exists(uri):
            return FileStat(name, target, False, self.storage.size(uri))
        if self.is_dir(namespace, target):
            return FileStat(name, target, True, 0)
        raise NotFoundError(f"namespace `{namespace}` has no file or directory `/{target}`")

    def list_dir(self, namespace: str, path: str | None) -> list[FileStat]:
        """Immediate children of a directory, directories first then files, by name."""
        directory = clean_path(path, allow_root=True)
        if directory and not self.is_dir(namespace, directory):
            raise NotFoundError(f"namespace `{namespace}` has no directory `/{directory}`")
        prefix = directory + "/" if directory else ""
        dirs: set[str] = set()
        files: list[FileStat] = []
        for name in self._all(namespace):
            if not name.startswith(prefix):
                continue
            rest = name[len(prefix) :]
            head, sep, _ = rest.partition("/")
            if sep:
                dirs.add(head)
            elif head != DIR_MARKER:
                uri = namespace_file(namespace, name)
                files.append(FileStat(head, name, False, self.storage.size(uri)))
        disk = self._disk(namespace, directory)
        if disk is not None and disk.is_dir():
            dirs.update(p.name for p in disk.iterdir() if p.is_dir())
        listed = [FileStat(d, prefix + d, True, 0) for d in sorted(dirs)]
        return listed + sorted(files, key=lambda f: f.name)

    def make_dir(self, namespace: str, path: str) -> str:
        """Create a (possibly empty) directory."""
        target = clean_path(path)
        if self.storage.exists(namespace_file(namespace, target)):
            raise ConflictError(f"path: `/{target}` is a file")
        disk = self._disk(namespace, target)
        if disk is not None:
            disk.mkdir(parents=True, exist_ok=True)
        elif not self.is_dir(namespace, target):
            self.storage.put(namespace_file(namespace, f"{target}/{DIR_MARKER}"), b"")
        return target

    def move(self, namespace: str, source: str, target: str) -> None:
        """Move a file or a directory."""
        origin, destination = clean_path(source), clean_path(target)
        origin_uri = namespace_file(namespace, origin)
        if self.storage.exists(origin_uri):
            self.write(namespace, destination, self.storage.get(origin_uri))
            self.storage.delete(origin_uri)
            return
        if not self.is_dir(namespace, origin):
            raise NotFoundError(f"from: namespace `{namespace}` has no file `/{origin}`")
        for name in self._all(namespace):
            if name.startswith(origin + "/"):
                moved = destination + name[len(origin) :]
                uri = namespace_file(namespace, name)
                self.storage.put(namespace_file(namespace, moved), self.storage.get(uri))
                self.storage.delete(uri)
        disk = self._disk(namespace, origin)
        if disk is not None and disk.is_dir():
            shutil.rmtree(disk)

    def delete(self, namespace: str, path: str) -> None:
        """Delete a file or a directory with everything under it (404 when neither)."""
        target = clean_path(path)
        uri = namespace_file(namespace, target)
        deleted = (bool(target) and self.storage.delete(uri)) or (
            self.storage.delete_prefix(uri.rstrip("/") + "/") > 0
        )
        if not deleted:
            raise NotFoundError(f"namespace `{namespace}` has no file or directory `/{target}`")

    def export_zip(self, namespace: str) -> bytes:
        """Every file of the namespace as a zip archive."""
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
            for name in self._all(namespace):
                if posixpath.basename(name) != DIR_MARKER:
                    bundle.writestr(name, self.storage.get(namespace_file(namespace, name)))
        return buffer.getvalue()
