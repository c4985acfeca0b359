"""`-k` selects cases by `suite::case` name or file path."""

from __future__ import annotations

import pytest

from tercel.cli.flowtest import select
from tercel.flowtests.loader import validate_test_source
from tercel.flowtests.runner import CaseSpec

pytestmark = pytest.mark.unit

SUITE = """id: marts
namespace: data.analytics
flowId: marts
testCases:
  - id: dbt_fails
    type: io.kestra.core.tests.flow.UnitTest
    assertions: [{value: "x", equalTo: x}]
  - id: report_kept
    type: io.kestra.core.tests.flow.UnitTest
    assertions: [{value: "x", equalTo: x}]
"""


def _specs() -> list[CaseSpec]:
    [result] = validate_test_source(SUITE, "tests/data/marts.yml")
    return [CaseSpec(result, index, None) for index in range(2)]


@pytest.mark.parametrize(
    ("pattern", "chosen"),
    [
        (None, ["marts::dbt_fails", "marts::report_kept"]),
        ("REPORT", ["marts::report_kept"]),
        ("marts::dbt*", ["marts::dbt_fails"]),
        ("tests/data/*", ["marts::dbt_fails", "marts::report_kept"]),
        ("nothing", []),
    ],
)
def test_k_matches_names_and_paths(pattern: str | None, chosen: list[str]) -> None:
    assert [spec.name for spec in select(_specs(), pattern)] == chosen
