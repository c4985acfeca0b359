"""`serdes.xml.XmlToIon` and `serdes.xml.IonToXml`.

Reading maps XML the way Kestra's reader does: an element with only text becomes its value
(``42`` a number, ``true`` a boolean, else text), attributes and child elements become keys
of a map, a repeated child becomes a list (`parserConfiguration.forceList` makes named ones
lists always), text beside children is ``content``. A document whose root holds a list
(``<items><item/>...</items>``) gives one row per item. With `query` (``/catalog/book``) the
file streams and each matching element is one row. The parser never loads external entities
or DTDs (the standard library's expat, which also refuses entity expansion bombs).

Writing gives ``<items><item>...</item>...</items>`` (`rootName` names the root), a field per
element, one row at a time.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping
from datetime import date, datetime, time
from decimal import Decimal
from typing import IO, Any
from xml.sax.saxutils import escape

from pydantic import Field

from tercel.errors import TaskError
from tercel.model.base import KestraModel
from tercel.model.registry import plugin
from tercel.plugins.context import TaskContext, TaskResult
from tercel.plugins.core.storage import ion
from tercel.plugins.core.templating.properties import Text, render_list, render_str, require_str
from tercel.plugins.serdes.common import ConversionTask, render_charset, result, target
from tercel.plugins.serdes.json_files import json_value

_INTEGER = re.compile(r"-?(?:0|[1-9]\d*)")
_DECIMAL = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?")


class ParserConfiguration(KestraModel):
    """Kestra's XML parser options."""

    force_list: list[str] | str | None = Field(
        default=None, description="Tags always read as lists, even when they appear once."
    )


@plugin(
    "io.kestra.plugin.serdes.xml.XmlToIon",
    aliases=("io.kestra.plugin.serdes.xml.XmlReader",),
)
class XmlToIon(ConversionTask):
    """Convert an XML file to an Ion row file (`uri`, `size`)."""

    charset: Text = Field(default="UTF-8", description="The file's character set.")
    query: Text | None = Field(
        default=None, description="Path of the elements to stream as rows (/catalog/book)."
    )
    parser_configuration: ParserConfiguration | None = None

    async def run(self, ctx: TaskContext) -> TaskResult:
        """Read the document (or stream the elements `query` names) into an Ion file."""
        source = self.source(ctx)
        charset = render_charset(ctx, self.charset, reading=True)
        query = render_str(ctx, self.query)
        config = self.parser_configuration
        force = frozenset(
            str(tag) for tag in (render_list(ctx, config.force_list, "forceList") if config else [])
        )
        output = target(ctx, ".ion")
        try:
            with source.open("rb") as raw, output.open("wb") as sink:
                # Expat: no external entity or DTD is loaded, entity bombs are refused.
                parser = ET.XMLParser(encoding=charset.replace("utf-8-sig", "utf-8"))  # noqa: S314
                if query:
                    rows = _stream(raw, parser, _path(query), force)
                else:
                    rows = _whole(raw, parser, force)
                count = ion.dump_rows(rows, sink)
        except ET.ParseError as error:
            raise TaskError(f"`from` is not valid XML: {error}") from None
        return result(ctx, output, count)


def _path(query: str) -> list[str]:
    parts = [part for part in query.strip().split("/") if part]
    if not parts:
        raise TaskError(
            f"property `query` must be a path of elements, e.g. /catalog/book: `{query}`"
        )
    return parts


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _scalar(text: str) -> Any:
    if text in ("true", "false"):
        return text == "true"
    if _INTEGER.fullmatch(text):
        return int(text)
    if _DECIMAL.fullmatch(text):
        return Decimal(text)
    return text


def _convert(element: ET.Element, force: frozenset[str]) -> Any:
    """An element as Kestra's reader maps it (see the module docstring)."""
    result: dict[str, Any] = {}
    for name, value in element.attrib.items():
        result[_local(name)] = _scalar(value)
    text = (element.text or "").strip()
    for child in element:
        key = _local(child.tag)
        value = _convert(child, force)
        if key in result:
            existing = result[key]
            # Element values are never lists, so a list here is one this loop made.
            if isinstance(existing, list):
                existing.append(value)
            else:
                result[key] = [existing, value]
        else:
            result[key] = [value] if key in force else value
        tail = (child.tail or "").strip()
        if tail:
            text = f"{text}\n{tail}" if text else tail
    if not result:
        return _scalar(text) if text else ""
    if text:
        result["content"] = _scalar(text)
    return result


