"""Coerce one input value to its declared type, with Kestra's error messages (§2).

Values come out JSON-ready, as Kestra prints them: DATETIME ``2019-10-06T18:27:49Z``,
DATE ``2019-10-06``, TIME ``18:27:49``, DURATION ``PT5M6S``, FILE a ``kestra:///`` URI.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time
from typing import Any

from tercel.errors import InputError
from tercel.model.durations import format_duration, parse_duration
from tercel.model.inputs import (
    ArrayInput,
    DurationInput,
    EnumInput,
    FileInput,
    FloatInput,
    Input,
    InputType,
    IntInput,
    MultiselectInput,
    SelectInput,
    StringInput,
    _Bounded,
)

#: Stores an uploaded/local file for a FILE input; returns its ``kestra:///`` URI.
StoreFile = Callable[[Input, Any], str]

URI_PATTERN = re.compile(
    r"^[a-z]+://(www\.)?[-a-zA-Z0-9@:%._+~#=]{1,256}\.[a-zA-Z0-9()]{1,6}\b"
    r"([-a-zA-Z0-9()@:%_+.~#?&/=]*)$"
)
EMAIL_PATTERN = re.compile(r"^$|^[a-zA-Z0-9_!#$%&'’*+/=?`{|}~^.-]+@[a-zA-Z0-9.-]+$")


class _InvalidValueError(Exception):
    """Internal: a value failed its input's checks (message is user-facing)."""


def _shown(declaration: Input, value: Any) -> Any:
    # A SECRET input's value never appears in an error (answers, logs): it is a secret.
    return "******" if declaration.type is InputType.SECRET else value


def _fail_parse(declaration: Input, value: Any, detail: str) -> _InvalidValueError:
    return _InvalidValueError(
        f"Invalid input for `{declaration.key}`, Expected `{declaration.type.value}` "
        f"but received `{_shown(declaration, value)}` with errors: {detail}"
    )


def _fail_rule(declaration: Input, rule: str, value: Any) -> _InvalidValueError:
    return _InvalidValueError(
        f"Invalid input for `{declaration.key}`, {rule}, but received "
        f"`{_shown(declaration, value)}`"
    )


def input_text(value: Any) -> str:
    """A scalar as the text Kestra sees (``true``/``false`` for booleans)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else str(value)


def _list(declaration: Input, value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError as error:
            raise _fail_parse(declaration, value, str(error)) from None
        if isinstance(parsed, list):
            return parsed
    raise _fail_parse(declaration, value, "not a list")


def _int(declaration: Input, value: Any) -> int:
    if isinstance(value, bool):
        raise _fail_parse(declaration, value, "a boolean is not a number")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = input_text(value).strip()
    if not re.fullmatch(r"[-+]?\d+", text):
        raise _fail_parse(declaration, value, f'For input string: "{text}"')
    return int(text)


def _float(declaration: Input, value: Any) -> float:
    if isinstance(value, bool):
        raise _fail_parse(declaration, value, "a boolean is not a number")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise _fail_parse(declaration, value, f'For input string: "{value}"') from None


def _instant(declaration: Input, value: Any) -> datetime:
    text = input_text(value).strip()
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise _fail_parse(declaration, value, _unparsable(text, "2024-01-31T10:00:00Z")) from None
    if "T" not in text.upper() or parsed.tzinfo is None:
        raise _fail_parse(declaration, value, "an instant needs a date, a time and a zone")
    return parsed.astimezone(UTC)


def format_time(moment: time) -> str:
    """``18:27``, ``18:27:49``, ``18:27:49.120``: as Java's LocalTime prints."""
    text = f"{moment.hour:02d}:{moment.minute:02d}"
    if moment.second or moment.microsecond:
        text += f":{moment.second:02d}"
    micros = moment.microsecond
    if micros:
        text += f".{micros // 1000:03d}" if micros % 1000 == 0 else f".{micros:06d}"
    return text


def format_instant(moment: datetime) -> str:
    """``2019-10-06T18:27:49Z``, ``...:49.120Z``, ``...:49.000123Z``: as Java's Instant prints."""
    utc = moment.astimezone(UTC)
    text = utc.strftime("%Y-%m-%dT%H:%M:%S")
    micros = utc.microsecond
    if micros:
        # Java prints the fraction in groups of three digits.
        text += f".{micros // 1000:03d}" if micros % 1000 == 0 else f".{micros:06d}"
    return text + "Z"


def _bounds(declaration: _Bounded, parsed: Any, value: Any, parse: Callable[[str], Any]) -> None:
    if declaration.after is not None and not parsed > parse(declaration.after):
        raise _fail_rule(declaration, f"it must be after `{declaration.after}`", value)
    if declaration.before is not None and not parsed < parse(declaration.before):
        raise _fail_rule(declaration, f"it must be before `{declaration.before}`", value)


def _min_max(declaration: Any, parsed: Any, value: Any, parse: Callable[[Any], Any]) -> None:
    if declaration.min is not None and parsed < parse(declaration.min):
        raise _fail_rule(declaration, f"it must be more than `{declaration.min}`", value)
    if declaration.max is not None and parsed > parse(declaration.max):
        raise _fail_rule(declaration, f"it must be less than `{declaration.max}`", value)


def _one_of(declaration: Input, item: Any, values: Sequence[str], shown: Any) -> None:
    if input_text(item) not in values:
        joined = ", ".join(values)
        raise _fail_rule(declaration, f"it must match the values `[{joined}]`", shown)


