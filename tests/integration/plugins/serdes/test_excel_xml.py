"""Excel and XML conversions, checked with openpyxl and the standard XML parser."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from serdes_helpers import convert, put, rows_of

from tercel.errors import TaskError
from tercel.plugins.core.storage import ion
from tercel.testing import FakeTaskContext

pytestmark = pytest.mark.integration


def workbook_bytes() -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "orders"
    sheet.append(["Report of March"])
    sheet.append(["id", "name", "day", "amount", None])
    sheet.append([1, "Ada", datetime(2024, 3, 1), 12.5])
    sheet.append([None, None, None, None])
    sheet.append([2, "Bob", datetime(2024, 3, 2), 3])
    other = workbook.create_sheet("people")
    other.append(["People"])
    other.append(["who"])
    other.append(["Cy"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


async def test_excel_sheets_become_one_ion_file_each(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path)
    uri = put(ctx, "in.xlsx", workbook_bytes())
    outputs = await convert(
        ctx, "io.kestra.plugin.serdes.excel.ExcelToIon", uri, skipRows=1, skipEmptyRows=True
    )
    assert set(outputs["uris"]) == {"orders", "people"}
    assert outputs["size"] == 3
    assert rows_of(ctx, outputs["uris"]["orders"]) == [
        {"id": 1, "name": "Ada", "day": datetime(2024, 3, 1), "amount": 12.5},
        {"id": 2, "name": "Bob", "day": datetime(2024, 3, 2), "amount": 3},
    ]
    only = await convert(
        ctx,
        "io.kestra.plugin.serdes.excel.ExcelToIon",
        uri,
        sheetsTitle=["people"],
        header=False,
        valueRender="FORMATTED_VALUE",
    )
    assert list(only["uris"]) == ["people"]
    assert rows_of(ctx, only["uris"]["people"]) == [["People"], ["who"], ["Cy"]]
    with pytest.raises(TaskError, match="nope"):
        await convert(ctx, "io.kestra.plugin.serdes.excel.ExcelToIon", uri, sheetsTitle=["nope"])


async def test_ion_to_excel_writes_a_header_typed_cells_and_several_sheets(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path)
    rows = [
        {
            "id": 1,
            "name": "Ada",
            "at": datetime(2024, 3, 1, 10, 30, tzinfo=UTC),
            "price": Decimal("9.99"),
        },
        {"id": 2, "name": None, "at": None, "price": Decimal("1")},
    ]
    orders = put(ctx, "orders.ion", "".join(ion.dumps(row) + "\n" for row in rows))
    people = put(ctx, "people.ion", '{who:"Cy",day:2024-03-01}\n')
    outputs = await convert(
        ctx,
        "io.kestra.plugin.serdes.excel.IonToExcel",
        "",
        **{"from": {"orders": orders, "people": people}},
    )
    assert outputs["size"] == 3
    assert outputs["uri"].endswith(".xlsx")
    workbook = openpyxl.load_workbook(io.BytesIO(ctx.storage.get(outputs["uri"])))
    assert workbook.sheetnames == ["orders", "people"]
    assert [list(row) for row in workbook["orders"].iter_rows(values_only=True)] == [
        ["id", "name", "at", "price"],
        [1, "Ada", datetime(2024, 3, 1, 10, 30), 9.99],
        [2, None, None, 1],
    ]
    assert workbook["orders"]["C2"].number_format == "yyyy-mm-dd hh:mm:ss"
    assert workbook["people"]["B2"].value == datetime(2024, 3, 1)
    single = await convert(
        ctx, "io.kestra.plugin.serdes.excel.IonToExcel", orders, sheetsTitle="Data"
    )
    back = await convert(ctx, "io.kestra.plugin.serdes.excel.ExcelToIon", single["uri"])
    assert rows_of(ctx, back["uris"]["Data"])[0] == {
        "id": 1,
        "name": "Ada",
        "at": datetime(2024, 3, 1, 10, 30),
        "price": 9.99,
    }


CATALOG = """<?xml version="1.0" encoding="UTF-8"?>
<catalog>
  <book id="bk101" lang="en">
    <author>Gambardella, Matthew</author>
    <title>XML Developer's Guide</title>
    <price>44.95</price>
    <tag>xml</tag>
    <tag>dev</tag>
    <available>true</available>
  </book>
  <magazine><title>skip me</title></magazine>
  <book id="bk102">
    <author>Ralls, Kim</author>
    <title>Midnight Rain</title>
    <price>5</price>
    <tag>fantasy</tag>
  </book>
</catalog>
"""


async def test_xml_query_streams_each_matching_element_as_a_row(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path)
    uri = put(ctx, "in.xml", CATALOG)
    outputs = await convert(
        ctx,
        "io.kestra.plugin.serdes.xml.XmlToIon",
        uri,
        query="/catalog/book",
        parserConfiguration={"forceList": ["tag"]},
    )
    assert outputs["size"] == 2
    assert rows_of(ctx, outputs["uri"]) == [
        {
            "id": "bk101",
            "lang": "en",
            "author": "Gambardella, Matthew",
            "title": "XML Developer's Guide",
            "price": Decimal("44.95"),
            "tag": ["xml", "dev"],
            "available": True,
        },
        {
            "id": "bk102",
            "author": "Ralls, Kim",
            "title": "Midnight Rain",
            "price": 5,
            "tag": ["fantasy"],
        },
    ]


async def test_xml_round_trip_through_ion_to_xml(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path)
    rows = [{"id": 1, "name": "a & b", "tags": ["x", "y"], "none": None}, {"id": 2, "name": "c"}]
    uri = put(ctx, "rows.ion", "".join(ion.dumps(row) + "\n" for row in rows))
    outputs = await convert(ctx, "io.kestra.plugin.serdes.xml.IonToXml", uri, rootName="rows")
    text = ctx.storage.get(outputs["uri"]).decode()
    assert text.startswith(
        "<?xml version='1.0' encoding='UTF-8'?>\n<rows>\n  <item>\n    <id>1</id>\n"
    )
    root = ET.fromstring(text)
    assert [item.findtext("name") for item in root] == ["a & b", "c"]
    back = await convert(ctx, "io.kestra.plugin.serdes.xml.XmlToIon", outputs["uri"])
    assert rows_of(ctx, back["uri"]) == [
        {"id": 1, "name": "a & b", "tags": {"tags": ["x", "y"]}, "none": ""},
        {"id": 2, "name": "c"},
    ]


async def test_xml_external_entities_are_not_loaded(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("top secret")
    ctx = FakeTaskContext(tmp_path)
    evil = (
        f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file://{secret}">]><r><v>&x;</v></r>'
    )
    with pytest.raises(TaskError, match="not valid XML"):
        await convert(ctx, "io.kestra.plugin.serdes.xml.XmlToIon", put(ctx, "evil.xml", evil))
    assert "top secret" not in str(list((tmp_path / "storage").rglob("*.ion")))


async def test_xml_rejects_a_broken_document(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path)
    with pytest.raises(TaskError, match="not valid XML"):
        await convert(
            ctx, "io.kestra.plugin.serdes.xml.XmlToIon", put(ctx, "bad.xml", "<a><b></a>")
        )


async def test_dates_in_xml_are_iso(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path)
    uri = put(ctx, "d.ion", ion.dumps({"d": date(2024, 3, 1)}) + "\n")
    outputs = await convert(ctx, "io.kestra.plugin.serdes.xml.IonToXml", uri)
    assert "<d>2024-03-01</d>" in ctx.storage.get(outputs["uri"]).decode()
