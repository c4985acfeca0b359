"""String filters: Pebble's core ones and Kestra's additions."""

from __future__ import annotations

import base64
import binascii
import html
import json
import re
import unicodedata
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote_plus, unquote_plus

from tercel.errors import TemplateError
from tercel.templating import limits, patterns
from tercel.templating.output import to_text


def _text(value: Any, filter_name: str) -> str:
    if isinstance(value, str):
        return value
    raise TemplateError(f"the '{filter_name}' filter expects a string, got {type(value).__name__}")


def abbreviate(value: Any, length: int) -> str | None:
    """Cut to `length` characters, the last three replaced by ``...``."""
    if value is None:
        return None
    text = _text(value, "abbreviate")
    if length < 0:
        raise TemplateError("Invalid argument to abbreviate filter; must be greater than zero")
    if len(text) < length or len(text) <= 3:
        return text
    if length <= 3:
        return text[:length]
    return text[: length - 3] + "..."


def capitalize(value: Any) -> str | None:
    """First non-blank character in title case, the rest unchanged."""
    if value is None:
        return None
    text = _text(value, "capitalize")
    for index, char in enumerate(text):
        if not char.isspace():
            return text[:index] + char.title() + text[index + 1 :]
    return text


def title(value: Any) -> str | None:
    """Every word's first character in title case (words split on whitespace)."""
    if value is None:
        return None
    text = _text(value, "title")
    chars: list[str] = []
    start = True
    for char in text:
        if char.isspace():
            start = True
            chars.append(char)
        elif start:
            chars.append(char.title())
            start = False
        else:
            chars.append(char)
    return "".join(chars)


def lower(value: Any) -> Any:
    """Lower case."""
    return None if value is None else to_text(value).lower()


def upper(value: Any) -> Any:
    """Upper case."""
    return None if value is None else to_text(value).upper()


def trim(value: Any) -> str | None:
    """Strip leading and trailing whitespace."""
    return None if value is None else _text(value, "trim").strip()


def _deep(value: Any, apply: Callable[[str], str]) -> Any:
    """Apply a string function inside maps and lists, as Kestra's replace/escapeChar do."""
    if isinstance(value, Mapping):
        return {key: _deep(item, apply) for key, item in value.items()}
    if isinstance(value, list):
        return [_deep(item, apply) for item in value]
    return apply(value if isinstance(value, str) else to_text(value))


def replace(value: Any, replace_pairs: Any = None, regexp: bool = False) -> Any:
    """Kestra's ``replace({'from': 'to'}, regexp=false)``, also inside maps and lists."""
    if value is None:
        return None
    if not isinstance(replace_pairs, Mapping):
        raise TemplateError("The argument 'replace_pairs' is required (a map of from: to).")
    pairs = [(str(old), to_text(new)) for old, new in replace_pairs.items()]

    def apply(text: str) -> str:
        for old, new in pairs:
            if regexp:
                text = patterns.substitute(old, new, text)
            else:
                text = patterns.bounded_replace(text, old, new)
        return text

    return _deep(value, apply)


def split(value: Any, delimiter: str | None = None, limit: int | None = None) -> list[str] | None:
    """Java's ``String.split(regex[, limit])``: trailing empty strings dropped unless limit<0."""
    if value is None:
        return None
    if delimiter is None:
        raise TemplateError("missing delimiter parameter in split filter")
    text = _text(value, "split")
    if text == "":
        return [""]
    parts = patterns.split(delimiter, text, limit - 1 if limit is not None and limit > 0 else 0)
    if limit is None or limit == 0:
        while parts and parts[-1] == "":
            parts.pop()
    return parts


def starts_with(input_: Any, /, value: Any) -> bool:
    """``x | startsWith('prefix')``."""
    return to_text(input_).startswith(to_text(value))


def ends_with(input_: Any, /, value: Any) -> bool:
    """``x | endsWith('suffix')``."""
    return to_text(input_).endswith(to_text(value))


def substring_before(value: Any, separator: str | None = None) -> str | None:
    """Text before the first `separator` (whole text when absent; empty separator → '')."""
    if value is None:
        return None
    text = to_text(value)
    if separator is None:
        return text
    if separator == "":
        return ""
    index = text.find(separator)
    return text if index < 0 else text[:index]


def substring_after(value: Any, separator: str | None = None) -> str | None:
    """Text after the first `separator` ('' when absent)."""
    if value is None:
        return None
    text = to_text(value)
    if separator is None:
        return ""
    if separator == "":
        return text
    index = text.find(separator)
    return "" if index < 0 else text[index + len(separator) :]


def substring_before_last(value: Any, separator: str | None = None) -> str | None:
    """Text before the last `separator` (whole text when absent)."""
    if value is None:
        return None
    text = to_text(value)
    if not separator:
        return text
    index = text.rfind(separator)
    return text if index < 0 else text[:index]


def substring_after_last(value: Any, separator: str | None = None) -> str | None:
    """Text after the last `separator` ('' when absent or at the end)."""
    if value is None:
        return None
    text = to_text(value)
    if not separator:
        return ""
    index = text.rfind(separator)
    return "" if index < 0 else text[index + len(separator) :]


def slugify(value: Any) -> str | None:
    """Kestra's slug: whitespace → '-', accents and symbols dropped, lower case."""
    if value is None:
        return None
    text = re.sub(r"\s", "-", to_text(value))
    text = unicodedata.normalize("NFD", text)
    text = re.sub(r"[^\w-]", "", text, flags=re.ASCII)
    text = text.replace("_", "-")
    text = re.sub("-{2,}", "-", text).removeprefix("-").removesuffix("-")
    return text.lower()


