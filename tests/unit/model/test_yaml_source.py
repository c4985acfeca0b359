"""YAML reading: YAML 1.2 scalars, anchors and merge keys, positions of keys and values."""

from __future__ import annotations

import math

import pytest

from tercel.model import yaml_source
from tercel.model.yaml_source import Position, format_path, parse_documents


def test_yaml_1_2_scalars() -> None:
    document = parse_documents(
        "a: yes\nb: no\nc: on\nd: 2024-01-31\ne: 0o17\nf: 0x1F\ng: ~\nh: 1.5\ni: .inf\n"
        "j: true\nk: '12'\nl: 1_000\n"
    )[0]
    assert document.data == {
        "a": "yes", "b": "no", "c": "on", "d": "2024-01-31", "e": 15, "f": 31, "g": None,
        "h": 1.5, "i": math.inf, "j": True, "k": "12", "l": 1000,
    }  # fmt: skip


def test_numeric_and_boolean_keys_are_strings() -> None:
    assert parse_documents("1: a\ntrue: b\n")[0].data == {"1": "a", "true": "b"}


def test_anchors_aliases_and_merge_keys() -> None:
    data = parse_documents("base: &b {x: 1, y: 2}\nuse:\n  <<: *b\n  y: 3\nsame: *b\n")[0].data
    assert data["use"] == {"x": 1, "y": 3}
    assert data["same"] == {"x": 1, "y": 2}


def test_positions_of_keys_and_values_are_one_based() -> None:
    document = parse_documents("tasks:\n  - id: a\n    message: |\n      hi\n")[0]
    assert document.positions.key(("tasks", 0, "message")) == Position(3, 5)
    assert document.positions.value(("tasks", 0, "message")) == Position(3, 14)
    assert document.positions.value(("tasks", 0)) == Position(2, 5)
    # Unknown paths fall back to the nearest known ancestor.
    assert document.positions.value(("tasks", 0, "nope", 3)) == Position(2, 5)


def test_duplicate_keys_are_reported_at_the_second_key_in_nested_maps() -> None:
    document = parse_documents("a:\n  b: 1\n  c: 2\n  b: 3\n")[0]
    assert document.data == {"a": {"b": 1, "c": 2}}
    assert [(p.message, p.line, p.column) for p in document.problems] == [
        ("duplicate key `a.b`", 4, 3)
    ]


def test_documents_keep_their_absolute_lines() -> None:
    documents = parse_documents("a: 1\n---\nb: x\nc: 2\nc: 3\n")
    assert [d.data for d in documents] == [{"a": 1}, {"b": "x", "c": 2}]
    assert [(p.line, p.column) for p in documents[1].problems] == [(5, 1)]


def test_syntax_error_becomes_a_problem_with_its_position() -> None:
    documents = parse_documents("a: 1\nb: [1, 2\nc: 3\n", "f.yml")
    problem = documents[-1].problems[0]
    assert problem.path == "f.yml"
    assert problem.message.startswith("invalid YAML")
    assert problem.line == 3


@pytest.mark.parametrize(
    ("source", "line", "hint"),
    [
        (
            "tasks:\n  - id: a\n\ttype: x\n",
            3,
            "YAML indents with spaces only: replace the tab with spaces",
        ),
        (
            "tasks:\n  - id: a\n    type: x\n   message: hi\n",
            4,
            "check the indentation: the properties of one map start in the same column",
        ),
        (
            "tasks:\n  - id: a\n    type: x\n      message: hi\n",
            4,
            "check the indentation of this line; or, if a value contains `: `, quote the value",
        ),
        ('a: 1\nb: "open\n', 3, "a quoted string is not closed; it starts at line 2"),
    ],
)
def test_syntax_errors_say_what_usually_causes_them(source: str, line: int, hint: str) -> None:
    problem = parse_documents(source, "f.yml")[-1].problems[0]
    assert (problem.line, problem.hint) == (line, hint)


def test_format_path_joins_keys_and_indexes() -> None:
    assert format_path(("tasks", 2, "then", 0, "id")) == "tasks[2].then[0].id"


@pytest.mark.parametrize("with_clib", [True, False])
def test_pure_python_and_c_composers_read_the_same(
    with_clib: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(yaml_source, "_HAS_CLIB", with_clib)
    documents = parse_documents("a: yes\nb: [1, 2.5, ~]\nc: 2024-01-01\nd: !!str 12\na: 2\n")
    assert documents[0].data == {"a": "yes", "b": [1, 2.5, None], "c": "2024-01-01", "d": "12"}
    assert [(p.line, p.column) for p in documents[0].problems] == [(5, 1)]


def test_aliases_that_expand_beyond_the_limit_are_one_problem_at_the_alias() -> None:
    # Six levels of ten aliases: 10^6 values from a few hundred bytes.
    lines = ["l1: &l1 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]" for i in range(2, 7)]
    documents = parse_documents("\n".join(lines) + "\n")
    assert len(documents) == 1
    assert documents[0].data is None
    [problem] = documents[0].problems
    # Aliases before l5 stand for 12_330 values; each `*l4` adds 11_111: the 8th passes 100_000.
    assert (problem.line, problem.column) == (5, 10 + 7 * 5)
    assert "aliases expand" in problem.message
    assert "`*l4`" in problem.message


def test_too_many_aliases_are_refused_even_when_each_is_small() -> None:
    source = "a: &a x\nb: [" + ", ".join(["*a"] * (yaml_source.MAX_ALIASES + 1)) + "]\n"
    [document] = parse_documents(source)
    assert document.data is None
    assert "aliases" in document.problems[0].message


def test_values_written_out_are_not_limited_only_aliased_ones() -> None:
    source = "values: [" + ", ".join(["1"] * (yaml_source.MAX_VALUES + 10)) + "]\n"
    [document] = parse_documents(source)
    assert document.problems == []
    assert len(document.data["values"]) == yaml_source.MAX_VALUES + 10


def test_aliases_within_the_limits_still_expand() -> None:
    lines = ["l1: &l1 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]" for i in range(2, 5)]
    [document] = parse_documents("\n".join(lines) + "\n")
    assert document.problems == []
    assert len(document.data["l4"]) == 10
    assert document.data["l4"][9][9][9] == ["x"] * 10


@pytest.mark.parametrize(
    "source",
    [
        "[" * 100_000 + "]" * 100_000,  # flow style: libyaml's composer recursed in C
        "- " * 100_000 + "x",  # block style on one line
        "a:\n" + "".join("  " * i + "- k:\n" for i in range(1, 200)) + "  " * 200 + "v\n",
    ],
    ids=["flow", "block-inline", "block-indented"],
)
def test_deep_nesting_is_a_problem_not_a_crash(source: str) -> None:
    [document] = parse_documents(source)
    assert document.data is None
    [problem] = document.problems
    assert f"nested more than {yaml_source.MAX_DEPTH} levels" in problem.message
    assert problem.line >= 1
    assert problem.column >= 1


def test_nesting_up_to_the_limit_is_read() -> None:
    depth = yaml_source.MAX_DEPTH
    [document] = parse_documents("[" * depth + "]" * depth)
    assert document.problems == []
