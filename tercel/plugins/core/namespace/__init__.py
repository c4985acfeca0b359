"""`io.kestra.plugin.core.namespace.*`: upload, download and delete namespace files."""

from __future__ import annotations
