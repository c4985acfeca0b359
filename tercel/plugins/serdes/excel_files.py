"""`serdes.excel.ExcelToIon` and `serdes.excel.IonToExcel` (the `serdes` extra: openpyxl).

Reading gives one Ion file per sheet (`uris`, keyed by sheet title) and the total `size`;
sheets are read row by row (openpyxl's read-only mode). Writing streams rows into one
workbook (write-only mode): `from` is one file (sheet `sheetsTitle`) or a map of sheet title
to file.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import Field

from tercel.errors import TaskError
from tercel.model.registry import plugin
from tercel.plugins.context import TaskContext, TaskResult
from tercel.plugins.core.storage import ion
from tercel.plugins.core.storage.files import local_file, render_uri, store
from tercel.plugins.core.templating.properties import (
    Text,
    render_bool,
    render_enum,
    render_int,
    render_list,
    render_map,
    require_str,
)
from tercel.plugins.jdbc.values import stored_value
from tercel.plugins.serdes.common import ConversionTask, optional_library, result, target
from tercel.plugins.serdes.text_values import TextFormats, TextWriter

VALUE_RENDERS = ("FORMATTED_VALUE", "UNFORMATTED_VALUE", "FORMULA")
DATE_TIME_RENDERS = ("SERIAL_NUMBER", "FORMATTED_STRING", "UNFORMATTED_VALUE")
_EXCEL_EPOCH = datetime(1899, 12, 30)


@plugin(
    "io.kestra.plugin.serdes.excel.ExcelToIon",
    aliases=("io.kestra.plugin.serdes.excel.ExcelReader",),
)
class ExcelToIon(ConversionTask):
    """Convert the sheets of an Excel workbook (.xlsx) to Ion row files (`uris`, `size`)."""

    sheets_title: list[str] | str | None = Field(
        default=None, description="The sheets to read (default: all)."
    )
    charset: Text = Field(default="UTF-8", description="Accepted (workbooks carry their own).")
    value_render: Text = Field(
        default="UNFORMATTED_VALUE",
        description="FORMATTED_VALUE (text as shown), UNFORMATTED_VALUE or FORMULA.",
    )
    date_time_render: Text = Field(
        default="UNFORMATTED_VALUE",
        description="Dates as SERIAL_NUMBER, FORMATTED_STRING or UNFORMATTED_VALUE (a date).",
    )
    header: bool | str = Field(default=True, description="The first row holds column names.")
    skip_empty_rows: bool | str = Field(default=False, description="Skip rows with no value.")
    skip_rows: int | str = Field(default=0, description="Rows to skip at the start of a sheet.")

    async def run(self, ctx: TaskContext) -> TaskResult:
        """Read each sheet into its own Ion file."""
        openpyxl = optional_library("openpyxl", self.type)
        source = self.source(ctx)
        wanted = [str(title) for title in render_list(ctx, self.sheets_title, "sheetsTitle")]
        render = _CellRender(
            value=render_enum(ctx, self.value_render, "valueRender", VALUE_RENDERS),
            date_time=render_enum(ctx, self.date_time_render, "dateTimeRender", DATE_TIME_RENDERS),
        )
        header = render_bool(ctx, self.header, "header", True)
        skip_empty = render_bool(ctx, self.skip_empty_rows, "skipEmptyRows", False)
        skip = render_int(ctx, self.skip_rows, "skipRows") or 0
        try:
            workbook = openpyxl.load_workbook(source, read_only=True, data_only=True)
        except Exception as error:  # noqa: BLE001 - zip, XML and openpyxl errors alike
            raise TaskError(f"cannot read `from` as an Excel workbook: {error}") from None
        uris: dict[str, str] = {}
        total = 0
        try:
            missing = [title for title in wanted if title not in workbook.sheetnames]
            if missing:
                raise TaskError(
                    f"sheet(s) {', '.join(missing)} not in the workbook "
                    f"(it has {', '.join(workbook.sheetnames)})"
                )
            for title in wanted or workbook.sheetnames:
                rows = workbook[title].iter_rows()
                output = target(ctx, ".ion")
                with output.open("wb") as sink:
                    count = ion.dump_rows(
                        _sheet_rows(rows, render, header=header, skip=skip, skip_empty=skip_empty),
                        sink,
                    )
                uris[title] = store(ctx, output)
                total += count
        finally:
            workbook.close()
        ctx.metric("records", "counter", float(total))
        return TaskResult(outputs={"uris": uris, "size": total})


class _CellRender:
    def __init__(self, *, value: str, date_time: str) -> None:
        self.value = value
        self.date_time = date_time

    def __call__(self, cell: Any) -> Any:
        value = cell.value
        if value is None:
            return None
        if isinstance(value, datetime | date | time):
            if self.date_time == "SERIAL_NUMBER":
                return _serial(value)
            if self.date_time == "FORMATTED_STRING" or self.value == "FORMATTED_VALUE":
                return (
                    value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()
                )
            return stored_value(value)
        if self.value == "FORMATTED_VALUE":
            if isinstance(value, bool):
                return "TRUE" if value else "FALSE"
            if isinstance(value, float) and value.is_integer():
                return str(int(value))
            return str(value)
        if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
            return value
        return stored_value(value)


def _serial(value: datetime | date | time) -> float:
    if isinstance(value, time):
        return (value.hour * 3600 + value.minute * 60 + value.second) / 86400
    moment = value if isinstance(value, datetime) else datetime(value.year, value.month, value.day)
    return (moment.replace(tzinfo=None) - _EXCEL_EPOCH).total_seconds() / 86400


def _sheet_rows(
    rows: Iterator[Any], render: _CellRender, *, header: bool, skip: int, skip_empty: bool
) -> Iterator[Any]:
    names: list[str] | None = None
    skipped = 0
    for cells in rows:
        if skipped < skip:
            skipped += 1
            continue
        values = [render(cell) for cell in cells]
        if header and names is None:
            while values and values[-1] is None:
                values.pop()
            names = [
                f"Column{index}" if value is None else str(value)
                for index, value in enumerate(values)
            ]
            continue
        if skip_empty and all(value is None for value in values):
            continue
        if names is None:
            yield values
        else:
            yield {
                name: values[index] if index < len(values) else None
                for index, name in enumerate(names)
            }


@plugin(
    "io.kestra.plugin.serdes.excel.IonToExcel",
    aliases=("io.kestra.plugin.serdes.excel.ExcelWriter",),
)
class IonToExcel(TextWriter):
    """Convert Ion row files to an Excel workbook (`uri`, `size`)."""

    from_: Any = Field(
        alias="from",
        description="An Ion file (kestra:///...), or a map of sheet title to Ion file.",
    )
    charset: Text = Field(default="UTF-8", description="Accepted (workbooks are Unicode).")
    sheets_title: Text = Field(default="Sheet", description="The sheet's title (one file).")
    header: bool | str = Field(default=True, description="Write the first map's keys first.")
    styles: bool | str = Field(
        default=True, description="Give date and date-time cells a date number format."
    )

    async def run(self, ctx: TaskContext) -> TaskResult:
        """Write each file's rows into its sheet."""
        openpyxl = optional_library("openpyxl", self.type)
        sheets: dict[str, Any]
        if isinstance(self.from_, Mapping):
            sheets = render_map(ctx, self.from_, "from")
        else:
            sheets = {require_str(ctx, self.sheets_title, "sheetsTitle"): self.from_}
        header = render_bool(ctx, self.header, "header", True)
        styles = render_bool(ctx, self.styles, "styles", True)
        formats = self.text_formats(ctx)
        workbook = openpyxl.Workbook(write_only=True)
        total = 0
        for title, uri_value in sheets.items():
            path = local_file(ctx, render_uri(ctx, uri_value, "from"))
            sheet = workbook.create_sheet(title=str(title))
            total += _write_sheet(
                openpyxl, sheet, path, header=header, styles=styles, formats=formats
            )
        output = target(ctx, ".xlsx")
        workbook.save(output)
        return result(ctx, output, total)


def _write_sheet(
    openpyxl: Any, sheet: Any, path: Path, *, header: bool, styles: bool, formats: TextFormats
) -> int:
    count = 0
    for row in ion.iter_rows(path):
        if isinstance(row, Mapping):
            if header and count == 0:
                sheet.append([str(key) for key in row])
            values = list(row.values())
        elif isinstance(row, list):
            values = row
        else:
            values = [row]
        sheet.append([_cell(openpyxl, sheet, value, styles, formats) for value in values])
        count += 1
    return count


def _cell(openpyxl: Any, sheet: Any, value: Any, styles: bool, formats: TextFormats) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime | date):
        moment = value
        if isinstance(value, datetime) and value.tzinfo is not None:
            moment = value.astimezone(UTC).replace(tzinfo=None)
        if not styles:
            return formats.text(value)
        cell = openpyxl.cell.WriteOnlyCell(sheet, value=moment)
        cell.number_format = "yyyy-mm-dd hh:mm:ss" if isinstance(value, datetime) else "yyyy-mm-dd"
        return cell
    return formats.text(value)
