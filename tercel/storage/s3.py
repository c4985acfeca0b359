"""Internal storage in an S3-compatible bucket (AWS S3, SeaweedFS, MinIO, Ceph...).

``kestra:///a/b.txt`` is the object ``<prefix>a/b.txt`` of the bucket. Several hosts that
open the same bucket see the same files, so a worker on one machine reads what a task on
another wrote. Built on boto3 (AWS's own SDK): it reads credentials the usual way
(``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, ``AWS_SESSION_TOKEN``, profiles, instance
roles), retries, and splits large uploads and downloads into parts, so no file is ever held
whole in memory.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO
from urllib.parse import parse_qs, urlsplit

from tercel.errors import (
    InvalidNameError,
    NotFoundError,
    StorageUnavailableError,
    StoreError,
)
from tercel.storage.uri import StoragePath, parse

if TYPE_CHECKING:
    from types_boto3_s3.client import S3Client

#: Keys deleted per DeleteObjects request (the S3 maximum).
_DELETE_BATCH = 1000
#: URL query parameters `S3Storage.from_url` understands.
_OPTIONS = frozenset({"endpoint", "region", "addressing"})


class _Body(io.RawIOBase):
    """A botocore streaming body as a standard binary stream (closed with the response)."""

    def __init__(self, body: Any) -> None:
        self._body = body

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        chunk = self._body.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)

    def close(self) -> None:
        if not self.closed:
            self._body.close()
        super().close()


class S3Storage:
    """`tercel.storage.api.InternalStorage` on an S3 bucket (the bucket must exist)."""

    def __init__(
        self,
        bucket: str,
        *,
        prefix: str = "",
        endpoint_url: str | None = None,
        region: str | None = None,
        addressing: str = "path",
    ) -> None:
        try:
            import boto3
            from botocore.config import Config
        except ImportError:
            raise StorageUnavailableError(
                "S3 internal storage needs boto3: pip install 'tercel[s3]'"
            ) from None
        if addressing not in ("path", "virtual", "auto"):
            raise InvalidNameError(
                f"S3 addressing must be path, virtual or auto (got {addressing!r})"
            )
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.endpoint_url = endpoint_url
        config = Config(
            s3={"addressing_style": addressing},
            retries={"max_attempts": 3, "mode": "standard"},
            connect_timeout=5,
            read_timeout=60,
        )
        # A session of its own: thread-safe client, credentials from the usual AWS sources.
        session = boto3.session.Session()
        self._client: S3Client = session.client(
            "s3", endpoint_url=endpoint_url, region_name=region, config=config
        )

    @classmethod
    def from_url(cls, url: str) -> S3Storage:
        """``s3://BUCKET[/PREFIX]?endpoint=http://host:port&region=R&addressing=path``.

        Credentials never go in the URL (it is logged): boto3 reads them from
        ``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY`` (or a profile, or a role).
        """
        parts = urlsplit(url)
        if parts.scheme != "s3" or not parts.hostname:
            raise InvalidNameError(f"not an S3 storage URL (s3://BUCKET?endpoint=...): {url!r}")
        if parts.username or parts.password:
            raise InvalidNameError(
                "S3 storage URL: credentials do not belong in the URL; set AWS_ACCESS_KEY_ID "
                "and AWS_SECRET_ACCESS_KEY"
            )
        query = parse_qs(parts.query, keep_blank_values=True)
        unknown = set(query) - _OPTIONS
        if unknown:
            raise InvalidNameError(
                f"S3 storage URL: unknown option(s) {', '.join(sorted(unknown))} "
                f"(known: {', '.join(sorted(_OPTIONS))})"
            )

        def option(name: str) -> str | None:
            values = query.get(name)
            return values[-1] if values else None

        return cls(
            parts.netloc,
            prefix=parts.path,
            endpoint_url=option("endpoint"),
            region=option("region"),
            addressing=option("addressing") or "path",
        )

    @property
    def location(self) -> str:
        """``s3://bucket/prefix`` and the endpoint (never the credentials)."""
        where = f"s3://{self.bucket}/{self.prefix}"
        return f"{where} at {self.endpoint_url}" if self.endpoint_url else where

    # -- errors ------------------------------------------------------------------------
    @contextlib.contextmanager
    def _errors(self, uri: str) -> Iterator[None]:
        """botocore's errors as Tercel's: a missing key is NotFoundError, the rest StoreError."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            yield
        except ClientError as error:
            code = str(error.response.get("Error", {}).get("Code", ""))
            if code in ("404", "NoSuchKey", "NotFound"):
                raise NotFoundError(f"file `{uri}` does not exist in internal storage") from None
            raise StoreError(f"internal storage {self.location} failed on `{uri}`: {code}") from (
                error
            )
        except BotoCoreError as error:
            raise StoreError(f"internal storage {self.location} failed on `{uri}`: {error}") from (
                error
            )

    def check(self) -> None:
        """HEAD the bucket: says which of endpoint, bucket or credentials is wrong."""
        from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

        try:
            self._client.head_bucket(Bucket=self.bucket)
        except NoCredentialsError:
            raise StorageUnavailableError(
                f"internal storage {self.location}: no S3 credentials; set AWS_ACCESS_KEY_ID "
                "and AWS_SECRET_ACCESS_KEY"
            ) from None
        except ClientError as error:
            code = str(error.response.get("Error", {}).get("Code", ""))
            why = {
                "404": "the bucket does not exist (create it first)",
                "NoSuchBucket": "the bucket does not exist (create it first)",
                "403": "access denied (check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)",
            }.get(code, f"the server answered {code}")
            raise StorageUnavailableError(f"internal storage {self.location}: {why}") from None
        except BotoCoreError as error:
            raise StorageUnavailableError(
                f"internal storage {self.location} cannot be reached: {error}"
            ) from None

    # -- keys --------------------------------------------------------------------------
    def _key(self, parsed: StoragePath) -> str:
        return self.prefix + "/".join(parsed.segments)

    def _file_key(self, uri: str) -> tuple[StoragePath, str]:
        parsed = parse(uri)
        if parsed.folder or not parsed.segments:
            raise InvalidNameError(f"{uri!r} names a folder, not a file")
        return parsed, self._key(parsed)

    def _uri(self, key: str) -> str:
        return StoragePath(tuple(key[len(self.prefix) :].split("/"))).uri

    def _keys_under(self, parsed: StoragePath) -> Iterator[str]:
        folder = self._key(parsed)
        folder = folder + "/" if parsed.segments else self.prefix
        pages = self._client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=folder
        )
        for page in pages:
            for item in page.get("Contents", []):
                yield item["Key"]

    # -- InternalStorage -----------------------------------------------------------------
    def put(self, uri: str, source: Path | bytes | BinaryIO) -> str:
        """Upload bytes, a local file or a stream (large ones in parts); return the URI."""
        parsed, key = self._file_key(uri)
        with self._errors(uri):
            if isinstance(source, bytes | bytearray):
                self._client.put_object(Bucket=self.bucket, Key=key, Body=bytes(source))
            elif isinstance(source, Path):
                self._client.upload_file(str(source), self.bucket, key)
            else:
                self._client.upload_fileobj(source, self.bucket, key)
        return parsed.uri

    def get(self, uri: str) -> bytes:
        """Whole content (NotFoundError if absent)."""
        with self.open(uri) as stream:
            return stream.read()

    def open(self, uri: str) -> BinaryIO:
        """A stream of the object's content, read as it arrives."""
        _, key = self._file_key(uri)
        with self._errors(uri):
            response = self._client.get_object(Bucket=self.bucket, Key=key)
        reader: BinaryIO = io.BufferedReader(_Body(response["Body"]), buffer_size=1 << 20)
        return reader

    def download(self, uri: str, target: Path) -> Path:
        """Download to `target` in parts (NotFoundError if absent)."""
        _, key = self._file_key(uri)
        with self._errors(uri):
            self._client.download_file(self.bucket, key, str(target))
        return target

    def _head(self, uri: str) -> dict[str, Any]:
        _, key = self._file_key(uri)
        with self._errors(uri):
            return dict(self._client.head_object(Bucket=self.bucket, Key=key))

    def exists(self, uri: str) -> bool:
        """Whether an object is stored at `uri`."""
        parsed = parse(uri)
        if parsed.folder or not parsed.segments:
            return False
        try:
            self._head(uri)
        except NotFoundError:
            return False
        return True

    def size(self, uri: str) -> int:
        """Size in bytes (NotFoundError if absent)."""
        return int(self._head(uri)["ContentLength"])

    def modified(self, uri: str) -> float:
        """Last modification, seconds since the epoch (NotFoundError if absent)."""
        return float(self._head(uri)["LastModified"].timestamp())

    def delete(self, uri: str) -> bool:
        """Delete one object; True when it existed."""
        _, key = self._file_key(uri)
        if not self.exists(uri):
            return False
        with self._errors(uri):
            self._client.delete_object(Bucket=self.bucket, Key=key)
        return True

    def delete_prefix(self, uri: str) -> int:
        """Delete every object under a folder URI (never the whole storage)."""
        parsed = parse(uri)
        if not parsed.segments:
            raise InvalidNameError("refusing to delete the whole internal storage")
        if not parsed.folder and self.delete(uri):
            return 1
        count = 0
        with self._errors(uri):
            keys = list(self._keys_under(parsed))
            for start in range(0, len(keys), _DELETE_BATCH):
                batch = keys[start : start + _DELETE_BATCH]
                self._client.delete_objects(
                    Bucket=self.bucket,
                    Delete={"Objects": [{"Key": key} for key in batch], "Quiet": True},
                )
                count += len(batch)
        return count

    def list(self, prefix_uri: str) -> list[str]:
        """URIs of the objects under a folder URI (or the object itself), sorted."""
        parsed = parse(prefix_uri)
        if parsed.segments and not parsed.folder and self.exists(prefix_uri):
            return [parsed.uri]
        with self._errors(prefix_uri):
            return sorted(self._uri(key) for key in self._keys_under(parsed))
