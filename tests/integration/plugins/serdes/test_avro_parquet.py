"""Avro and Parquet conversions, checked by reading the files back with fastavro and pyarrow."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import fastavro
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from serdes_helpers import convert, put, rows_of

from tercel.errors import TaskError
from tercel.testing import FakeTaskContext

pytestmark = pytest.mark.integration

SCHEMA = {
    "type": "record",
    "name": "Order",
    "namespace": "company.team",
    "fields": [
        {"name": "id", "type": "long"},
        {"name": "paid", "type": "boolean"},
        {"name": "amount", "type": ["null", "double"]},
        {"name": "day", "type": {"type": "int", "logicalType": "date"}},
        {"name": "at", "type": ["null", {"type": "long", "logicalType": "timestamp-millis"}]},
        {
            "name": "price",
            "type": {"type": "bytes", "logicalType": "decimal", "precision": 10, "scale": 2},
        },
        {"name": "name", "type": "string"},
    ],
}

CSV = (
    "id,paid,amount,day,at,price,name\n"
    "1,yes,12.5,2024-03-01,2024-03-01T10:30:00Z,9.99,Ada\n"
    "2,0,,2024-03-02,,10,Bob\n"
)


async def csv_rows(ctx: FakeTaskContext) -> str:
    outputs = await convert(ctx, "io.kestra.plugin.serdes.csv.CsvToIon", put(ctx, "in.csv", CSV))
    return str(outputs["uri"])


EXPECTED = [
    {
        "id": 1,
        "paid": True,
        "amount": 12.5,
        "day": date(2024, 3, 1),
        "at": datetime(2024, 3, 1, 10, 30, tzinfo=UTC),
        "price": Decimal("9.99"),
        "name": "Ada",
    },
    {
        "id": 2,
        "paid": False,
        "amount": None,
        "day": date(2024, 3, 2),
        "at": None,
        "price": Decimal("10.00"),
        "name": "Bob",
    },
]


async def test_csv_text_becomes_typed_avro_records_with_a_schema(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path)
    outputs = await convert(
        ctx,
        "io.kestra.plugin.serdes.avro.IonToAvro",
        await csv_rows(ctx),
        schema=json.dumps(SCHEMA),
    )
    assert outputs["size"] == 2
    assert outputs["uri"].endswith(".avro")
    records = list(fastavro.reader(io.BytesIO(ctx.storage.get(outputs["uri"]))))
    assert records == EXPECTED
    back = await convert(ctx, "io.kestra.plugin.serdes.avro.AvroToIon", outputs["uri"])
    assert back["size"] == 2
    assert rows_of(ctx, back["uri"]) == EXPECTED


async def test_avro_schema_is_inferred_when_not_given(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path)
    uri = put(ctx, "rows.ion", '{id:1,name:"a",ratio:0.5e0}\n{id:2,name:null,ratio:1.5e0}\n')
    outputs = await convert(ctx, "io.kestra.plugin.serdes.avro.IonToAvro", uri)
    reader = fastavro.reader(io.BytesIO(ctx.storage.get(outputs["uri"])))
    fields = {field["name"]: field["type"] for field in reader.writer_schema["fields"]}
    assert fields == {
        "id": ["null", "long"],
        "name": ["null", "string"],
        "ratio": ["null", "double"],
    }
    assert [record["name"] for record in reader] == ["a", None]


async def test_a_row_that_does_not_fit_the_schema_fails_or_is_skipped(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path)
    uri = put(ctx, "in.ion", '{id:"1",paid:"true"}\n{id:"x",paid:"maybe"}\n{id:"3",paid:"off"}\n')
    schema = {
        "type": "record",
        "name": "r",
        "fields": [{"name": "id", "type": "long"}, {"name": "paid", "type": "boolean"}],
    }
    with pytest.raises(TaskError, match="row 2 does not fit the schema: field `id`"):
        await convert(ctx, "io.kestra.plugin.serdes.avro.IonToAvro", uri, schema=json.dumps(schema))
    outputs = await convert(
        ctx,
        "io.kestra.plugin.serdes.avro.IonToAvro",
        uri,
        schema=json.dumps(schema),
        onBadLines="SKIP",
    )
    assert outputs["size"] == 2
    records = list(fastavro.reader(io.BytesIO(ctx.storage.get(outputs["uri"]))))
    assert records == [{"id": 1, "paid": True}, {"id": 3, "paid": False}]


async def test_options_true_values_and_decimal_separator(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path)
    uri = put(ctx, "in.ion", '{ok:"oui",n:"1,5",d:"01/03/2024"}\n')
    schema = {
        "type": "record",
        "name": "r",
        "fields": [
            {"name": "ok", "type": "boolean"},
            {"name": "n", "type": "double"},
            {"name": "d", "type": {"type": "int", "logicalType": "date"}},
        ],
    }
    outputs = await convert(
        ctx,
        "io.kestra.plugin.serdes.avro.IonToAvro",
        uri,
        schema=json.dumps(schema),
        trueValues=["oui"],
        decimalSeparator=",",
        dateFormat="dd/MM/yyyy",
    )
    records = list(fastavro.reader(io.BytesIO(ctx.storage.get(outputs["uri"]))))
    assert records == [{"ok": True, "n": 1.5, "d": date(2024, 3, 1)}]


async def test_parquet_round_trip_with_a_schema_and_compression(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path)
    outputs = await convert(
        ctx,
        "io.kestra.plugin.serdes.parquet.IonToParquet",
        await csv_rows(ctx),
        schema=json.dumps(SCHEMA),
        compressionCodec="ZSTD",
    )
    assert outputs["size"] == 2
    path = tmp_path / "out.parquet"
    path.write_bytes(ctx.storage.get(outputs["uri"]))
    parquet = pq.ParquetFile(path)
    assert parquet.metadata.row_group(0).column(0).compression == "ZSTD"
    table = parquet.read()
    assert table.schema.field("price").type == pa.decimal128(10, 2)
    assert table.schema.field("id").nullable is False
    assert table.to_pylist() == EXPECTED
    back = await convert(ctx, "io.kestra.plugin.serdes.parquet.ParquetToIon", outputs["uri"])
    assert rows_of(ctx, back["uri"]) == EXPECTED


async def test_parquet_written_elsewhere_reads_into_rows(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path)
    path = tmp_path / "made.parquet"
    pq.write_table(pa.table({"k": ["a", "b", None], "v": [1, 2, 3]}), path)
    outputs = await convert(
        ctx,
        "io.kestra.plugin.serdes.parquet.ParquetToIon",
        put(ctx, "made.parquet", path.read_bytes()),
    )
    assert rows_of(ctx, outputs["uri"]) == [
        {"k": "a", "v": 1},
        {"k": "b", "v": 2},
        {"k": None, "v": 3},
    ]
    with pytest.raises(TaskError, match="Parquet"):
        await convert(
            ctx, "io.kestra.plugin.serdes.parquet.ParquetToIon", put(ctx, "bad.parquet", b"nope")
        )
