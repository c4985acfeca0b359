"""`serdes.parquet.IonToParquet` and `serdes.parquet.ParquetToIon` (the `serdes` extra: pyarrow).

Rows are converted with the Avro schema of `IonToParquet` (given or inferred, as Kestra
does), then written in row groups of `_BATCH` rows, so memory stays bounded; reading goes
batch by batch too.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pydantic import Field

from tercel.errors import TaskError
from tercel.model.registry import plugin
from tercel.plugins.context import TaskContext, TaskResult
from tercel.plugins.core.storage import ion
from tercel.plugins.core.templating.properties import Text, render_enum, render_int
from tercel.plugins.jdbc.values import stored_value
from tercel.plugins.serdes.avro_values import AvroConverter
from tercel.plugins.serdes.common import ConversionTask, optional_library, result, target

CODECS = ("UNCOMPRESSED", "SNAPPY", "GZIP", "ZSTD")
VERSIONS = ("V1", "V2")
#: Rows per write (and per row group): bounds memory whatever the file's size.
_BATCH = 50_000


@plugin(
    "io.kestra.plugin.serdes.parquet.IonToParquet",
    aliases=("io.kestra.plugin.serdes.parquet.ParquetWriter",),
)
class IonToParquet(AvroConverter):
    """Convert an Ion row file to Parquet (`uri`, `size`)."""

    compression_codec: Text = Field(
        default="GZIP", description="UNCOMPRESSED, SNAPPY, GZIP or ZSTD."
    )
    parquet_version: Text = Field(default="V2", description="Parquet format version, V1 or V2.")
    row_group_size: int | str | None = Field(
        default=None, description="Accepted; row groups hold 50,000 rows."
    )
    page_size: int | str | None = Field(default=None, description="Target page size in bytes.")
    dictionary_page_size: int | str | None = Field(
        default=None, description="Largest dictionary page, in bytes."
    )

    async def run(self, ctx: TaskContext) -> TaskResult:
        """Convert the rows and write them batch by batch."""
        pa = optional_library("pyarrow", self.type)
        pq = optional_library("pyarrow.parquet", self.type)
        codec = render_enum(ctx, self.compression_codec, "compressionCodec", CODECS)
        version = render_enum(ctx, self.parquet_version, "parquetVersion", VERSIONS)
        avro_schema, records = self.records(ctx, self.source(ctx))
        arrow_schema = pa.schema([_arrow_field(pa, field) for field in _fields(avro_schema)])
        options: dict[str, Any] = {
            "compression": "NONE" if codec == "UNCOMPRESSED" else codec,
            "version": "2.6" if version == "V2" else "1.0",
        }
        page = render_int(ctx, self.page_size, "pageSize")
        if page:
            options["data_page_size"] = page
        dictionary = render_int(ctx, self.dictionary_page_size, "dictionaryPageSize")
        if dictionary:
            options["dictionary_pagesize_limit"] = dictionary
        output = target(ctx, ".parquet")
        count = 0
        try:
            with pq.ParquetWriter(str(output), arrow_schema, **options) as writer:
                for batch in _batches(records):
                    writer.write_table(pa.Table.from_pylist(batch, schema=arrow_schema))
                    count += len(batch)
        except (pa.ArrowException, ValueError, TypeError) as error:
            raise TaskError(f"cannot write the Parquet file: {error}") from None
        return result(ctx, output, count)


@plugin(
    "io.kestra.plugin.serdes.parquet.ParquetToIon",
    aliases=("io.kestra.plugin.serdes.parquet.ParquetReader",),
)
class ParquetToIon(ConversionTask):
    """Convert a Parquet file to an Ion row file (`uri`, `size`)."""

    async def run(self, ctx: TaskContext) -> TaskResult:
        """Read the file batch by batch into an Ion file."""
        pa = optional_library("pyarrow", self.type)
        pq = optional_library("pyarrow.parquet", self.type)
        source = self.source(ctx)
        output = target(ctx, ".ion")
        try:
            parquet = pq.ParquetFile(str(source))
            with output.open("wb") as sink:
                count = ion.dump_rows(
                    (
                        stored_value(row)
                        for batch in parquet.iter_batches(batch_size=10_000)
                        for row in batch.to_pylist()
                    ),
                    sink,
                )
        except (pa.ArrowException, OSError) as error:
            raise TaskError(f"cannot read `from` as a Parquet file: {error}") from None
        return result(ctx, output, count)


def _batches(records: Iterator[Any]) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for record in records:
        batch.append(record)
        if len(batch) >= _BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _fields(schema: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    if schema.get("type") != "record":
        raise TaskError("the schema of a Parquet file must be an Avro record")
    return list(schema.get("fields", []))


def _arrow_field(pa: Any, field: Mapping[str, Any]) -> Any:
    kind, nullable = _arrow_type(pa, field["type"])
    return pa.field(field["name"], kind, nullable=nullable)


def _arrow_type(pa: Any, schema: Any) -> tuple[Any, bool]:
    """The Arrow type of an Avro (parsed) schema, and whether it admits null."""
    if isinstance(schema, list):
        branches = [branch for branch in schema if branch != "null"]
        if len(branches) != 1:
            raise TaskError("Parquet columns need unions of null and one type")
        return _arrow_type(pa, branches[0])[0], "null" in schema
    if isinstance(schema, str):
        return _primitive(pa, schema), False
    kind = schema.get("type")
    logical = schema.get("logicalType")
    if logical == "date":
        return pa.date32(), False
    if logical in ("timestamp-millis", "local-timestamp-millis"):
        return pa.timestamp("ms", tz="UTC" if logical == "timestamp-millis" else None), False
    if logical in ("timestamp-micros", "local-timestamp-micros"):
        return pa.timestamp("us", tz="UTC" if logical == "timestamp-micros" else None), False
    if logical == "time-millis":
        return pa.time32("ms"), False
    if logical == "time-micros":
        return pa.time64("us"), False
    if logical == "decimal":
        return pa.decimal128(int(schema.get("precision", 38)), int(schema.get("scale", 0))), False
    if kind == "record":
        return pa.struct([_arrow_field(pa, field) for field in schema.get("fields", [])]), False
    if kind == "array":
        return pa.list_(_arrow_type(pa, schema["items"])[0]), False
    if kind == "map":
        return pa.map_(pa.string(), _arrow_type(pa, schema["values"])[0]), False
    if kind == "enum":
        return pa.string(), False
    if isinstance(kind, str):
        return _primitive(pa, kind), False
    return _arrow_type(pa, kind)


def _primitive(pa: Any, kind: str) -> Any:
    types = {
        "boolean": pa.bool_(),
        "int": pa.int32(),
        "long": pa.int64(),
        "float": pa.float32(),
        "double": pa.float64(),
        "string": pa.string(),
        "bytes": pa.binary(),
        "fixed": pa.binary(),
        "null": pa.null(),
    }
    if kind not in types:
        raise TaskError(f"Avro type `{kind}` has no Parquet column type")
    return types[kind]