def _whole(raw: IO[bytes], parser: ET.XMLParser, force: frozenset[str]) -> Iterator[Any]:
    root = ET.parse(raw, parser=parser).getroot()  # noqa: S314 - expat, see module docstring
    document = {_local(root.tag): _convert(root, force)}
    value = _plain(document)
    inner = next(iter(value.values()))
    if isinstance(inner, list):
        yield from inner
        return
    if isinstance(inner, dict) and len(inner) == 1:
        only = next(iter(inner.values()))
        if isinstance(only, list):
            yield from only
            return
    yield value


def _stream(
    raw: IO[bytes], parser: ET.XMLParser, path: list[str], force: frozenset[str]
) -> Iterator[Any]:
    names: list[str] = []
    elements: list[ET.Element] = []
    depth = len(path)
    for event, element in ET.iterparse(raw, events=("start", "end"), parser=parser):  # noqa: S314
        if event == "start":
            names.append(_local(element.tag))
            elements.append(element)
            continue
        if len(names) == depth and names == path:
            yield _plain(_convert(element, force))
        names.pop()
        elements.pop()
        # Drop what was read outside a match, so a file of any size streams: an element at
        # the match's depth or above is done with once it ends.
        if elements and len(names) < depth:
            elements[-1].remove(element)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


@plugin(
    "io.kestra.plugin.serdes.xml.IonToXml",
    aliases=("io.kestra.plugin.serdes.xml.XmlWriter",),
)
class IonToXml(ConversionTask):
    """Convert an Ion row file to XML (`uri`, `size`)."""

    charset: Text = Field(default="UTF-8", description="The output's character set.")
    root_name: Text = Field(default="items", description="The root element's name.")
    time_zone_id: Text | None = Field(
        default=None, description="Zone of date-times that carry none (default: UTC)."
    )

    async def run(self, ctx: TaskContext) -> TaskResult:
        """Write one ``<item>`` element per row, streamed."""
        source = self.source(ctx)
        root = _name(require_str(ctx, self.root_name, "rootName"))
        charset = render_charset(ctx, self.charset)
        output = target(ctx, ".xml")
        count = 0
        with output.open("w", encoding=charset) as sink:
            sink.write(f"<?xml version='1.0' encoding='{charset.upper()}'?>\n<{root}>\n")
            for row in ion.iter_rows(source):
                _element(sink, "item", row, 1)
                count += 1
            sink.write(f"</{root}>\n")
        return result(ctx, output, count)


_NAME_START = re.compile(r"[^A-Za-z_]")
_NAME_REST = re.compile(r"[^A-Za-z0-9_.\-]")


def _name(key: str) -> str:
    """A key as an element name (characters XML names cannot hold become `_`)."""
    text = _NAME_REST.sub("_", key) or "_"
    return ("_" + text) if _NAME_START.match(text[0]) else text


def _element(sink: IO[str], name: str, value: Any, depth: int) -> None:
    indent = "  " * depth
    if value is None:
        sink.write(f"{indent}<{name}/>\n")
    elif isinstance(value, Mapping):
        sink.write(f"{indent}<{name}>\n")
        for key, item in value.items():
            _element(sink, _name(str(key)), item, depth + 1)
        sink.write(f"{indent}</{name}>\n")
    elif isinstance(value, list):
        sink.write(f"{indent}<{name}>\n")
        for item in value:
            _element(sink, name, item, depth + 1)
        sink.write(f"{indent}</{name}>\n")
    else:
        sink.write(f"{indent}<{name}>{escape(_text(value))}</{name}>\n")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, datetime | date | time | Decimal | bytes):
        return str(json_value(value, None))
    return str(value)
