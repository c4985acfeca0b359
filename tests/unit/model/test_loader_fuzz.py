"""Property: whatever is done to a valid flow, the loader answers with a Flow or with
`FlowValidationError` whose problems all have a position, never with another exception."""

from __future__ import annotations

import io
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from model_helpers import FIXTURES
from ruamel.yaml import YAML

from tercel.errors import FlowValidationError
from tercel.model.loader import load_flow, parse_flow_dict
from tercel.model.yaml_source import parse_documents

SEEDS = [
    path.read_text(encoding="utf-8")
    for path in sorted((FIXTURES / "kestra" / "valids").glob("*.yaml"))
]
FUZZ = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def check_loader(source: str) -> None:
    problems = []
    try:
        load_flow(source, "fuzz.yml")
    except FlowValidationError as error:
        problems = error.problems or [None]
    for problem in problems:
        assert problem is not None, "FlowValidationError without problems"
        assert problem.line >= 1, problem
        assert problem.column >= 1, problem
        assert problem.message


def paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            found += paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += paths(value, (*prefix, index))
    return found


def dump(data: Any) -> str:
    stream = io.StringIO()
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    yaml.dump(data, stream)
    return stream.getvalue()


WRONG_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=20),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
)


@FUZZ
@given(seed=st.sampled_from(SEEDS), data=st.data())
def test_structural_mutations_give_positioned_problems(seed: str, data: st.DataObject) -> None:
    tree = parse_documents(seed)[0].data
    targets = [p for p in paths(tree) if p]
    path = data.draw(st.sampled_from(targets))
    parent: Any = tree
    for item in path[:-1]:
        parent = parent[item]
    action = data.draw(st.sampled_from(["drop", "rename", "replace"]))
    last = path[-1]
    if action == "drop":
        del parent[last]
    elif action == "rename" and isinstance(parent, dict):
        parent[data.draw(st.text(min_size=1, max_size=12))] = parent.pop(last)
    else:
        parent[last] = data.draw(WRONG_VALUES)
    check_loader(dump(tree))


@FUZZ
@given(seed=st.sampled_from(SEEDS), data=st.data())
def test_text_mutations_give_positioned_problems(seed: str, data: st.DataObject) -> None:
    lines = seed.splitlines(keepends=True)
    index = data.draw(st.integers(0, len(lines) - 1))
    action = data.draw(st.sampled_from(["indent", "dedent", "insert", "cut", "tab"]))
    line = lines[index]
    if action == "indent":
        lines[index] = " " * data.draw(st.integers(1, 5)) + line
    elif action == "dedent":
        lines[index] = line.lstrip(" ")
    elif action == "tab":
        lines[index] = "\t" + line
    elif action == "insert":
        at = data.draw(st.integers(0, len(line)))
        lines[index] = line[:at] + data.draw(st.text(max_size=10)) + line[at:]
    else:
        at = data.draw(st.integers(0, len(line)))
        lines[index] = line[:at]
    check_loader("".join(lines))


@FUZZ
@given(raw=st.binary(max_size=200))
def test_random_bytes_give_positioned_problems(raw: bytes) -> None:
    check_loader(raw.decode("utf-8", errors="replace"))


def test_seeds_are_valid_flows() -> None:
    for seed in SEEDS:
        load_flow(seed)


@FUZZ
@given(seed=st.sampled_from(SEEDS), data=st.data())
def test_parse_flow_dict_only_raises_flow_validation_error(seed: str, data: st.DataObject) -> None:
    tree = parse_documents(seed)[0].data
    targets = [p for p in paths(tree) if p]
    path = data.draw(st.sampled_from(targets))
    parent: Any = tree
    for item in path[:-1]:
        parent = parent[item]
    parent[path[-1]] = data.draw(WRONG_VALUES)
    problems: list[Any] = []
    try:
        parse_flow_dict(tree)
    except FlowValidationError as error:
        problems = error.problems or [None]
    assert None not in problems
