"""`serdes.avro.IonToAvro` and `serdes.avro.AvroToIon` (needs the `serdes` extra: fastavro)."""

from __future__ import annotations

from pydantic import Field

from tercel.errors import TaskError
from tercel.model.registry import plugin
from tercel.plugins.context import TaskContext, TaskResult
from tercel.plugins.core.storage import ion
from tercel.plugins.core.templating.properties import Text
from tercel.plugins.jdbc.values import stored_value
from tercel.plugins.serdes.avro_values import AvroConverter
from tercel.plugins.serdes.common import ConversionTask, optional_library, result, target


@plugin(
    "io.kestra.plugin.serdes.avro.IonToAvro",
    aliases=("io.kestra.plugin.serdes.avro.AvroWriter",),
)
class IonToAvro(AvroConverter):
    """Convert an Ion row file to an Avro file (`uri`, `size`), with `schema` or an inferred one."""

    async def run(self, ctx: TaskContext) -> TaskResult:
        """Stream the converted rows into an Avro container file."""
        fastavro = optional_library("fastavro", self.type)
        schema, records = self.records(ctx, self.source(ctx))
        output = target(ctx, ".avro")
        counted = _Counter(records)
        with output.open("wb") as sink:
            try:
                fastavro.writer(sink, schema, counted, codec="null")
            except (ValueError, TypeError, OverflowError) as error:
                raise TaskError(f"cannot write the Avro file: {error}") from None
        return result(ctx, output, counted.count)


@plugin(
    "io.kestra.plugin.serdes.avro.AvroToIon",
    aliases=("io.kestra.plugin.serdes.avro.AvroReader",),
)
class AvroToIon(ConversionTask):
    """Convert an Avro file to an Ion row file (`uri`, `size`)."""

    on_bad_lines: Text = Field(
        default="ERROR", description="Accepted: an unreadable Avro file fails the task."
    )

    async def run(self, ctx: TaskContext) -> TaskResult:
        """Stream the Avro records into an Ion file."""
        fastavro = optional_library("fastavro", self.type)
        source = self.source(ctx)
        output = target(ctx, ".ion")
        with source.open("rb") as raw, output.open("wb") as sink:
            try:
                records = fastavro.reader(raw)
                count = ion.dump_rows((stored_value(record) for record in records), sink)
            except (ValueError, EOFError, TypeError) as error:
                raise TaskError(f"cannot read `from` as an Avro file: {error}") from None
        return result(ctx, output, count)


class _Counter:
    """Counts the records a writer takes from an iterator."""

    def __init__(self, records: object) -> None:
        self._records = iter(records)  # type: ignore[call-overload]
        self.count = 0

    def __iter__(self) -> _Counter:
        return self

    def __next__(self) -> object:
        record = next(self._records)
        self.count += 1
        return record
