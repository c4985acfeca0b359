"""Template functions (Kestra §9.3): ``render``, ``secret``, ``kv``, ``now``, ``range``...

Functions that need the outside world go through the `TemplateServices` of the current
render (see `tercel.templating.state`); the rest are pure.
"""

from __future__ import annotations

import base64
import binascii
import json as jsonlib
import os
import random
import secrets
import socket
import time
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context

from tercel.errors import TemplateError
from tercel.ids import short_id
from tercel.templating import limits
from tercel.templating import state as render_state
from tercel.templating.calendar import FUNCTIONS as CALENDAR_FUNCTIONS
from tercel.templating.dates import format_java, zone_of
from tercel.templating.recursive import render_function, render_once_function
from tercel.templating.serialize import from_ion, from_yaml


def pebble_range(start: Any, end: Any, increment: Any = 1) -> list[Any]:
    """Pebble's inclusive range: ``range(1, 3)`` and ``1..3`` give ``[1, 2, 3]``.

    Single characters work too: ``range('a', 'c')`` gives ``['a', 'b', 'c']``.
    """
    if isinstance(start, str) and isinstance(end, str):
        if len(start) != 1 or len(end) != 1:
            raise TemplateError(
                "Arguments of range function must be of type Number or String with a length of 1"
            )
        return [chr(code) for code in pebble_range(ord(start), ord(end), increment)]
    try:
        first, last, step = int(start), int(end), int(increment)
    except (TypeError, ValueError):
        raise TemplateError(
            "Arguments of range function must be of type Number or String with a length of 1"
        ) from None
    if step == 0:
        raise TemplateError("The increment of the range function must be different than 0")
    size = max(0, (last - first) // step + 1)
    limits.check_size(size, "range")
    return list(range(first, last + (1 if step > 0 else -1), step))


def _extremum(args: tuple[Any, ...], pick: Callable[[Any, Any], bool]) -> Any:
    best: Any = None
    for candidate in args:
        if best is None:
            best = candidate
            continue
        try:
            if pick(candidate, best):
                best = candidate
        except TypeError:
            raise TemplateError(
                f"cannot compare {type(candidate).__name__} with {type(best).__name__}"
            ) from None
    return best


def maximum(*args: Any) -> Any:
    """The largest argument."""
    return _extremum(args, lambda a, b: a > b)


def minimum(*args: Any) -> Any:
    """The smallest argument."""
    return _extremum(args, lambda a, b: a < b)


def now(
    format: str = "iso",  # noqa: A002 - Kestra's argument name
    timeZone: str | None = None,  # noqa: N803
    locale: str | None = None,
) -> str:
    """The current date-time, formatted like the ``date`` filter."""
    zone = zone_of(timeZone)
    return format_java(datetime.now(zone), format)


#: Default of required arguments, told apart from an explicit null.
_MISSING: Any = object()


def from_json(json: Any = _MISSING) -> Any:
    """Parse a JSON string; null gives null."""
    text = json
    if text is _MISSING:
        raise TemplateError("The 'fromJson' function expects an argument 'json'.")
    if text is None:
        return None
    if not isinstance(text, str):
        raise TemplateError("The 'fromJson' function expects an argument 'json' with type string.")
    try:
        return jsonlib.loads(text)
    except ValueError as error:
        raise TemplateError(f"Invalid json: {error}") from None


def yaml_function(yaml: Any = None) -> Any:
    """Parse a YAML string."""
    if not isinstance(yaml, str):
        raise TemplateError("The 'yaml' function expects an argument 'yaml' with type string.")
    return from_yaml(yaml)


def from_ion_function(ion: Any = _MISSING) -> Any:
    """Parse an Ion string; null gives null."""
    if ion is _MISSING:
        raise TemplateError("The 'fromIon' function expects an argument 'ion'.")
    if ion is None:
        return None
    if not isinstance(ion, str):
        raise TemplateError("The 'fromIon' function expects an argument 'ion' with type string.")
    return from_ion(ion)


@pass_context
def current_each_output(context: Context, outputs: Any = None) -> Any:
    """``outputs[parent values...][taskrun.value]``: this iteration's output of a sibling."""
    if not isinstance(outputs, Mapping):
        raise TemplateError(
            "The 'currentEachOutput' function expects an argument 'outputs' with type map."
        )
    current: Any = outputs
    parents = context.get("parents")
    if isinstance(parents, list):
        # `parents` is closest-first; outputs nest outermost-first.
        for parent in reversed(parents):
            taskrun = parent.get("taskrun") if isinstance(parent, Mapping) else None
            if isinstance(taskrun, Mapping) and isinstance(current, Mapping):
                current = current.get(taskrun.get("value"))
    taskrun = context.get("taskrun")
    if not isinstance(taskrun, Mapping) or not isinstance(current, Mapping):
        return None
    return current.get(taskrun.get("value"))


def secret(key: Any = None) -> str:
    """A secret's value (registered for masking by the services)."""
    if not isinstance(key, str):
        raise TemplateError("The 'secret' function expects an argument 'key'.")
    return render_state.current().services.secret(key)


@pass_context
def kv(
    context: Context,
    key: Any = None,
    namespace: str | None = None,
    errorOnMissing: bool = True,  # noqa: N803
) -> Any:
    """A value of the KV store of `namespace` (default: the flow's)."""
    if not isinstance(key, str):
        raise TemplateError("The 'kv' function expects an argument 'key'.")
    return render_state.current().services.kv(namespace, key, bool(errorOnMissing))


def read(path: Any = None) -> str:
    """Content of a namespace file or of a ``kestra://`` file of this execution."""
    if not isinstance(path, str):
        raise TemplateError(
            "The 'read' function expects an argument 'path' that is a path to a namespace "
            "file or an internal storage URI."
        )
    return render_state.current().services.read(path)


@pass_context
def file_uri(context: Context, path: Any = None) -> str:
    """``kestra:///<namespace as path>/_files/<path>`` of a namespace file."""
    if not isinstance(path, str):
        raise TemplateError(
            "The 'fileURI' function expects an argument 'path' that is a path to a namespace file."
        )
    relative = path.removeprefix("/")
    if "../" in relative:
        raise TemplateError("Path must not contain '../'")
    flow = context.get("flow")
    namespace = flow.get("namespace") if isinstance(flow, Mapping) else None
    if not isinstance(namespace, str):
        return render_state.current().services.file_uri(relative)
    return f"kestra:///{namespace.replace('.', '/')}/_files/{relative}"


def _uri(path: Any, function: str) -> str:
    if not isinstance(path, str):
        raise TemplateError(f"The '{function}' function expects an argument 'path'.")
    return path


def file_size(path: Any = None) -> int:
    """Size in bytes of a ``kestra://`` file."""
    return render_state.current().services.file_size(_uri(path, "fileSize"))


def file_exists(path: Any = None) -> bool:
    """Whether a ``kestra://`` file (or namespace file) exists."""
    return render_state.current().services.file_exists(_uri(path, "fileExists"))


def is_file_empty(path: Any = None) -> bool:
    """Whether a ``kestra://`` file is empty."""
    services = render_state.current().services
    uri = _uri(path, "isFileEmpty")
    checker = getattr(services, "is_file_empty", None)
    if callable(checker):
        return bool(checker(uri))
    return services.file_size(uri) == 0


def error_logs() -> list[dict[str, Any]]:
    """ERROR log entries of this execution (for ``errors`` tasks)."""
    return render_state.current().services.error_logs()


def _aes_key(key: Any) -> bytes:
    try:
        raw = base64.b64decode(str(key), validate=True)
    except binascii.Error:
        raise TemplateError("the encryption key must be base64-encoded") from None
    if len(raw) not in (16, 24, 32):
        raise TemplateError("Invalid AES key length: the key must be 16, 24 or 32 bytes")
    return raw


def encrypt(key: Any = None, plaintext: Any = None) -> Any:
    """AES-GCM with a base64 key; base64 of IV (12 bytes) + ciphertext, as Kestra does."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    if key is None or plaintext is None:
        raise TemplateError("The 'encrypt' function expects two arguments 'key' and 'plaintext'.")
    if plaintext == "":
        return plaintext
    iv = os.urandom(12)
    sealed = AESGCM(_aes_key(key)).encrypt(iv, str(plaintext).encode("utf-8"), None)
    return base64.b64encode(iv + sealed).decode("ascii")


def decrypt(key: Any = None, encrypted: Any = None) -> Any:
    """Reverse of `encrypt`."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    if key is None or encrypted is None:
        raise TemplateError("The 'decrypt' function expects two arguments 'key' and 'encrypted'.")
    if encrypted == "":
        return encrypted
    try:
        raw = base64.b64decode(str(encrypted), validate=True)
        plain = AESGCM(_aes_key(key)).decrypt(raw[:12], raw[12:], None)
    except (binascii.Error, InvalidTag, ValueError):
        raise TemplateError("Tag mismatch: the value cannot be decrypted with this key") from None
    return plain.decode("utf-8")


@pass_context
def print_context(context: Context) -> dict[str, Any]:
    """The whole render context (without functions), for debugging."""
    env_globals = context.environment.globals
    return {
        name: value
        for name, value in context.get_all().items()
        if not (name in env_globals and env_globals[name] is value)
    }


def uuid_function() -> str:
    """A random UUID."""
    return str(uuid.uuid4())


def id_function() -> str:
    """A Kestra short id (base62, ~22 characters)."""
    return short_id()


def random_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_KSUID_EPOCH = 1_400_000_000


def ksuid() -> str:
    """A K-sortable id: 4 bytes of seconds since 2014-05-13 + 16 random bytes, base62 (27)."""
    stamp = int(time.time()) - _KSUID_EPOCH
    number = int.from_bytes(stamp.to_bytes(4, "big") + os.urandom(16), "big")
    chars: list[str] = []
    while number:
        number, digit = divmod(number, 62)
        chars.append(_BASE62[digit])
    return "".join(reversed(chars)).rjust(27, "0")


def nano_id(length: Any = 21, alphabet: Any = None) -> str:
    """A NanoID: `length` random characters of `alphabet` (URL-safe by default)."""
    letters = str(alphabet) if alphabet else "_-" + _BASE62
    if not isinstance(length, int) or not 0 < length <= 10_000:
        raise TemplateError("nanoId length must be an integer between 1 and 10000")
    return "".join(secrets.choice(letters) for _ in range(length))


def random_int(lower: Any = None, upper: Any = None) -> int:
    """An integer in ``[lower, upper)``."""
    if not isinstance(lower, int) or not isinstance(upper, int):
        raise TemplateError("The 'randomInt' function expects integer arguments lower and upper")
    if upper < lower:
        raise TemplateError("In 'randomInt' upper is less than lower")
    if upper == lower:
        return lower
    return random.randrange(lower, upper)


@pass_context
def tasks_with_state(context: Context, state: Any = None) -> list[dict[str, Any]]:
    """Tasks of this execution in a state: ``[{taskId, state[, value]}]``."""
    wanted = str(state or "").upper()
    tasks = context.get("tasks")
    found: list[dict[str, Any]] = []
    if not isinstance(tasks, Mapping):
        return found
    for task_id, entry in tasks.items():
        if not isinstance(entry, Mapping):
            continue
        if "state" in entry and not isinstance(entry["state"], Mapping):
            if str(entry["state"]).upper() == wanted:
                found.append({"taskId": task_id, "state": entry["state"]})
            continue
        for value, nested in entry.items():
            if isinstance(nested, Mapping) and str(nested.get("state", "")).upper() == wanted:
                found.append({"taskId": task_id, "value": value, "state": nested["state"]})
    return found


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "range": pebble_range,
    "max": maximum,
    "min": minimum,
    "now": now,
    "json": from_json,
    "fromJson": from_json,
    "yaml": yaml_function,
    "fromIon": from_ion_function,
    "currentEachOutput": current_each_output,
    "secret": secret,
    "kv": kv,
    "read": read,
    "fileURI": file_uri,
    "fileSize": file_size,
    "fileExists": file_exists,
    "isFileEmpty": is_file_empty,
    "fileEmpty": is_file_empty,
    "errorLogs": error_logs,
    "render": render_function,
    "renderOnce": render_once_function,
    "encrypt": encrypt,
    "decrypt": decrypt,
    "printContext": print_context,
    "fetchContext": print_context,
    "uuid": uuid_function,
    "id": id_function,
    "randomInt": random_int,
    "tasksWithState": tasks_with_state,
    "randomPort": random_port,
    "ksuid": ksuid,
    "nanoId": nano_id,
    **CALENDAR_FUNCTIONS,
}
