"""Internal storage: files addressed by ``kestra:///...`` URIs (`uri`), behind one interface
(`api.InternalStorage`), on local disk (`local.LocalStorage`, the default) or in an
S3-compatible bucket (`s3.S3Storage`).

    storage = open_storage(os.environ.get("TERCEL_STORAGE_URL", ".tercel/storage"))
    storage.check()        # at start-up: StorageUnavailableError says what is wrong
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from tercel.errors import InvalidNameError

if TYPE_CHECKING:
    from tercel.storage.api import InternalStorage


def open_storage(url: str | Path) -> InternalStorage:
    """The storage a URL names: ``s3://BUCKET[/PREFIX]?endpoint=...`` or a local directory
    (a path or ``file:///path``). Nothing is contacted yet: call `check()` to know it answers.
    """
    text = str(url)
    if text.startswith("s3://"):
        from tercel.storage.s3 import S3Storage

        return S3Storage.from_url(text)
    from tercel.storage.local import LocalStorage

    if text.startswith("file://"):
        return LocalStorage(text.removeprefix("file://"))
    if "://" in text:
        raise InvalidNameError(
            f"unsupported storage URL {text!r}: use s3://BUCKET?endpoint=... or a directory"
        )
    return LocalStorage(text)


__all__ = ["open_storage"]
