"""Internal storage on disk, addressed by kestra:/// URIs."""

from __future__ import annotations

from pathlib import Path

import pytest

from tercel.errors import InvalidNameError, NotFoundError
from tercel.storage import uri
from tercel.storage.local import LocalStorage


def test_put_then_get_returns_the_same_bytes(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    target = "kestra:///company/team/flow/executions/e1/tasks/t/tr/out.txt"
    assert storage.put(target, b"hello") == target
    assert storage.get(target) == b"hello"
    assert storage.size(target) == 5
    assert storage.exists(target)
    assert storage.local_path(target).read_bytes() == b"hello"


def test_put_copies_a_local_file(tmp_path: Path) -> None:
    source = tmp_path / "src.bin"
    source.write_bytes(b"\x00\x01" * 1000)
    storage = LocalStorage(tmp_path / "store")
    storage.put("kestra:///ns/f.bin", source)
    assert storage.get("kestra:///ns/f.bin") == source.read_bytes()


def test_missing_file_raises_not_found(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    with pytest.raises(NotFoundError):
        storage.get("kestra:///nothing/here.txt")
    assert not storage.exists("kestra:///nothing/here.txt")


@pytest.mark.parametrize(
    "bad", ["kestra:///../etc/passwd", "kestra:///a/../../b", "file:///etc/passwd", "/etc/passwd"]
)
def test_uris_that_escape_the_base_dir_are_refused(tmp_path: Path, bad: str) -> None:
    storage = LocalStorage(tmp_path / "base")
    with pytest.raises(InvalidNameError):
        storage.put(bad, b"x")


def test_list_and_delete_a_folder(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    prefix = uri.execution_prefix("company.team", "my_flow", "e1")
    a = storage.put(prefix + "tasks/a/1/x.txt", b"1")
    b = storage.put(prefix + "inputs/file/y file.txt", b"2")
    other = storage.put("kestra:///company/team/other/z.txt", b"3")
    assert storage.list(prefix) == sorted([a, uri.from_path(uri.to_path(b))])
    assert storage.get(storage.list(prefix)[0]) in (b"1", b"2")
    assert storage.delete(prefix)
    assert storage.list(prefix) == []
    assert storage.exists(other)
    assert not storage.delete(prefix)


def test_standard_uris_follow_kestra_layout() -> None:
    assert uri.execution_prefix("io.kestra.tests", "inputs", "X1") == (
        "kestra:///io/kestra/tests/inputs/executions/X1/"
    )
    assert uri.task_file("a.b", "My.Flow", "E", task_id="t1", task_run_id="TR", name="out.ion") == (
        "kestra:///a/b/my-flow/executions/E/tasks/t1/TR/out.ion"
    )
    assert uri.input_file("a", "f", "E", "file", "data.csv") == (
        "kestra:///a/f/executions/E/inputs/file/data.csv"
    )
    assert uri.trigger_file("a", "f", "E", "hook", "body.json") == (
        "kestra:///a/f/executions/E/trigger/hook/body.json"
    )
    assert (
        uri.namespace_file("data.sources", "sql/q.sql") == "kestra:///data/sources/_files/sql/q.sql"
    )
    assert (
        uri.namespace_file_path("data.sources", "kestra:///data/sources/_files/sql/q.sql")
        == "sql/q.sql"
    )


def test_file_names_with_spaces_round_trip(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    target = uri.input_file("a", "f", "E", "doc", "my report.pdf")
    assert " " not in target
    storage.put(target, b"pdf")
    assert storage.list(uri.execution_prefix("a", "f", "E")) == [target]
    assert (tmp_path / "a/f/executions/E/inputs/doc/my report.pdf").read_bytes() == b"pdf"
