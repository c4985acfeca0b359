"""`io.kestra.plugin.core.output.*`: OutputValues."""

from __future__ import annotations
