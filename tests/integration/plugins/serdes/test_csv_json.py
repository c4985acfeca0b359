"""CSV and JSON conversions with Kestra's options, on files in a real local storage."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from serdes_helpers import convert, put, rows_of

from tercel.errors import TaskError
from tercel.plugins.core.storage import ion
from tercel.testing import FakeTaskContext

pytestmark = pytest.mark.integration

CSV_TO_ION = "io.kestra.plugin.serdes.csv.CsvToIon"
ION_TO_CSV = "io.kestra.plugin.serdes.csv.IonToCsv"
JSON_TO_ION = "io.kestra.plugin.serdes.json.JsonToIon"
ION_TO_JSON = "io.kestra.plugin.serdes.json.IonToJson"


async def test_csv_with_a_header_becomes_maps_of_text(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path)
    uri = put(ctx, "in.csv", '\ufeffid,name,note\n1,"Smith, Ada","said ""hi"""\n2,Bob,\\N\n')
    outputs = await convert(ctx, CSV_TO_ION, uri)
    assert outputs["size"] == 2
    assert outputs["uri"].endswith(".ion")
    assert rows_of(ctx, outputs["uri"]) == [
        {"id": "1", "name": "Smith, Ada", "note": 'said "hi"'},
        {"id": "2", "name": "Bob", "note": None},
    ]
    assert ctx.metrics == [{"name": "records", "type": "counter", "value": 2.0, "tags": {}}]


async def test_csv_options_separator_quote_charset_no_header_and_skip_rows(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path)
    uri = put(ctx, "in.csv", "'a;b';é\nskip;me\nx;ÿ\n".encode("iso-8859-1"))
    outputs = await convert(
        ctx,
        CSV_TO_ION,
        uri,
        header=False,
        fieldSeparator=";",
        textDelimiter="'",
        charset="ISO-8859-1",
        skipRows=0,
    )
    assert rows_of(ctx, outputs["uri"]) == [["a;b", "é"], ["skip", "me"], ["x", "ÿ"]]
    skipped = await convert(ctx, CSV_TO_ION, put(ctx, "h.csv", "k\n1\n2\n3\n"), skipRows=2)
    assert rows_of(ctx, skipped["uri"]) == [{"k": "3"}]


async def test_csv_bad_lines_fail_by_default_and_can_be_skipped(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path)
    uri = put(ctx, "in.csv", "a,b\n1,2\n3\n4,5\n")
    with pytest.raises(TaskError, match="field count mismatch"):
        await convert(ctx, CSV_TO_ION, uri)
    outputs = await convert(ctx, CSV_TO_ION, uri, onBadLines="WARN")
    assert rows_of(ctx, outputs["uri"]) == [{"a": "1", "b": "2"}, {"a": "4", "b": "5"}]
    assert any("field count mismatch" in line for line in ctx.messages("WARN"))


async def test_csv_trailing_separator_drops_the_unnamed_column_or_renames_it(
    tmp_path: Path,
) -> None:
    ctx = FakeTaskContext(tmp_path)
    uri = put(ctx, "in.csv", "a,b,\n1,2,\n")
    dropped = await convert(ctx, CSV_TO_ION, uri)
    assert rows_of(ctx, dropped["uri"]) == [{"a": "1", "b": "2"}]
    renamed = await convert(ctx, CSV_TO_ION, uri, onEmptyHeader="RENAME")
    assert rows_of(ctx, renamed["uri"]) == [{"a": "1", "b": "2", "col_2": ""}]


