"""Webhook triggers: which trigger a call's key opens, and the `trigger.*` it carries."""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from tercel.errors import TercelError
from tercel.model.flow import Flow
from tercel.plugins.core.trigger.webhook import Webhook


def find_webhook(
    flow: Flow, key: str, render: Callable[[str], str] | None = None
) -> Webhook | None:
    """The enabled Webhook trigger of `flow` whose (rendered) key equals `key`.

    A key that fails to render (a missing secret) matches nothing.
    """
    for trigger in flow.triggers:
        if not isinstance(trigger, Webhook) or trigger.disabled:
            continue
        expected = trigger.key
        if "{{" in expected:
            if render is None:
                continue
            try:
                expected = render(expected)
            except TercelError:
                continue
        # Constant time: the key is a secret.
        if hmac.compare_digest(expected.encode(), key.encode()):
            return trigger
    return None


def parse_body(raw: bytes) -> Any:
    """The body as JSON when it parses, else as text (None when empty)."""
    if not raw:
        return None
    text = raw.decode("utf-8", errors="replace")
    try:
        return json.loads(text)
    except ValueError:
        return text


def multimap(pairs: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """Pairs grouped by name, each name → its values in order."""
    grouped: dict[str, list[str]] = {}
    for name, value in pairs:
        grouped.setdefault(name, []).append(value)
    return grouped


def webhook_variables(
    body: bytes,
    headers: Iterable[tuple[str, str]],
    parameters: Iterable[tuple[str, str]],
    *,
    form_fields: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """`trigger.body`, `trigger.headers`, `trigger.parameters` (and `trigger.formFields`)."""
    variables: dict[str, Any] = {
        "body": parse_body(body),
        "headers": multimap((name.lower(), value) for name, value in headers),
        "parameters": multimap(parameters),
    }
    if form_fields is not None:
        variables["formFields"] = dict(form_fields)
    return variables
