"""File patterns mean the same thing for every task that takes them (Kestra's glob rules)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tercel.errors import TaskError
from tercel.storage.globs import compile_pattern, matches, matching_files, selected

FILES = ["a.csv", "out/a.csv", "out/sub/b.csv", "out/sub/deep/c.txt", "dbt/models/m.sql"]


def _hits(pattern: str, *, any_depth: bool = False) -> list[str]:
    compiled = [compile_pattern(pattern, any_depth=any_depth)]
    return [path for path in FILES if matches(compiled, path)]


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("out/**", ["out/a.csv", "out/sub/b.csv", "out/sub/deep/c.txt"]),
        ("/out/**", ["out/a.csv", "out/sub/b.csv", "out/sub/deep/c.txt"]),
        ("out/*", ["out/a.csv"]),
        ("*.csv", ["a.csv"]),
        ("**/*.csv", ["a.csv", "out/a.csv", "out/sub/b.csv"]),
        ("**.csv", ["a.csv", "out/a.csv", "out/sub/b.csv"]),
        ("out/**/*.txt", ["out/sub/deep/c.txt"]),
        ("out/?.csv", ["out/a.csv"]),
        ("out/[ab].csv", ["out/a.csv"]),
        ("out/[!a].csv", []),
        ("{a.csv,dbt/**}", ["a.csv", "dbt/models/m.sql"]),
        ("glob:out/sub/*", ["out/sub/b.csv"]),
        ("regex:out/.*\\.csv", ["out/a.csv", "out/sub/b.csv"]),
    ],
)
def test_globs_follow_kestra_rules(pattern: str, expected: list[str]) -> None:
    assert _hits(pattern) == expected


def test_a_bare_namespace_file_name_matches_at_any_depth() -> None:
    assert _hits("m.sql", any_depth=True) == ["dbt/models/m.sql"]
    assert _hits("m.sql") == []
    assert _hits("glob:m.sql", any_depth=True) == []


def test_include_and_exclude_combine_as_in_kestra() -> None:
    include = [compile_pattern("out/**")]
    exclude = [compile_pattern("**/*.txt")]
    assert [p for p in FILES if selected(p, include, exclude)] == ["out/a.csv", "out/sub/b.csv"]
    assert [p for p in FILES if selected(p, [], exclude)] == [
        "a.csv",
        "out/a.csv",
        "out/sub/b.csv",
        "dbt/models/m.sql",
    ]


def test_matching_files_lists_files_at_every_depth_never_folders(tmp_path: Path) -> None:
    for name in FILES:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(name)
    found = [p.relative_to(tmp_path).as_posix() for p in matching_files(tmp_path, ["out/**"])]
    assert found == ["out/a.csv", "out/sub/b.csv", "out/sub/deep/c.txt"]


def test_an_unclosed_group_is_a_task_error_naming_the_pattern() -> None:
    with pytest.raises(TaskError, match=r"out/\{a"):
        compile_pattern("out/{a")