async def test_ion_to_csv_writes_a_header_quotes_and_dates(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path)
    rows = [
        {
            "id": 1,
            "name": "Smith, Ada",
            "at": datetime(2024, 3, 1, 10, 30, tzinfo=UTC),
            "day": date(2024, 3, 1),
            "ok": True,
            "amount": Decimal("12.50"),
            "none": None,
        },
        {
            "id": 2,
            "name": 'say "hi"',
            "at": None,
            "day": None,
            "ok": False,
            "amount": 1.5,
            "none": None,
        },
    ]
    uri = put(ctx, "rows.ion", "".join(ion.dumps(row) + "\n" for row in rows))
    outputs = await convert(ctx, ION_TO_CSV, uri)
    assert outputs["size"] == 2
    assert ctx.storage.get(outputs["uri"]).decode() == (
        "id,name,at,day,ok,amount,none\n"
        '1,"Smith, Ada",2024-03-01T10:30:00.000Z,2024-03-01,true,12.50,\n'
        '2,"say ""hi""",,,false,1.5,\n'
    )
    custom = await convert(
        ctx,
        ION_TO_CSV,
        uri,
        header=False,
        fieldSeparator=";",
        quoteMode="NON_NUMERIC",
        dateFormat="dd/MM/yyyy",
        dateTimeFormat="yyyy-MM-dd HH:mm",
        lineDelimiter="\r\n",
    )
    assert ctx.storage.get(custom["uri"]).decode() == (
        '1;"Smith, Ada";"2024-03-01 10:30";"01/03/2024";"true";12.50;\r\n'
        '2;"say ""hi""";;;"false";1.5;\r\n'
    )


async def test_csv_round_trip_keeps_every_value(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path)
    text = 'a,b\n"multi\nline",x\n,"q""uote"\n'
    ion_file = await convert(ctx, CSV_TO_ION, put(ctx, "in.csv", text))
    back = await convert(ctx, ION_TO_CSV, ion_file["uri"], alwaysDelimitText=True)
    assert ctx.storage.get(back["uri"]).decode() == '"a","b"\n"multi\nline","x"\n"","q""uote"\n'


async def test_json_lines_and_json_arrays_to_ion(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path)
    lines = put(ctx, "in.jsonl", '{"id": 1, "tags": ["a"]}\n\n{"id": 2, "price": 2.5}\n')
    outputs = await convert(ctx, JSON_TO_ION, lines)
    assert outputs["size"] == 2
    assert rows_of(ctx, outputs["uri"]) == [{"id": 1, "tags": ["a"]}, {"id": 2, "price": 2.5}]
    array = put(ctx, "in.json", '[{"id": 1}, {"id": 2}, {"id": 3}]')
    whole = await convert(ctx, JSON_TO_ION, array, newLine=False)
    assert [row["id"] for row in rows_of(ctx, whole["uri"])] == [1, 2, 3]
    with pytest.raises(TaskError, match="newLine: false"):
        await convert(ctx, JSON_TO_ION, put(ctx, "pretty.json", '[\n {"id": 1}\n]'))


async def test_ion_to_json_lines_and_documents(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path)
    rows = [
        {"id": 1, "at": datetime(2024, 3, 1, 10, 30, tzinfo=UTC), "d": Decimal("1.5")},
        {"id": 2},
    ]
    uri = put(ctx, "rows.ion", "".join(ion.dumps(row) + "\n" for row in rows))
    outputs = await convert(ctx, ION_TO_JSON, uri)
    assert outputs["uri"].endswith(".jsonl")
    assert ctx.storage.get(outputs["uri"]).decode() == (
        '{"id":1,"at":"2024-03-01T10:30:00+00:00","d":1.5}\n{"id":2}\n'
    )
    document = await convert(ctx, ION_TO_JSON, uri, newLine=False)
    assert document["uri"].endswith(".json")
    assert ctx.storage.get(document["uri"]).decode().startswith('[{"id":1,')
    single = await convert(ctx, ION_TO_JSON, put(ctx, "one.ion", "{id:7}\n"), newLine=False)
    assert ctx.storage.get(single["uri"]).decode() == '{"id":7}'


async def test_json_round_trip_through_ion(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path)
    text = '{"a":1,"b":{"c":[1,2,{"d":null}]},"e":"é","f":true,"g":0.25}\n'
    ion_file = await convert(ctx, JSON_TO_ION, put(ctx, "in.jsonl", text))
    back = await convert(ctx, ION_TO_JSON, ion_file["uri"])
    assert ctx.storage.get(back["uri"]).decode() == text


async def test_conversions_refuse_another_executions_file(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path)
    other = "kestra:///company/team/flow/executions/someoneelse/tasks/t/r/in.csv"
    with pytest.raises(TaskError):
        await convert(ctx, CSV_TO_ION, other)
