"""Internal-storage URIs: one parser, Kestra's layout, names that cannot alias each other."""

from __future__ import annotations

import pytest

from tercel.errors import InvalidNameError, StorageAccessError
from tercel.storage import uri
from tercel.storage.access import ExecutionScope, Upstream


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


def test_parse_decodes_each_segment_once() -> None:
    parsed = uri.parse("kestra:///b/producer/%65xecutions/E1/a%20b.txt")
    assert parsed.segments == ("b", "producer", "executions", "E1", "a b.txt")
    assert parsed.uri == "kestra:///b/producer/executions/E1/a%20b.txt"
    # A literal `%` stays one: `%252F` is the three characters `%2F`, not a separator.
    assert uri.parse("kestra:///a/x%252Fy").segments == ("a", "x%2Fy")
    assert uri.parse("kestra:///a/b/").folder


@pytest.mark.parametrize(
    "bad",
    [
        "kestra:///a/executions%2Fx",
        "kestra:///a/executions%2fx",
        "kestra:///a/b%5Cc",
        "kestra:///a\\b",
        "kestra:///a/%2e%2e/b",
        "kestra:///a/./b",
        "kestra:///a/b%00",
        "kestra:///a/b%0A",
        "kestra:///a//b",
        "kestra:///a/b?x=1",
        "kestra:///a/%ff",
        "s3:///a",
    ],
)
def test_parse_refuses_encoded_separators_dot_segments_and_control_characters(bad: str) -> None:
    with pytest.raises(InvalidNameError):
        uri.parse(bad)


@pytest.mark.parametrize(
    "namespace", ["a..b", "a.b.", ".a", "a...b", "a._files", "a.-x", "a.executions"]
)
def test_namespaces_that_would_alias_another_are_refused(namespace: str) -> None:
    with pytest.raises(InvalidNameError, match="invalid namespace"):
        uri.namespace_file(namespace, "x.txt")
    with pytest.raises(InvalidNameError, match="invalid namespace"):
        uri.execution_prefix(namespace, "f", "E")


def test_flow_ids_that_are_storage_folder_names_are_refused() -> None:
    with pytest.raises(InvalidNameError):
        uri.execution_prefix("a", "executions", "E")
    with pytest.raises(InvalidNameError):
        uri.execution_prefix("a", "_files", "E")


SCOPE = ExecutionScope("a", "consumer", "E1", (Upstream("P1", "up", "parent"),))


@pytest.mark.parametrize(
    "readable",
    [
        "kestra:///a/consumer/executions/E1/tasks/t/r/out.txt",
        "kestra:///a/consumer/%65xecutions/E1/tasks/t/r/out.txt",
        "kestra:///up/parent/executions/P1/tasks/t/r/out.txt",
        "kestra:///a/_files/q.sql",
        "kestra:///b/c/_files/q.sql",
    ],
)
def test_an_execution_reads_its_files_its_upstreams_and_namespace_files(readable: str) -> None:
    assert SCOPE.check_read(readable) == uri.normalize(readable)


@pytest.mark.parametrize(
    "refused",
    [
        "kestra:///b/producer/executions/E9/tasks/t/r/out.txt",
        "kestra:///b/producer/%65xecutions/E9/tasks/t/r/out.txt",
        "kestra:///a/consumer/executions/E2/tasks/t/r/out.txt",
        "kestra:///up/other/executions/P1/tasks/t/r/out.txt",
        "kestra:///b/producer/t/cache/cache.zip",
        "kestra:///a/consumer/states/s/default.json",
        "kestra:///b",
        "kestra:///",
    ],
)
def test_an_execution_cannot_read_other_files(refused: str) -> None:
    with pytest.raises(StorageAccessError):
        SCOPE.check_read(refused)


def test_an_execution_deletes_only_single_files_it_owns_or_of_its_namespace() -> None:
    own = "kestra:///a/consumer/executions/E1/tasks/t/r/out.txt"
    assert SCOPE.check_delete(own) == own
    assert SCOPE.check_delete("kestra:///a/_files/old.csv") == "kestra:///a/_files/old.csv"
    for refused in (
        "kestra:///c",
        "kestra:///c/",
        "kestra:///a/",
        "kestra:///a/_files/",
        "kestra:///a/consumer/executions/E1/",
        "kestra:///b/_files/x.csv",
        "kestra:///up/parent/executions/P1/tasks/t/r/out.txt",
    ):
        with pytest.raises(StorageAccessError):
            SCOPE.check_delete(refused)
