"""A loaded flow dumps to Kestra's JSON with every subclass property, and loads back equal."""

from __future__ import annotations

import json

import pytest
from model_helpers import FIXTURES

from tercel.model.loader import load_flows_from_path, parse_flow_dict

VALIDS = sorted((FIXTURES / "kestra" / "valids").glob("*.yaml"))


@pytest.mark.parametrize("path", VALIDS, ids=lambda path: path.name)
def test_flow_survives_a_json_round_trip(path: object) -> None:
    for flow, _ in load_flows_from_path(path):  # type: ignore[arg-type]
        wire = json.loads(json.dumps(flow.to_wire()))
        assert parse_flow_dict(wire).to_wire() == wire


def test_wire_json_keeps_subclass_properties_and_canonical_types() -> None:
    flows = load_flows_from_path(FIXTURES / "kestra" / "valids" / "webhook-with-condition.yaml")
    wire = flows[0][0].to_wire()
    trigger = wire["triggers"][0]  # type: ignore[index]
    assert trigger["key"] == "webhookKey"
    assert trigger["conditions"][0] == {
        "type": "io.kestra.plugin.core.condition.Expression",
        "expression": "{{trigger.body.hello == 'world'}}",
    }


def test_load_flows_from_a_folder_returns_each_flow_with_its_source() -> None:
    flows = load_flows_from_path(FIXTURES / "kestra" / "valids")
    assert sorted(source for _, source in flows) == sorted(
        path.read_text(encoding="utf-8") for path in VALIDS
    )
