"""`InternalStorage`: the one interface every internal-storage backend implements.

Two backends: `tercel.storage.local.LocalStorage` (a directory, the default) and
`tercel.storage.s3.S3Storage` (an S3-compatible bucket, for several hosts). Pick one with
`tercel.storage.open_storage(url)`. Every method takes a ``kestra:///`` URI and parses it with
`tercel.storage.uri.parse` first, so no backend ever sees an unchecked path.
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO, Protocol

#: Bytes copied at a time when a file is streamed (upload, download, API response).
CHUNK_SIZE = 1024 * 1024


class InternalStorage(Protocol):
    """Files addressed by ``kestra:///...`` URIs.

    A file URI names one file; a folder URI (ending with ``/``) names every file below it.
    Large files stream: `put` of a `Path` or a stream, `open`, and `download` never hold a
    whole file in memory; `get` does (for small files: templates, state, JSON).
    """

    @property
    def location(self) -> str:
        """Where the files live, for logs and `/health` (no credentials in it)."""

    def check(self) -> None:
        """Raise `StorageUnavailableError` unless the storage answers (called at start-up)."""

    def put(self, uri: str, source: Path | bytes | BinaryIO) -> str:
        """Store bytes, a local file's content or a stream at `uri`; return its canonical URI."""

    def get(self, uri: str) -> bytes:
        """Whole content (NotFoundError if absent)."""

    def open(self, uri: str) -> BinaryIO:
        """A binary stream of the content, to close after use (NotFoundError if absent)."""

    def download(self, uri: str, target: Path) -> Path:
        """Copy the file to local `target`, streamed; return `target` (NotFoundError)."""

    def exists(self, uri: str) -> bool:
        """Whether a file is stored at `uri`."""

    def size(self, uri: str) -> int:
        """Size in bytes (NotFoundError if absent)."""

    def modified(self, uri: str) -> float:
        """Last modification, seconds since the epoch (NotFoundError if absent)."""

    def delete(self, uri: str) -> bool:
        """Delete one file; True when it existed. A folder URI is refused (InvalidNameError)."""

    def delete_prefix(self, uri: str) -> int:
        """Delete every file under a folder URI; return how many were deleted."""

    def list(self, prefix_uri: str) -> list[str]:
        """Canonical URIs of the files under a folder URI (or the file itself), sorted."""
