"""Internal storage behaviour every backend shares (local disk and S3), addressed by URIs."""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path

import pytest

from tercel.errors import InvalidNameError, NotFoundError, StorageUnavailableError
from tercel.storage import open_storage, uri
from tercel.storage.api import InternalStorage

FILE = "kestra:///company/team/flow/executions/e1/tasks/t/tr/out.txt"


def test_put_then_get_returns_the_same_bytes(storage: InternalStorage) -> None:
    assert storage.put(FILE, b"hello") == FILE
    assert storage.get(FILE) == b"hello"
    assert storage.size(FILE) == 5
    assert storage.exists(FILE)
    assert storage.modified(FILE) > 0


def test_put_copies_a_local_file_and_a_stream(storage: InternalStorage, tmp_path: Path) -> None:
    source = tmp_path / "src.bin"
    source.write_bytes(b"\x00\x01" * 1000)
    storage.put("kestra:///ns/f.bin", source)
    storage.put("kestra:///ns/g.bin", io.BytesIO(b"streamed"))
    assert storage.get("kestra:///ns/f.bin") == source.read_bytes()
    assert storage.get("kestra:///ns/g.bin") == b"streamed"


def test_a_second_put_replaces_the_file(storage: InternalStorage) -> None:
    storage.put(FILE, b"first version")
    storage.put(FILE, b"second")
    assert storage.get(FILE) == b"second"


def test_missing_file_raises_not_found(storage: InternalStorage, tmp_path: Path) -> None:
    missing = "kestra:///nothing/here.txt"
    for read in (storage.get, storage.size, storage.modified, storage.open):
        with pytest.raises(NotFoundError):
            read(missing)
    with pytest.raises(NotFoundError):
        storage.download(missing, tmp_path / "x")
    assert not storage.exists(missing)
    assert not storage.delete(missing)
    assert storage.list("kestra:///nothing/") == []


@pytest.mark.parametrize(
    "bad",
    [
        "kestra:///../etc/passwd",
        "kestra:///a/../../b",
        "kestra:///a/%2e%2e/%2E%2E/b",
        "kestra:///a/b%2F..%2F..%2Fc",
        "kestra:///a/b%5Cc",
        "kestra:///a/b%00.txt",
        "kestra:///a//b",
        "file:///etc/passwd",
        "/etc/passwd",
    ],
)
def test_uris_that_escape_or_are_ambiguous_are_refused(storage: InternalStorage, bad: str) -> None:
    with pytest.raises(InvalidNameError):
        storage.put(bad, b"x")
    with pytest.raises(InvalidNameError):
        storage.exists(bad)


def test_encoded_and_plain_forms_name_the_same_file(storage: InternalStorage) -> None:
    storage.put(FILE, b"one file")
    encoded = FILE.replace("executions", "%65xecutions").replace("out.txt", "%6Fut.txt")
    assert storage.get(encoded) == b"one file"
    assert uri.normalize(encoded) == FILE


def test_list_and_delete_a_folder(storage: InternalStorage) -> None:
    prefix = uri.execution_prefix("company.team", "my_flow", "e1")
    a = storage.put(prefix + "tasks/a/1/x.txt", b"1")
    b = storage.put(prefix + "inputs/file/y file.txt", b"2")
    other = storage.put("kestra:///company/team/other/z.txt", b"3")
    neighbour = storage.put(uri.execution_prefix("company.team", "my_flow", "e10") + "f", b"4")
    assert storage.list(prefix) == sorted([a, b])
    assert storage.list(a) == [a]
    with pytest.raises(InvalidNameError, match="folder"):
        storage.delete(prefix)
    assert storage.delete_prefix(prefix) == 2
    assert storage.list(prefix) == []
    assert storage.exists(other)
    assert storage.exists(neighbour)
    assert storage.delete_prefix(prefix) == 0
    with pytest.raises(InvalidNameError):
        storage.delete_prefix("kestra:///")


def test_delete_removes_one_file(storage: InternalStorage) -> None:
    storage.put(FILE, b"x")
    assert storage.delete(FILE)
    assert not storage.exists(FILE)
    assert not storage.delete(FILE)


def test_file_names_with_spaces_and_unicode_round_trip(storage: InternalStorage) -> None:
    target = uri.input_file("a", "f", "E", "doc", "my report é.pdf")
    assert " " not in target
    assert storage.put(target, b"pdf") == target
    assert storage.list(uri.execution_prefix("a", "f", "E")) == [target]
    assert storage.get(target) == b"pdf"


def test_large_files_stream_in_and_out(storage: InternalStorage, tmp_path: Path) -> None:
    # 24 MiB: more than one multipart part on S3, more than one copy chunk on disk.
    source = tmp_path / "big.bin"
    with source.open("wb") as out:
        for _ in range(24):
            out.write(os.urandom(1 << 20))
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    big = "kestra:///ns/f/executions/E/tasks/t/r/big.bin"
    storage.put(big, source)
    assert storage.size(big) == 24 << 20
    copy = storage.download(big, tmp_path / "copy.bin")
    assert hashlib.sha256(copy.read_bytes()).hexdigest() == digest
    streamed = hashlib.sha256()
    with storage.open(big) as stream:
        while chunk := stream.read(1 << 20):
            streamed.update(chunk)
    assert streamed.hexdigest() == digest


def test_local_storage_refuses_an_unwritable_directory(tmp_path: Path) -> None:
    storage = open_storage(tmp_path / "storage")
    (tmp_path / "storage").chmod(0o500)
    try:
        if os.access(tmp_path / "storage", os.W_OK):
            pytest.skip("running as a user that can write anywhere (root)")
        with pytest.raises(StorageUnavailableError, match="not writable"):
            storage.check()
    finally:
        (tmp_path / "storage").chmod(0o700)


@pytest.mark.s3
def test_s3_check_names_what_is_wrong(s3_bucket_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    query = s3_bucket_url.partition("?")[2]
    with pytest.raises(StorageUnavailableError, match="bucket does not exist"):
        open_storage(f"s3://no-such-bucket-here?{query}").check()
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wrong")
    with pytest.raises(StorageUnavailableError, match=r"access denied|answered"):
        open_storage(s3_bucket_url).check()


def test_s3_check_says_when_the_endpoint_does_not_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("boto3")
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "k")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "s")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    storage = open_storage(f"s3://bucket?endpoint=http://127.0.0.1:{port}")
    with pytest.raises(StorageUnavailableError, match="cannot be reached"):
        storage.check()


def test_storage_urls_are_checked() -> None:
    with pytest.raises(InvalidNameError, match="unsupported"):
        open_storage("gs://bucket")
    with pytest.raises(InvalidNameError, match="credentials"):
        open_storage("s3://key:secret@bucket")
    with pytest.raises(InvalidNameError, match="unknown option"):
        open_storage("s3://bucket?endpont=http://127.0.0.1:1")