def escape_char(value: Any, type: str | None = None) -> Any:  # noqa: A002 - Kestra's name
    """Escape quotes for ``single``, ``double`` or ``shell`` strings, also in maps/lists."""
    if value is None:
        return None
    if type is None:
        raise TemplateError("The 'escapeChar' filter expects an argument 'type'.")
    kind = type.upper()
    table = {"SINGLE": ("'", "\\'"), "DOUBLE": ('"', '\\"'), "SHELL": ("'", "'\\''")}
    if kind not in table:
        raise TemplateError(
            "The 'escapeChar' filter expects the value of 'type' to be either "
            "'single', 'double', or 'shell'."
        )
    old, new = table[kind]
    return _deep(value, lambda text: text.replace(old, new))


def _line_separator(text: str) -> str:
    for separator in ("\r\n", "\n\r", "\n", "\r"):
        if separator in text:
            return separator
    return "\n"


def indent(value: Any, amount: int | None = None, prefix: str = " ") -> str | None:
    """Indent every line but the first by `amount` × `prefix`."""
    if value is None:
        return None
    text = to_text(value)
    if text == "":
        return text
    newline = _line_separator(text)
    return text.replace(newline, newline + _indentation(amount, prefix, "indent"))


def nindent(value: Any, amount: int | None = None, prefix: str = " ") -> str | None:
    """A newline, then every line indented by `amount` × `prefix`."""
    if value is None:
        return None
    text = to_text(value)
    if text == "":
        return text
    newline = _line_separator(text)
    return (newline + text).replace(newline, newline + _indentation(amount, prefix, "nindent"))


def _indentation(amount: int | None, prefix: str, name: str) -> str:
    if amount is None:
        raise TemplateError(f"The '{name}' filter expects an integer as argument 'amount'.")
    if amount < 0:
        raise TemplateError(
            f"The '{name}' filter expects a positive integer >=0 as argument 'amount'."
        )
    limits.check_length(len(prefix) * amount, "indentation")
    return prefix * amount


def urlencode(value: Any) -> str | None:
    """Java's ``URLEncoder``: spaces as ``+``, only ``a-zA-Z0-9.-*_`` kept."""
    if value is None:
        return None
    return quote_plus(_text(value, "urlencode"), safe="*").replace("~", "%7E")


def urldecode(value: Any) -> str | None:
    """Java's ``URLDecoder``: ``+`` as space, ``%xx`` decoded."""
    if value is None:
        return None
    return unquote_plus(_text(value, "urldecode"))


def base64encode(value: Any) -> str | None:
    """Base64 of the UTF-8 bytes."""
    if value is None:
        return None
    return base64.b64encode(to_text(value).encode("utf-8")).decode("ascii")


def base64decode(value: Any) -> str | None:
    """Decode base64 into a UTF-8 string."""
    if value is None:
        return None
    try:
        return base64.b64decode(_text(value, "base64decode"), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise TemplateError(
            "Please provide a correctly Base64 encoded string containing an UTF-8 string"
        ) from None


def _js_escape(text: str) -> str:
    return "".join(
        char
        if char.isalnum() or char in ",._ "
        else f"\\x{ord(char):02X}"
        if ord(char) < 256
        else f"\\u{ord(char):04X}"
        for char in text
    )


def _css_escape(text: str) -> str:
    return "".join(char if char.isalnum() else f"\\{ord(char):X} " for char in text)


def escape(value: Any, strategy: str = "html") -> Any:
    """Pebble's ``escape``: ``html`` (default), ``js``, ``css``, ``url_param`` or ``json``."""
    if value is None:
        return None
    text = to_text(value)
    if strategy == "html":
        return html.escape(text, quote=True).replace("&#x27;", "&#39;")
    if strategy == "js":
        return _js_escape(text)
    if strategy == "css":
        return _css_escape(text)
    if strategy == "url_param":
        return urlencode(text)
    if strategy == "json":
        return json.dumps(text, ensure_ascii=False)[1:-1]
    raise TemplateError(f"Unknown escaping strategy [{strategy}]")


def raw(value: Any) -> Any:
    """Pebble's ``raw``: the value unchanged (escaping is off anyway)."""
    return value


def nl2br(value: Any) -> str | None:
    """Line breaks as ``<br />``."""
    return None if value is None else to_text(value).replace("\n", "<br />")


def string(value: Any) -> str:
    """The value printed as text (JSON for maps and lists)."""
    return to_text(value)


FILTERS: dict[str, Callable[..., Any]] = {
    "abbreviate": abbreviate,
    "capitalize": capitalize,
    "title": title,
    "lower": lower,
    "upper": upper,
    "trim": trim,
    "replace": replace,
    "split": split,
    "startsWith": starts_with,
    "endsWith": ends_with,
    "substringBefore": substring_before,
    "substringAfter": substring_after,
    "substringBeforeLast": substring_before_last,
    "substringAfterLast": substring_after_last,
    "slugify": slugify,
    "escapeChar": escape_char,
    "indent": indent,
    "nindent": nindent,
    "urlencode": urlencode,
    "urldecode": urldecode,
    "base64encode": base64encode,
    "base64decode": base64decode,
    "string": string,
    "escape": escape,
    "raw": raw,
    "nl2br": nl2br,
}
