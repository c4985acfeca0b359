"""The `kestra` module that Python script tasks import (``from kestra import Kestra``).

Kestra's Python images ship the `kestra` package from PyPI, so flows written for Kestra import
it without installing anything. Tercel puts this directory (holding only this file) on the
script's ``PYTHONPATH``: the script sees no other Tercel module. It is written for Tercel and
speaks the same protocol: every call prints one ``::{json}::`` line that the task reads.

When the real package is importable too (``pip install kestra`` in `beforeCommands`, or an
image that ships it), that package is loaded instead, so its API client and readers work.

Standard library only, Python 3.8 and later (container images may be old).
"""

from __future__ import annotations

import base64
import importlib.util
import json
import logging
import os
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, ClassVar, Dict, Iterator, List, Mapping, Optional, Union

CONTEXT_FILE = ".kestra-execution-context.json"


def _real_package_path() -> Optional[str]:
    """Where the PyPI `kestra` module is, on `sys.path` after this directory (if anywhere)."""
    here = Path(__file__).resolve().parent
    for entry in sys.path:
        folder = Path(entry or ".").resolve()
        if folder == here:
            continue
        candidate = folder / "kestra.py"
        if candidate.is_file():
            return str(candidate)
    return None


def _load_real_package() -> bool:
    path = _real_package_path()
    if path is None:
        return False
    spec = importlib.util.spec_from_file_location(__name__, path)
    if spec is None or spec.loader is None:
        return False
    module = importlib.util.module_from_spec(spec)
    ours = sys.modules[__name__]
    # `import kestra` returns whatever sys.modules holds once this file has run.
    sys.modules[__name__] = module
    try:
        spec.loader.exec_module(module)
    except Exception:  # noqa: BLE001 - e.g. its dependencies are missing: keep this module
        sys.modules[__name__] = ours
        return False
    return True


class Kestra:
    """Send outputs, metrics and logs to the task running this script."""

    _logger: Optional[logging.Logger] = None

    @staticmethod
    def format(message: Dict[str, Any]) -> str:
        """The protocol line for `message`: ``::{json}::``."""
        return "::" + json.dumps(message, default=str) + "::"

    @staticmethod
    def _send(message: Dict[str, Any]) -> None:
        print(Kestra.format(message), flush=True)

    @staticmethod
    def outputs(values: Dict[str, Any]) -> None:
        """Outputs of the task (``outputs.<task>.vars.<key>``)."""
        Kestra._send({"outputs": values})

    @staticmethod
    def assets(asset: Dict[str, Any]) -> None:
        """Declare an asset (Kestra 1.x lineage)."""
        Kestra._send({"assets": asset})

    @staticmethod
    def _metric(name: str, kind: str, value: float, tags: Optional[Dict[str, Any]] = None) -> None:
        metric = {"name": name, "type": kind, "value": value, "tags": tags or {}}
        Kestra._send({"metrics": [metric]})

    @staticmethod
    def counter(name: str, value: float, tags: Optional[Dict[str, Any]] = None) -> None:
        """A counter metric."""
        Kestra._metric(name, "counter", value, tags)

    @staticmethod
    def gauge(name: str, value: float, tags: Optional[Dict[str, Any]] = None) -> None:
        """A gauge metric."""
        Kestra._metric(name, "gauge", value, tags)

    @staticmethod
    def timer(
        name: str,
        duration: Union[float, Callable[[], Any]],
        tags: Optional[Dict[str, Any]] = None,
    ) -> None:
        """A timer metric in seconds; given a function, time one call of it."""
        if callable(duration):
            started = time.monotonic()
            duration()
            seconds = time.monotonic() - started
        else:
            seconds = float(duration)
        Kestra._metric(name, "timer", seconds, tags)

    @staticmethod
    def logger() -> logging.Logger:
        """A logger whose records become task log lines at their level."""
        if Kestra._logger is None:
            logger = logging.getLogger("Kestra")
            logger.setLevel(logging.DEBUG)
            logger.propagate = False
            handler = logging.StreamHandler(sys.stdout)
            handler.setFormatter(_ProtocolFormatter())
            logger.addHandler(handler)
            Kestra._logger = logger
        return Kestra._logger

    @staticmethod
    def read(path: str) -> List[Dict[str, Any]]:
        """Rows of an Ion file (internal storage format); needs the `amazon.ion` package."""
        try:
            from amazon.ion import simpleion
        except ImportError:
            raise ImportError(
                "Kestra.read needs the amazon.ion package: add `pip install kestra` "
                "to beforeCommands (or `dependencies`)"
            ) from None
        with Path(path).open("rb") as file:
            return [dict(row) for row in simpleion.load(file, single_value=False)]


class _ProtocolFormatter(logging.Formatter):
    _LEVELS: ClassVar[Dict[int, str]] = {
        logging.DEBUG: "DEBUG",
        logging.INFO: "INFO",
        logging.WARNING: "WARN",
        logging.ERROR: "ERROR",
        logging.CRITICAL: "ERROR",
    }

    def format(self, record: logging.LogRecord) -> str:
        stamp = datetime.fromtimestamp(record.created, timezone.utc)
        moment = stamp.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        entry = {
            "level": self._LEVELS.get(record.levelno, "TRACE"),
            "message": f"{moment} - {record.getMessage()}",
        }
        return Kestra.format({"logs": [entry]})


def _view(value: Any) -> Any:
    if isinstance(value, dict):
        return ExecutionContext(value)
    if isinstance(value, list):
        return [_view(item) for item in value]
    return value


class ExecutionContext(Mapping[str, Any]):
    """The execution's variables, read-only, by key or attribute (``context.flow.id``)."""

    __slots__ = ("_data",)

    def __init__(self, data: Dict[str, Any]) -> None:
        self._data = data

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self[name]
        except KeyError:
            known = ", ".join(sorted(self._data)) or "none"
            raise AttributeError(f"'{name}' is not in the execution context ({known})") from None

    def __getitem__(self, name: str) -> Any:
        return _view(self._data[name])

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def to_dict(self) -> Dict[str, Any]:
        """The context as plain JSON values."""
        return self._data

    def __repr__(self) -> str:
        return repr(self._data)


def load_execution_context(path: Optional[str] = None) -> ExecutionContext:
    """Read the context the task wrote (`executionContext: true`).

    From `path`, else ``KESTRA_EXECUTION_CONTEXT_FILE``, else ``.kestra-execution-context.json``
    in the working directory; without a file, from ``KESTRA_CONTEXT`` (base64 JSON).
    """
    location = path or os.environ.get("KESTRA_EXECUTION_CONTEXT_FILE", CONTEXT_FILE)
    if Path(location).exists():
        return ExecutionContext(json.loads(Path(location).read_text(encoding="utf-8")))
    encoded = os.environ.get("KESTRA_CONTEXT")
    if encoded:
        return ExecutionContext(json.loads(base64.b64decode(encoded)))
    raise FileNotFoundError(
        f"no execution context: '{location}' does not exist and KESTRA_CONTEXT is not set "
        "(set `executionContext: true` on the script task)"
    )


_context: Optional[ExecutionContext] = None


def __getattr__(name: str) -> Any:
    # `context` is read on first use, so that importing this module never needs one.
    global _context
    if name == "context":
        if _context is None:
            _context = load_execution_context()
        return _context
    if name == "Flow":
        raise AttributeError(
            "kestra.Flow calls the server API: install the kestra package "
            "(`pip install kestra` in beforeCommands) to use it"
        )
    raise AttributeError(f"module '{__name__}' has no attribute '{name}'")


_load_real_package()
