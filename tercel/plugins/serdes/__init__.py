"""File conversions (`io.kestra.plugin.serdes.*`): CSV, JSON, Avro, Parquet, Excel and XML
to and from Kestra's Ion row files.

Every task reads its `from` file from internal storage and streams it row by row into a new
file, so a file of any size converts in bounded memory (Kestra's JSON arrays, `newLine:
false`, are the exception: they are parsed whole, as in Kestra). Avro, Parquet and Excel need
the `serdes` extra (`pip install 'tercel[serdes]'`); their modules import those libraries when
a task runs, so flows using them validate without it.
"""

from __future__ import annotations

import importlib

_MODULES: tuple[str, ...] = (
    "csv_files",
    "json_files",
    "avro_files",
    "parquet_files",
    "excel_files",
    "xml_files",
    "yaml_files",
)
_registered = False


def register() -> None:
    """Import the modules whose `@plugin` decorators declare this family's types."""
    global _registered  # noqa: PLW0603 - registration is idempotent by design
    if _registered:
        return
    _registered = True
    for name in _MODULES:
        importlib.import_module(f"{__name__}.{name}")
