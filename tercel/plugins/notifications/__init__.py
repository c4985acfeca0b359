"""Notifications (`io.kestra.plugin.notifications.*`): webhook and execution-summary tasks for
Microsoft Teams, Discord, Google Chat, Telegram, PagerDuty and Opsgenie.

Each `*IncomingWebhook`/`*Alert`/`*Send` task posts a JSON `payload` as written; each
`*Execution` task posts the summary of an execution (`tercel.plugins.slack.summary`) in the
message format the vendor documents. Everything goes through `tercel.plugins.slack.post`.
"""

from __future__ import annotations

import importlib

_MODULES: tuple[str, ...] = ("teams", "discord", "google_chat", "telegram", "pagerduty", "opsgenie")
_registered = False


def register() -> None:
    """Import the modules whose `@plugin` decorators declare this family's types."""
    global _registered  # noqa: PLW0603 - registration is idempotent by design
    if _registered:
        return
    _registered = True
    for name in _MODULES:
        importlib.import_module(f"{__name__}.{name}")
