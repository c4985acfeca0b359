"""The FastAPI application factory: one router per resource, one error shape, auth.

app = create_app(store, settings)                       # API on a store only
app = create_app(store, settings, runtime=runtime)      # plus executions
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import Depends, FastAPI

from tercel import __version__
from tercel.api import (
    executions,
    flow_archive,
    flows,
    health,
    kv,
    logs,
    namespaces,
    secrets,
    sync,
    tests,
    triggers,
    webhooks,
)
from tercel.api.auth import AuthMiddleware
from tercel.api.context import ApiContext, ExecutionRuntime
from tercel.api.errors import install_error_handlers
from tercel.api.limits import BodyLimitMiddleware
from tercel.api.params import check_path_names, document_path_names
from tercel.api.ratelimit import FailureLimiter
from tercel.config import Settings
from tercel.secrets.store import EncryptedSecrets
from tercel.ui import install as install_ui

if TYPE_CHECKING:
    from tercel.storage.api import InternalStorage
    from tercel.store.api import Store

# The webhook router comes before executions (and the flow archive before flows): their
# paths would match the later router's routes.
ROUTERS = (
    health,
    flow_archive,
    flows,
    webhooks,
    executions,
    logs,
    namespaces,
    kv,
    secrets,
    sync,
    triggers,
    tests,
)


def create_app(
    store: Store,
    settings: Settings | None = None,
    *,
    storage: InternalStorage | None = None,
    runtime: ExecutionRuntime | None = None,
) -> FastAPI:
    """Build the API application on `store` (and `runtime` for executions)."""
    settings = settings or Settings()
    key = settings.encryption_key_bytes()
    ctx = ApiContext(
        store=store,
        settings=settings,
        storage=storage,
        runtime=runtime,
        secrets=EncryptedSecrets(store.secrets, key),
        webhook_failures=FailureLimiter(settings.webhook_failures),
    )
    app = FastAPI(
        title="Tercel",
        version=__version__,
        description="Kestra-compatible REST API (v1 paths with the tenant segment).",
        openapi_url="/api/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
    )
    app.state.ctx = ctx
    install_error_handlers(app)
    for module in ROUTERS:
        app.include_router(module.router, dependencies=[Depends(check_path_names)])
    app.add_middleware(BodyLimitMiddleware, settings=settings)
    app.add_middleware(AuthMiddleware, settings=settings)  # outermost: 401 before anything
    document_path_names(app)
    install_ui(app)  # web UI at /ui; added last so its files are served outside auth
    return app
