"""Internal storage on the local disk: ``kestra:///a/b.txt`` is ``<base_dir>/a/b.txt``."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import BinaryIO

from tercel.errors import InvalidNameError, NotFoundError, StorageUnavailableError
from tercel.storage.api import CHUNK_SIZE
from tercel.storage.uri import StoragePath, parse

#: Prefix of the temporary files a write renames into place (never listed).
_TEMPORARY = ".tmp-"


class LocalStorage:
    """`tercel.storage.api.InternalStorage` on a directory.

    Writes go to a temporary file renamed into place, so a reader never sees half a file
    and a crash never leaves one behind under its final name.
    """

    def __init__(self, base_dir: Path | str) -> None:
        self.base_dir = Path(base_dir).resolve()
        self.base_dir.mkdir(parents=True, exist_ok=True)

    @property
    def location(self) -> str:
        """The directory."""
        return str(self.base_dir)

    def check(self) -> None:
        """The directory exists and this process can write to it."""
        try:
            self.base_dir.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryFile(dir=self.base_dir, prefix=_TEMPORARY):
                pass
        except OSError as error:
            raise StorageUnavailableError(
                f"internal storage directory {self.base_dir} is not writable: {error}"
            ) from error

    def _path(self, parsed: StoragePath) -> Path:
        return self.base_dir.joinpath(*parsed.segments)

    def _file(self, uri: str) -> tuple[StoragePath, Path]:
        parsed = parse(uri)
        if parsed.folder or not parsed.segments:
            raise InvalidNameError(f"{uri!r} names a folder, not a file")
        return parsed, self._path(parsed)

    def local_path(self, uri: str) -> Path:
        """The file's path on disk (NotFoundError if nothing is stored there)."""
        _, path = self._file(uri)
        if not path.is_file():
            raise NotFoundError(f"file `{uri}` does not exist in internal storage")
        return path

    def put(self, uri: str, source: Path | bytes | BinaryIO) -> str:
        """Store bytes, a local file's content or a stream at `uri`; return the URI."""
        parsed, path = self._file(uri)
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=_TEMPORARY)
        try:
            with os.fdopen(handle, "wb") as target:
                if isinstance(source, bytes | bytearray):
                    target.write(source)
                elif isinstance(source, Path):
                    with source.open("rb") as origin:
                        shutil.copyfileobj(origin, target, CHUNK_SIZE)
                else:
                    shutil.copyfileobj(source, target, CHUNK_SIZE)
            Path(temporary).replace(path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return parsed.uri

    def get(self, uri: str) -> bytes:
        """Whole content (NotFoundError if absent)."""
        return self.local_path(uri).read_bytes()

    def open(self, uri: str) -> BinaryIO:
        """The file opened for reading (NotFoundError if absent)."""
        return self.local_path(uri).open("rb")

    def download(self, uri: str, target: Path) -> Path:
        """Copy the file to `target`."""
        shutil.copyfile(self.local_path(uri), target)
        return target

    def exists(self, uri: str) -> bool:
        """Whether a file is stored at `uri`."""
        parsed = parse(uri)
        return bool(parsed.segments) and not parsed.folder and self._path(parsed).is_file()

    def size(self, uri: str) -> int:
        """Size in bytes (NotFoundError if absent)."""
        return self.local_path(uri).stat().st_size

    def modified(self, uri: str) -> float:
        """Last modification time (NotFoundError if absent)."""
        return self.local_path(uri).stat().st_mtime

    def delete(self, uri: str) -> bool:
        """Delete one file; True when it existed."""
        _, path = self._file(uri)
        if not path.is_file():
            return False
        path.unlink()
        return True

    def delete_prefix(self, uri: str) -> int:
        """Delete every file under a folder URI (never the whole storage)."""
        parsed = parse(uri)
        if not parsed.segments:
            raise InvalidNameError("refusing to delete the whole internal storage")
        path = self._path(parsed)
        if path.is_file() and not parsed.folder:
            path.unlink()
            return 1
        if not path.is_dir():
            return 0
        count = sum(1 for item in path.rglob("*") if item.is_file())
        shutil.rmtree(path)
        return count

    def list(self, prefix_uri: str) -> list[str]:
        """URIs of the files stored under a folder URI (or the file itself), sorted."""
        parsed = parse(prefix_uri)
        root = self._path(parsed)
        if root.is_file() and not parsed.folder:
            return [parsed.uri]
        if not root.is_dir():
            return []
        return sorted(
            StoragePath(path.relative_to(self.base_dir).parts).uri
            for path in root.rglob("*")
            if path.is_file() and not path.name.startswith(_TEMPORARY)
        )
