"""E-mail (`io.kestra.plugin.email.*`, formerly `io.kestra.plugin.notifications.mail.*`):
send messages, with attachments from internal storage, through any SMTP server."""

from __future__ import annotations

import importlib

_MODULES: tuple[str, ...] = ("send", "execution")
_registered = False


def register() -> None:
    """Import the modules whose `@plugin` decorators declare this family's types."""
    global _registered  # noqa: PLW0603 - registration is idempotent by design
    if _registered:
        return
    _registered = True
    for name in _MODULES:
        importlib.import_module(f"{__name__}.{name}")
