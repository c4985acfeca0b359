"""YAML conversions and JsonToJsonl, on files in a real local storage."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from serdes_helpers import convert, put, rows_of

from tercel.errors import TaskError
from tercel.plugins.core.storage import ion
from tercel.testing import FakeTaskContext

pytestmark = pytest.mark.integration

YAML_STREAM = """\
id: 1
name: Ada
joined: 2024-03-01
tags: [a, b]
---
id: 2
name: Bob
active: true
"""


async def test_each_yaml_document_becomes_a_row(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path)
    outputs = await convert(
        ctx, "io.kestra.plugin.serdes.yaml.YamlToIon", put(ctx, "in.yaml", YAML_STREAM)
    )
    assert outputs["size"] == 2
    assert rows_of(ctx, outputs["uri"]) == [
        {"id": 1, "name": "Ada", "joined": "2024-03-01", "tags": ["a", "b"]},
        {"id": 2, "name": "Bob", "active": True},
    ]
    with pytest.raises(TaskError, match="not valid YAML"):
        await convert(
            ctx, "io.kestra.plugin.serdes.yaml.YamlToIon", put(ctx, "bad.yaml", "a: [1,\n")
        )


async def test_ion_to_yaml_writes_one_document_or_several(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path)
    rows = [{"id": 1, "price": Decimal("9.99"), "day": date(2024, 3, 1)}, {"id": 2, "price": None}]
    several = put(ctx, "rows.ion", "".join(ion.dumps(row) + "\n" for row in rows))
    outputs = await convert(ctx, "io.kestra.plugin.serdes.yaml.IonToYaml", several)
    assert outputs["uri"].endswith(".yaml")
    assert ctx.storage.get(outputs["uri"]).decode() == (
        "---\nid: 1\nprice: 9.99\nday: '2024-03-01'\n---\nid: 2\nprice: null\n"
    )
    one = await convert(
        ctx, "io.kestra.plugin.serdes.yaml.IonToYaml", put(ctx, "one.ion", "{id:1}\n")
    )
    assert ctx.storage.get(one["uri"]).decode() == "id: 1\n"


async def test_json_and_yaml_convert_both_ways(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path)
    to_yaml = await convert(
        ctx, "io.kestra.plugin.serdes.yaml.JsonToYaml", put(ctx, "in.json", '{"a": 1, "b": ["x"]}')
    )
    assert ctx.storage.get(to_yaml["uri"]).decode() == "a: 1\nb:\n- x\n"
    lines = await convert(
        ctx,
        "io.kestra.plugin.serdes.yaml.JsonToYaml",
        put(ctx, "in.jsonl", '{"a": 1}\n{"a": 2}\n'),
        jsonl=True,
    )
    assert lines["size"] == 2
    back = await convert(ctx, "io.kestra.plugin.serdes.yaml.YamlToJson", lines["uri"])
    assert json.loads(ctx.storage.get(back["uri"])) == [{"a": 1}, {"a": 2}]
    jsonl = await convert(ctx, "io.kestra.plugin.serdes.yaml.YamlToJson", lines["uri"], jsonl=True)
    assert ctx.storage.get(jsonl["uri"]).decode() == '{"a":1}\n{"a":2}\n'


async def test_json_to_jsonl_splits_an_array_or_a_run_of_objects(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path)
    array = await convert(
        ctx,
        "io.kestra.plugin.serdes.json.JsonToJsonl",
        put(ctx, "a.json", '[\n {"id": 1},\n {"id": 2}\n]'),
    )
    assert array["size"] == 2
    assert ctx.storage.get(array["uri"]).decode() == '{"id":1}\n{"id":2}\n'
    objects = await convert(
        ctx,
        "io.kestra.plugin.serdes.json.JsonToJsonl",
        put(ctx, "o.json", '{"id": 1}\n{"id": 2} {"id": 3}'),
    )
    assert objects["size"] == 3
