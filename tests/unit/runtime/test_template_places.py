"""Where a failing template is: with the flow's file, and without one (server flows)."""

from __future__ import annotations

from tercel.model.loader import load_flow
from tercel.runtime.template_places import FlowSources

NESTED = """id: nested
namespace: company.team
tasks:
  - id: group
    type: io.kestra.plugin.core.flow.Sequential
    tasks:
      - id: inner
        type: io.kestra.plugin.core.log.Log
        message: "{{ inputs.nope }}"
"""


def test_a_nested_task_template_is_placed_at_its_line_and_column() -> None:
    flow = load_flow(NESTED, "nested.yml")
    sources = FlowSources()
    sources.add(flow, "nested.yml", NESTED)
    assert sources.place(flow, "inner", "{{ inputs.nope }}") == (
        "tasks[0].tasks[0].message at nested.yml:9:18"
    )


def test_a_flow_without_a_file_still_gets_the_dotted_location() -> None:
    flow = load_flow(NESTED, "nested.yml")
    assert FlowSources().place(flow, "inner", "{{ inputs.nope }}") == "tasks[0].tasks[0].message"
