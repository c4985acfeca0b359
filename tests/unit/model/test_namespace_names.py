"""The one namespace-name rule: dotted non-empty segments, used by flows and every edge."""

from __future__ import annotations

import pytest

from tercel.errors import FlowValidationError, InvalidNameError
from tercel.model.loader import load_flow
from tercel.model.names import check_namespace, namespace_problem

FLOW = "id: f\nnamespace: {ns}\ntasks:\n  - id: t\n    type: io.kestra.plugin.core.log.Log\n    message: hi\n"


@pytest.mark.parametrize("name", ["a", "company.team", "a.b-c.d_e", "0.x", "a.b_", "a.b-"])
def test_dotted_names_are_namespaces(name: str) -> None:
    assert namespace_problem(name) is None
    assert check_namespace(name) == name


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("a..b", "empty segment"),
        ("a.b.", "empty segment"),
        ("a...b", "empty segment"),
        (".a", "empty segment"),
        ("", "required"),
        ("A.b", "not a valid namespace"),
        ("a/b", "not a valid namespace"),
        ("a b", "not a valid namespace"),
        ("_a", "starting with `_` or `-`"),
        # Names the internal storage reserves: they would alias another namespace's files.
        ("a._files", "starting with `_` or `-`"),
        ("a.-b", "starting with `_` or `-`"),
        ("a.flow.executions", "segment `executions`"),
        ("a" * 151, "at most 150"),
    ],
)
def test_malformed_names_say_why(name: str, reason: str) -> None:
    with pytest.raises(InvalidNameError, match=reason) as raised:
        check_namespace(name, "path.namespace")
    assert str(raised.value).startswith("path.namespace: ")


@pytest.mark.parametrize("name", ["a..b", "a.b.", ".a"])
def test_a_flow_namespace_with_an_empty_segment_is_a_positioned_problem(name: str) -> None:
    with pytest.raises(FlowValidationError) as raised:
        load_flow(FLOW.format(ns=name), "f.yml")
    [problem] = raised.value.problems
    assert (problem.line, problem.location) == (2, "namespace")
    assert "empty segment" in problem.message


def test_the_schema_keeps_the_pattern_for_editors() -> None:
    from tercel.model.flow import Flow

    schema = Flow.model_json_schema(by_alias=True)
    assert schema["properties"]["namespace"]["pattern"].startswith("^[a-z0-9]")
