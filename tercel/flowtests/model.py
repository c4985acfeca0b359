"""The test file format: a test suite names a flow and holds test cases (Kestra's names).

::

    id: marts_tests                        # the suite, unique in its namespace
    namespace: data.analytics
    flowId: marts
    testCases:
      - id: dbt_failure_reaches_errors
        type: io.kestra.core.tests.flow.UnitTest
        fixtures:
          inputs: {full_refresh: true}
          files: {rows.csv: "a,b\\n1,2\\n"}        # `{{ files['rows.csv'] }}` is its URI
          tasks:
            - id: dbt                              # never runs: ends FAILED, these outputs
              state: FAILED
              outputs: {exitCode: 1}
        assertions:
          - value: "{{ tasks.alert.state }}"
            equalTo: SUCCESS

Operator values may be templates; they are rendered like `value` (`tercel.flowtests.assertions`).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AliasChoices, Field, model_validator

from tercel.model.base import KestraModel
from tercel.model.flow import FLOW_ID_PATTERN
from tercel.model.names import NAMESPACE_PATTERN
from tercel.model.task import TASK_ID_PATTERN

#: The only test case type Kestra defines.
UNIT_TEST_TYPE = "io.kestra.core.tests.flow.UnitTest"

#: Assertion operators in the order results are reported (Kestra's names).
OPERATORS: tuple[str, ...] = (
    "isNull",
    "isNotNull",
    "endsWith",
    "startsWith",
    "equalTo",
    "contains",
    "notEqualTo",
    "greaterThan",
    "greaterThanOrEqualTo",
    "lessThan",
    "lessThanOrEqualTo",
    "in",
    "notIn",
)

#: Older Kestra releases spelled two operators this way; files written then still work.
OPERATOR_ALIASES = {"equalsTo": "equalTo", "notEqualsTo": "notEqualTo"}

#: States a mocked task may end in (the states a task attempt can end in).
MockState = Literal["SUCCESS", "WARNING", "FAILED", "KILLED"]

#: An expected value: a scalar, a list, or a template rendered like `value`.
Expected = Any


class Assertion(KestraModel):
    """One check on a rendered expression; every operator given is checked."""

    value: Any = Field(description="The expression whose rendered result is checked.")
    task_id: str | None = Field(default=None, description="A label: the task this checks.")
    error_message: str | None = Field(default=None, description="Message shown on failure.")
    description: str | None = None
    ends_with: str | None = None
    starts_with: str | None = None
    contains: str | None = None
    equal_to: Expected | None = Field(
        default=None, validation_alias=AliasChoices("equalTo", "equalsTo", "equal_to")
    )
    not_equal_to: Expected | None = Field(
        default=None,
        validation_alias=AliasChoices("notEqualTo", "notEqualsTo", "not_equal_to"),
    )
    greater_than: float | str | None = None
    greater_than_or_equal_to: float | str | None = None
    less_than: float | str | None = None
    less_than_or_equal_to: float | str | None = None
    in_: list[Any] | str | None = Field(default=None, alias="in")
    not_in: list[Any] | str | None = None
    is_null: bool | str | None = None
    is_not_null: bool | str | None = None

    def operators(self) -> list[tuple[str, Any]]:
        """The operators given, as ``(Kestra name, expected)`` in reporting order."""
        given: list[tuple[str, Any]] = []
        for name in OPERATORS:
            expected = getattr(self, _attribute(name))
            if expected is not None:
                given.append((name, expected))
        return given

    @model_validator(mode="after")
    def _needs_an_operator(self) -> Assertion:
        if not self.operators():
            from pydantic_core import PydanticCustomError

            raise PydanticCustomError(
                "no_operator",
                "an assertion needs an operator: one of {names}",
                {"names": ", ".join(OPERATORS)},
            )
        return self


def _attribute(operator: str) -> str:
    """The Python attribute of a Kestra operator name (`in` → `in_`)."""
    if operator == "in":
        return "in_"
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in operator)


class TaskFixture(KestraModel):
    """A task replaced in the test: it never runs and ends in `state` with `outputs`."""

    id: str = Field(pattern=TASK_ID_PATTERN, description="The id of the mocked task.")
    value: str | None = Field(
        default=None, description="Only the task run of this loop value is mocked."
    )
    state: MockState = "SUCCESS"
    outputs: dict[str, Any] | None = Field(
        default=None, description="Outputs of the mocked task run (templates are rendered)."
    )
    description: str | None = None
    assets: list[Any] | None = Field(default=None, description="Accepted and ignored.")


class TriggerFixture(KestraModel):
    """The trigger the execution seems to come from: `trigger.*` are its `variables`."""

    id: str
    type: str
    variables: dict[str, Any] | None = None


class Fixtures(KestraModel):
    """What a test case sets up before its execution starts."""

    inputs: dict[str, Any] | None = None
    files: dict[str, str] | None = Field(
        default=None, description="File name → content; `{{ files['name'] }}` is its URI."
    )
    tasks: list[TaskFixture] | None = None
    trigger: TriggerFixture | None = None


class UnitTest(KestraModel):
    """One test case: a transient execution of the flow, then its assertions."""

    id: str = Field(pattern=r"^[a-zA-Z0-9][a-zA-Z0-9_.-]*$")
    type: Literal["io.kestra.core.tests.flow.UnitTest"]
    disabled: bool = False
    description: str | None = None
    fixtures: Fixtures | None = None
    assertions: list[Assertion]


class TestSuite(KestraModel):
    """A test file: the flow it tests and its test cases."""

    __test__ = False  # not a pytest class, despite the name

    id: str = Field(pattern=r"^[a-zA-Z0-9][a-zA-Z0-9_-]*$")
    namespace: str = Field(pattern=NAMESPACE_PATTERN, max_length=150)
    flow_id: str = Field(pattern=FLOW_ID_PATTERN, max_length=100)
    description: str | None = None
    disabled: bool = False
    test_cases: list[UnitTest] = Field(min_length=1)
    tenant_id: str | None = None
    deleted: bool = False


def operator_attribute(operator: str) -> str:
    """The attribute of `Assertion` that holds `operator` (a Kestra name)."""
    return _attribute(OPERATOR_ALIASES.get(operator, operator))
