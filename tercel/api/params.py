"""Rules for path and query parameters that every route shares.

Numbers: Kestra declares page, size, revision and attempt as Java ints, and a database
column overflows past 64 bits, so each is bounded here and a bigger one is a 422 naming
the parameter. Names: every ``{namespace}`` and ``{tenant}`` path segment is checked by one
dependency installed on every router (`check_path_names`), so no route can forget it.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Query, Request

from tercel.errors import InvalidNameError
from tercel.model.flow import TENANT_PATTERN
from tercel.model.names import check_namespace

#: The largest value of a Java int: Kestra's bound for these parameters.
MAX_INT = 2**31 - 1

#: ``?page=``: from 1.
Page = Annotated[int, Query(ge=1, le=MAX_INT, description="page number, from 1")]
#: ``?size=``: results per page.
PageSize = Annotated[int, Query(ge=1, le=1000, description="results per page")]
#: ``?revision=`` of a flow.
Revision = Annotated[int | None, Query(ge=1, le=MAX_INT, description="a flow revision")]
#: ``?attempt=`` of a task run.
Attempt = Annotated[int | None, Query(ge=1, le=MAX_INT, description="a task run attempt")]

_TENANT = re.compile(TENANT_PATTERN)


def check_path_names(request: Request) -> None:
    """FastAPI dependency: a 422 for a malformed ``{tenant}`` or ``{namespace}`` segment."""
    params = request.path_params
    tenant = params.get("tenant")
    if tenant is not None and (len(tenant) > 100 or not _TENANT.match(tenant)):
        raise InvalidNameError(
            f"tenant: {tenant!r} is not a tenant id (lower-case letters, digits, '_', '-')"
        )
    namespace = params.get("namespace")
    if namespace is not None:
        check_namespace(namespace)
