"""The FastAPI application factory: one router per resource, one error shape, auth.

app = create_app(store, settings)                       # API on a store only
app = create_app(store, settings, runtime=runtime)      # plus executions
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import Depends, FastAPI

from tercel import __version__
from tercel.api import (
    access_admin,
    executions,
    flow_archive,
    flows,
    health,
    kv,
    login,
    logs,
    namespaces,
    secrets,
    sync,
    tenants,
    tests,
    triggers,
    webhooks,
)
from tercel.api.access import authorize, install_access
from tercel.api.callers import AccessControl
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
#: Access control: login and the caller's account, tenants, users, a tenant's access.
ACCESS_ROUTERS = (
    login.router,
    tenants.router,
    access_admin.users_router,
    access_admin.instance_router,
    access_admin.router,
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
        # One check on every route: its rule in `tercel.api.route_permissions` (none: refused).
        dependencies=[Depends(authorize)],
    )
    app.state.ctx = ctx
    install_error_handlers(app)
    for module in ROUTERS:
        app.include_router(module.router, dependencies=[Depends(check_path_names)])
    for router in ACCESS_ROUTERS:
        app.include_router(router)
    app.add_middleware(BodyLimitMiddleware, settings=settings)
    # Only SQL stores keep access tables; on others every caller is the local operator.
    access = AccessControl(settings, getattr(store, "access", None), store)
    access.bootstrap()
    install_access(app, access)  # added last, so outermost: 401 before anything
    document_path_names(app)
    install_ui(app)  # web UI at /ui; added last so its files are served outside auth
    return app
