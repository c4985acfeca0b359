"""Kestra's row files: Amazon Ion *text*, one value per line (``{id:1,name:"a"}``).

Storage tasks (FilterItems, DeduplicateItems, log.Fetch...) read and write these files.
Values come back as plain Python: dict, list, str, int, float, `Decimal`, bool, None,
`datetime` (a date-only Ion timestamp gives a `date`), bytes. Symbols read as strings.
Parsing and printing are done by the `amazon.ion` library (its C extension); this module
only converts between its types and plain ones and fixes the one-row-per-line layout.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO

from amazon.ion import simpleion
from amazon.ion.core import Timestamp, TimestampPrecision
from amazon.ion.exceptions import IonException
from amazon.ion.simple_types import IonPyNull

from tercel.errors import TaskError

__all__ = ["dump_rows", "dumps", "iter_lines", "iter_rows", "loads", "to_plain", "write_rows"]

_PLAIN_MODEL = (
    simpleion.IonPyValueModel.MAY_BE_BARE
    | simpleion.IonPyValueModel.SYMBOL_AS_TEXT
    | simpleion.IonPyValueModel.STRUCT_AS_STD_DICT
)


def _to_ion(value: Any) -> Any:
    """Python → what `simpleion` can print (dates become day-precision timestamps)."""
    if isinstance(value, Mapping):
        return {str(key): _to_ion(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_to_ion(item) for item in value]
    if isinstance(value, date) and not isinstance(value, datetime):
        return Timestamp(value.year, value.month, value.day, precision=TimestampPrecision.DAY)
    return value


def to_plain(value: Any) -> Any:
    """Ion value → plain Python (no `IonPy*` wrappers, `Timestamp` → `datetime`/`date`)."""
    if value is None or isinstance(value, IonPyNull):
        return None
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, Mapping):
        return {str(key): to_plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_plain(item) for item in value]
    if isinstance(value, datetime):
        if getattr(value, "precision", None) in (
            TimestampPrecision.YEAR,
            TimestampPrecision.MONTH,
            TimestampPrecision.DAY,
        ):
            return date(value.year, value.month, value.day)
        return datetime(
            value.year,
            value.month,
            value.day,
            value.hour,
            value.minute,
            value.second,
            value.microsecond,
            tzinfo=value.tzinfo,
        )
    # Bare Python types pass through; wrappers are turned into their base type.
    if isinstance(value, int):
        return value if type(value) is int else int(value)
    if isinstance(value, float):
        return value if type(value) is float else float(value)
    if isinstance(value, Decimal):
        return value if type(value) is Decimal else Decimal(value)
    if isinstance(value, str):
        return value if type(value) is str else str(value)
    if isinstance(value, bytes):
        return value if type(value) is bytes else bytes(value)
    text = getattr(value, "text", None)
    if isinstance(text, str):
        return text
    return value


def dumps(value: Any) -> str:
    """One value as Ion text on one line (no version marker)."""
    if type(value) is dict:
        fast = _flat_struct(value)
        if fast is not None:
            return fast
    text: str = simpleion.dumps(_to_ion(value), binary=False, omit_version_marker=True)
    return text


# A row of text, integers, booleans and nulls (every row a CSV file gives) is printed here,
# byte for byte as `simpleion` prints it but about ten times faster: converting a large CSV
# file spends most of its time printing rows.
_ESCAPES = {
    **{code: f"\\x{code:02X}" for code in range(0x20)},
    0: "\\0", 7: "\\a", 8: "\\b", 9: "\\t", 10: "\\n", 11: "\\v", 12: "\\f", 13: "\\r",
    ord('"'): '\\"', ord("\\"): "\\\\",
}  # fmt: skip
_SYMBOL_ESCAPES = {**_ESCAPES, ord('"'): '"', ord("'"): "\\'"}
_IDENTIFIER = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")
_KEYWORDS = frozenset({"null", "true", "false", "nan"})


def _field_name(name: str) -> str:
    if _IDENTIFIER.fullmatch(name) and name not in _KEYWORDS:
        return name
    return "'" + name.translate(_SYMBOL_ESCAPES) + "'"


def _flat_struct(row: dict[Any, Any]) -> str | None:
    """`row` as Ion text when every key is text and every value text, int, bool or None."""
    parts = []
    for key, value in row.items():
        if type(key) is not str:
            return None
        kind = type(value)
        if kind is str:
            text = '"' + value.translate(_ESCAPES) + '"'
        elif value is None:
            text = "null"
        elif kind is bool:
            text = "true" if value else "false"
        elif kind is int:
            text = str(value)
        else:
            return None
        parts.append(f"{_field_name(key)}:{text}")
    return "{" + ",".join(parts) + "}"


def dump_rows(rows: Iterable[Any], target: BinaryIO) -> int:
    """Write each row on its own line; return how many rows were written."""
    count = 0
    for row in rows:
        target.write(dumps(row).encode("utf-8"))
        target.write(b"\n")
        count += 1
    return count


def write_rows(path: Path, rows: Iterable[Any]) -> int:
    """Write `rows` to a new `.ion` file at `path`; return how many."""
    with path.open("wb") as target:
        return dump_rows(rows, target)


def loads(text: str) -> list[Any]:
    """Every value of an Ion text stream, as plain Python."""
    return list(_iterate(io.BytesIO(text.encode("utf-8")), "<string>"))


def iter_rows(path: Path) -> Iterator[Any]:
    """The values of an Ion file one by one, without reading it all into memory."""
    with path.open("rb") as source:
        yield from _iterate(source, path.name)


def iter_lines(path: Path) -> Iterator[tuple[str, Any]]:
    """Each non-blank line of a row file with the value it holds: ``(line, value)``.

    Row files hold one value per line; tasks that keep or drop rows (FilterItems,
    DeduplicateItems) write the original line back, byte for byte, as Kestra does.
    """
    with path.open(encoding="utf-8") as source:
        for number, line in enumerate(source, start=1):
            text = line.rstrip("\r\n")
            if not text.strip():
                continue
            values = list(_iterate(io.BytesIO(text.encode("utf-8")), f"{path.name}:{number}"))
            if len(values) != 1:
                raise TaskError(
                    f"`{path.name}` line {number} holds {len(values)} values; row files hold "
                    "exactly one value per line"
                )
            yield text, values[0]


def _iterate(source: BinaryIO, name: str) -> Iterator[Any]:
    try:
        for value in simpleion.load(
            source, single_value=False, parse_eagerly=False, value_model=_PLAIN_MODEL
        ):
            yield to_plain(value)
    except (IonException, ValueError) as error:
        raise TaskError(f"`{name}` is not a valid Ion file: {error}") from None