def coerce_input(
    declaration: Input,
    value: Any,
    *,
    choices: Sequence[str] | None = None,
    store_file: StoreFile | None = None,
) -> Any:
    """Parse and check `value` for `declaration`; raise `InputError` with Kestra's message.

    `choices` are the rendered values of a SELECT/MULTISELECT `expression`.
    """
    try:
        return _coerce(declaration, value, choices, store_file)
    except _InvalidValueError as error:
        raise InputError(str(error)) from None


def _coerce(
    declaration: Input,
    value: Any,
    choices: Sequence[str] | None,
    store_file: StoreFile | None,
) -> Any:
    kind = declaration.type
    if kind in (InputType.STRING, InputType.SECRET, InputType.ENUM, InputType.SELECT):
        text = input_text(value)
        validator = getattr(declaration, "validator", None)
        if validator is not None and re.fullmatch(validator, text) is None:
            raise _fail_rule(declaration, f"it must match the pattern `{validator}`", value)
        if isinstance(declaration, EnumInput):
            _one_of(declaration, text, declaration.values, value)
        if isinstance(declaration, SelectInput):
            allowed = choices or declaration.values
            # As in Kestra, membership is only enforced for required SELECT inputs.
            if declaration.required and not declaration.allow_custom_value and allowed:
                _one_of(declaration, text, allowed, value)
        return text
    if kind is InputType.MULTISELECT:
        assert isinstance(declaration, MultiselectInput)
        items = _list(declaration, value)
        allowed = choices or declaration.values or declaration.options or []
        # Without a renderer an `expression` gives no list to check against.
        if not declaration.allow_custom_value and allowed:
            for item in items:
                _one_of(declaration, item, allowed, value)
        return [input_text(item) for item in items]
    if kind is InputType.INT:
        assert isinstance(declaration, IntInput)
        number = _int(declaration, value)
        _min_max(declaration, number, value, int)
        return number
    if kind is InputType.FLOAT:
        assert isinstance(declaration, FloatInput)
        real = _float(declaration, value)
        _min_max(declaration, real, value, float)
        return real
    if kind in (InputType.BOOLEAN, InputType.BOOL):
        return value if isinstance(value, bool) else input_text(value).strip().lower() == "true"
    if kind is InputType.DATETIME:
        assert isinstance(declaration, _Bounded)
        moment = _instant(declaration, value)
        _bounds(declaration, moment, value, lambda text: _instant(declaration, text))
        return format_instant(moment)
    if kind is InputType.DATE:
        assert isinstance(declaration, _Bounded)
        day = _parse(declaration, value, date.fromisoformat, "2024-01-31")
        _bounds(declaration, day, value, date.fromisoformat)
        return day.isoformat()
    if kind is InputType.TIME:
        assert isinstance(declaration, _Bounded)
        moment_of_day = _parse(declaration, value, time.fromisoformat, "18:27:49")
        _bounds(declaration, moment_of_day, value, time.fromisoformat)
        return format_time(moment_of_day)
    if kind is InputType.DURATION:
        assert isinstance(declaration, DurationInput)
        delta = _parse(declaration, value, parse_duration)
        _min_max(declaration, delta, value, parse_duration)
        return format_duration(delta)
    if kind is InputType.FILE:
        assert isinstance(declaration, FileInput)
        if isinstance(value, str) and value.startswith("kestra://"):
            return value
        if store_file is None:
            raise _fail_parse(declaration, value, "a FILE input needs an uploaded file")
        return store_file(declaration, value)
    if kind is InputType.JSON:
        return _parse(declaration, value, json.loads) if isinstance(value, str) else value
    if kind is InputType.YAML:
        return _yaml(declaration, value) if isinstance(value, str) else value
    if kind is InputType.URI:
        text = input_text(value)
        if URI_PATTERN.match(text) is None:
            raise _fail_parse(declaration, value, "not a valid URI")
        return text
    if kind is InputType.EMAIL:
        text = input_text(value)
        if EMAIL_PATTERN.match(text) is None:
            raise _fail_parse(declaration, value, "not a valid email address")
        return text
    if kind is InputType.ARRAY:
        assert isinstance(declaration, ArrayInput)
        item_declaration = _item_declaration(declaration)
        return [
            _coerce(item_declaration, item, None, store_file) for item in _list(declaration, value)
        ]
    raise _fail_parse(declaration, value, "unsupported input type")


def _parse(
    declaration: Input, value: Any, parse: Callable[[str], Any], example: str | None = None
) -> Any:
    text = input_text(value).strip()
    try:
        return parse(text)
    except ValueError as error:
        detail = _unparsable(text, example) if example else str(error)
        raise _fail_parse(declaration, value, detail) from None


def _unparsable(text: str, example: str) -> str:
    """Java's wording (`Text '...' could not be parsed`), and what a valid value looks like."""
    return f"Text '{text}' could not be parsed (expected e.g. `{example}`)"


def _yaml(declaration: Input, value: str) -> Any:
    from tercel.model.yaml_source import parse_documents

    documents = parse_documents(value, f"inputs.{declaration.key}")
    problems = [p for document in documents for p in document.problems]
    if problems:
        raise _fail_parse(declaration, value, problems[0].message)
    return documents[0].data


def _item_declaration(declaration: ArrayInput) -> Input:
    """How each item of an ARRAY is parsed: as an input of `itemType` (choices as STRING)."""
    from tercel.model.inputs import INPUT_CLASSES

    cls = INPUT_CLASSES.get(declaration.item_type.value, StringInput)
    if cls in (SelectInput, MultiselectInput, EnumInput, FileInput):
        cls = StringInput
    return cls.model_validate({"id": declaration.key, "type": cls.input_type.value})
