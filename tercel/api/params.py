"""Rules for path and query parameters that every route shares.

Numbers: Kestra declares page, size, revision and attempt as Java ints, and a database
column overflows past 64 bits, so each is bounded here and a bigger one is a 422 naming
the parameter. Names: every ``{namespace}`` and ``{tenant}`` path segment is checked by one
dependency installed on every router (`check_path_names`), so no route can forget it.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import FastAPI, Query, Request

from tercel.errors import InvalidNameError
from tercel.model.flow import TENANT_PATTERN
from tercel.model.names import MAX_NAMESPACE_LENGTH, NAMESPACE_PATTERN, check_namespace

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
MAX_TENANT_LENGTH = 100
#: The form of each checked path segment, as OpenAPI documents it.
PATH_NAME_SCHEMAS: dict[str, dict[str, Any]] = {
    "tenant": {"pattern": TENANT_PATTERN, "maxLength": MAX_TENANT_LENGTH},
    "namespace": {"pattern": NAMESPACE_PATTERN, "maxLength": MAX_NAMESPACE_LENGTH},
}


def check_path_names(request: Request) -> None:
    """FastAPI dependency: a 422 for a malformed ``{tenant}`` or ``{namespace}`` segment."""
    params = request.path_params
    tenant = params.get("tenant")
    if tenant is not None and (len(tenant) > MAX_TENANT_LENGTH or not _TENANT.match(tenant)):
        raise InvalidNameError(
            f"tenant: {tenant!r} is not a tenant id (lower-case letters, digits, '_', '-')"
        )
    namespace = params.get("namespace")
    if namespace is not None:
        check_namespace(namespace)


def document_path_names(app: FastAPI) -> None:
    """Give every ``{tenant}`` and ``{namespace}`` path parameter its pattern in OpenAPI,
    so that clients (and the schemathesis probe) know the form `check_path_names` wants."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = build()
        for item in schema.get("paths", {}).values():
            for operation in item.values():
                for parameter in operation.get("parameters", []):
                    extra = PATH_NAME_SCHEMAS.get(parameter.get("name", ""))
                    if parameter.get("in") == "path" and extra is not None:
                        parameter["schema"] = {**parameter.get("schema", {}), **extra}
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
