"""Internal storage: files addressed by ``kestra:///...`` URIs (`uri`), on local disk
(`local.LocalStorage`)."""

from __future__ import annotations
