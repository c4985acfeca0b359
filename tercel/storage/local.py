"""Internal storage on the local disk: ``kestra:///a/b.txt`` is ``<base_dir>/a/b.txt``."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import IO

from tercel.errors import NotFoundError
from tercel.storage.uri import from_path, to_path


class LocalStorage:
    """`tercel.plugins.context.InternalStorage` on a directory.

    Writes go to a temporary file renamed into place, so a reader never sees half a file
    and a crash never leaves one behind under its final name.
    """

    def __init__(self, base_dir: Path | str) -> None:
        self.base_dir = Path(base_dir).resolve()
        self.base_dir.mkdir(parents=True, exist_ok=True)

    def _path(self, uri: str) -> Path:
        return self.base_dir / to_path(uri)

    def local_path(self, uri: str) -> Path:
        """The file's path on disk (NotFoundError if nothing is stored there)."""
        path = self._path(uri)
        if not path.is_file():
            raise NotFoundError(f"file `{uri}` does not exist in internal storage")
        return path

    def put(self, uri: str, source: Path | bytes | IO[bytes]) -> str:
        """Store bytes (or a local file's, or an open binary file's content) at `uri`.

        A file is copied in chunks from where it is: an upload is never held whole in memory.
        """
        path = self._path(uri)
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(handle, "wb") as target:
                if isinstance(source, bytes | bytearray):
                    target.write(source)
                elif not isinstance(source, Path | str):
                    shutil.copyfileobj(source, target, 1024 * 1024)
                else:
                    with Path(source).open("rb") as origin:
                        shutil.copyfileobj(origin, target, 1024 * 1024)
            Path(temporary).replace(path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return uri

    def get(self, uri: str) -> bytes:
        """Whole content (NotFoundError if absent)."""
        return self.local_path(uri).read_bytes()

    def exists(self, uri: str) -> bool:
        """Whether a file is stored at `uri`."""
        return self._path(uri).is_file()

    def size(self, uri: str) -> int:
        """Size in bytes (NotFoundError if absent)."""
        return self.local_path(uri).stat().st_size

    def delete(self, uri: str) -> bool:
        """Delete a file, or every file under a folder URI; True when something was deleted."""
        path = self._path(uri)
        if path.is_dir():
            if path == self.base_dir:
                return False
            shutil.rmtree(path)
            return True
        if path.is_file():
            path.unlink()
            return True
        return False

    def list(self, prefix_uri: str) -> list[str]:
        """URIs of the files stored under a folder URI (or the file itself), sorted."""
        root = self._path(prefix_uri)
        if root.is_file():
            return [prefix_uri]
        if not root.is_dir():
            return []
        return sorted(
            from_path(path.relative_to(self.base_dir).as_posix())
            for path in root.rglob("*")
            if path.is_file() and not path.name.startswith(".tmp-")
        )
