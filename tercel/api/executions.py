"""Executions: create (multipart inputs), get, search, kill, resume, restart, replay,
change status, labels, follow (SSE), files.

Action routes (``/{id}/restart``...) are declared before the create route
``POST /{namespace}/{flowId}``, which has the same shape.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request, Response
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from tercel.api.context import ApiContext, Ctx
from tercel.api.flows import executable_flow
from tercel.api.params import Page, PageSize, Revision
from tercel.api.sse import event, poll_stream
from tercel.engine.execution import Execution, Label, parse_instant
from tercel.engine.state import State
from tercel.errors import ConflictError, InputError, InvalidNameError, NotFoundError
from tercel.ids import short_id
from tercel.storage.api import CHUNK_SIZE
from tercel.storage.uri import execution_path, execution_prefix, input_file, parse
from tercel.store.records import DEFAULT_TENANT

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1/{tenant}/executions", tags=["Executions"])

SYSTEM_PREFIX = "system."


def parse_labels(raw: list[str] | None, field: str = "labels") -> list[Label]:
    """``key:value`` strings as labels; a 422 naming the field for a malformed one."""
    labels = []
    for text in raw or []:
        key, sep, value = text.partition(":")
        if not sep or not key.strip():
            raise InputError(f"{field}: {text!r} must be `key:value`")
        labels.append(Label(key.strip(), value))
    return labels


def parse_date(text: str | None, field: str) -> datetime | None:
    """An ISO-8601 date-time query parameter, or a 422 naming it."""
    if text is None:
        return None
    try:
        moment = parse_instant(text)
    except ValueError:
        raise InputError(f"{field}: {text!r} is not an ISO-8601 date-time") from None
    return moment


def parse_states(raw: list[str] | None) -> list[State] | None:
    """State names, or a 422 naming `state`."""
    if not raw:
        return None
    states = []
    for text in raw:
        for name in text.split(","):
            try:
                states.append(State(name.strip().upper()))
            except ValueError:
                raise InputError(f"state: unknown state {name!r}") from None
    return states


def execution_json(ctx: ApiContext, execution: Execution, *, url: bool = False) -> dict[str, Any]:
    """An execution as Kestra's JSON (with the UI `url` on creation)."""
    wire: dict[str, Any] = ctx.shown(execution.to_wire())
    if url:
        wire["url"] = (
            f"{ctx.settings.base_url}/ui/{execution.tenant_id}/executions/"
            f"{execution.namespace}/{execution.flow_id}/{execution.id}"
        )
    return wire


def get_execution(ctx: ApiContext, tenant: str, execution_id: str) -> Execution:
    """An execution of this tenant, or 404."""
    return ctx.store.executions.get(execution_id, tenant=tenant)


async def read_inputs(
    request: Request,
    ctx: ApiContext,
    namespace: str,
    flow_id: str,
    execution_id: str,
    *,
    stored: list[str],
    declared: Callable[[str], object] | None = None,
    tenant: str = DEFAULT_TENANT,
) -> dict[str, Any]:
    """Inputs from a multipart/urlencoded form (files stored) or a JSON object; {} if none.

    File parts are copied into storage from Starlette's spooled temporary files, never read
    into memory whole; a file part for an input `declared` says nothing about is not stored.
    The URIs written are appended to `stored`, so that a caller refusing the request can
    remove them (`discard_files`).
    """
    content_type = request.headers.get("content-type", "").lower()
    if content_type.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
        inputs: dict[str, Any] = {}
        async with request.form() as form:
            for key in form:
                converted = []
                for value in form.getlist(key):
                    if isinstance(value, UploadFile):
                        if declared is not None and declared(key) is None:
                            continue  # undeclared inputs are ignored: keep nothing of them
                        name = value.filename or key
                        uri = input_file(namespace, flow_id, execution_id, key, name)
                        await value.seek(0)
                        # Streamed from the spooled upload, off the event loop (S3 may be slow).
                        put = ctx.require_storage(tenant).put
                        saved = await run_in_threadpool(put, uri, value.file)
                        stored.append(saved)
                        converted.append(saved)
                    else:
                        converted.append(value)
                if converted:
                    inputs[key] = converted[0] if len(converted) == 1 else converted
        return inputs
    raw = await request.body()
    if not raw.strip():
        return {}
    if content_type.startswith("application/json"):
        try:
            parsed = json.loads(raw)
        except (ValueError, RecursionError):
            raise InputError("body: inputs must be a JSON object") from None
        if not isinstance(parsed, dict):
            raise InputError("body: inputs must be a JSON object of input id to value")
        return parsed
    raise InputError(
        "body: send inputs as multipart/form-data fields (files as file parts) or JSON"
    )


def discard_files(ctx: ApiContext, uris: list[str], tenant: str = DEFAULT_TENANT) -> None:
    """Remove the files (or folders) a refused request stored (best effort: the refusal is
    what matters)."""
    if ctx.storage is None:
        return
    storage = ctx.require_storage(tenant)
    for uri in uris:
        try:
            storage.delete_prefix(uri)
        except Exception:  # the caller is already answering with the real error
            log.warning("could not remove %s after a refused request", uri, exc_info=True)


# -- search and read -------------------------------------------------------------------------
@router.get("/search", summary="Search executions")
@router.get("", summary="Search executions (short path)", include_in_schema=False)
def search_executions(
    *,
    tenant: str,
    namespace: Annotated[str | None, Query(description="namespace prefix")] = None,
    flow_id: Annotated[str | None, Query(alias="flowId")] = None,
    state: Annotated[list[str] | None, Query(description="states, repeated or comma-separated")] = (
        None
    ),
    labels: Annotated[list[str] | None, Query(description="key:value, all must match")] = None,
    start_date: Annotated[str | None, Query(alias="startDate")] = None,
    end_date: Annotated[str | None, Query(alias="endDate")] = None,
    parent_id: Annotated[str | None, Query(alias="parentId")] = None,
    page: Page = 1,
    size: PageSize = 25,
    ctx: Ctx,
) -> dict[str, Any]:
    """Executions newest first, a page at a time: ``{"results": [...], "total": n}``."""
    found = ctx.store.executions.search(
        tenant=tenant,
        namespace=namespace,
        flow_id=flow_id,
        states=parse_states(state),
        labels={label.key: label.value for label in parse_labels(labels)} or None,
        start_from=parse_date(start_date, "startDate"),
        start_to=parse_date(end_date, "endDate"),
        parent_id=parent_id,
        page=page,
        size=size,
    )
    return {"results": [ctx.shown(e.to_wire()) for e in found.items], "total": found.total}


@router.get("/{execution_id}", summary="Get an execution")
def read_execution(*, tenant: str, execution_id: str, ctx: Ctx) -> dict[str, Any]:
    """The execution with its task runs; 404 when absent."""
    return execution_json(ctx, get_execution(ctx, tenant, execution_id))


@router.delete("/{execution_id}", status_code=204, summary="Delete an execution")
def delete_execution(*, tenant: str, execution_id: str, ctx: Ctx) -> Response:
    """Delete a terminated execution with its logs (409 while it runs)."""
    execution = get_execution(ctx, tenant, execution_id)
    if not execution.state.current.is_terminated:
        raise ConflictError(
            f"execution `{execution_id}` is {execution.state.current.value}: kill it first"
        )
    ctx.store.executions.delete(execution_id, tenant=tenant)
    return Response(status_code=204)


@router.get("/{execution_id}/follow", summary="Follow an execution (SSE)")
def follow_execution(
    *, tenant: str, execution_id: str, request: Request, ctx: Ctx
) -> StreamingResponse:
    """The execution JSON each time it changes, until it is terminated."""
    get_execution(ctx, tenant, execution_id)
    last: str | None = None

    async def step() -> tuple[list[str], bool]:
        nonlocal last
        execution = get_execution(ctx, tenant, execution_id)
        wire = ctx.shown(execution.to_wire())
        text = json.dumps(wire, sort_keys=True, default=str)
        messages = []
        if text != last:
            last = text
            messages.append(event(wire, "execution", execution.id))
        return messages, execution.state.current.is_terminated

    return StreamingResponse(
        poll_stream(request, step),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache"},
    )


@router.get("/{execution_id}/file", summary="Download a file of an execution")
def execution_file(
    *,
    tenant: str,
    execution_id: str,
    path: Annotated[str, Query(description="kestra:///... URI of the file")],
    ctx: Ctx,
) -> Response:
    """A file the execution stored (inputs, outputs); only its own files."""
    execution = get_execution(ctx, tenant, execution_id)
    folder = execution_path(execution.namespace, execution.flow_id, execution.id)
    try:
        wanted = parse(path)
    except InvalidNameError as error:
        raise InvalidNameError(f"path: {error}") from None
    if not wanted.is_under(folder) or wanted.folder:
        raise InvalidNameError(f"path: {path!r} is not a file of execution `{execution_id}`")
    storage = ctx.require_storage(tenant)
    try:
        stream = storage.open(wanted.uri)
    except NotFoundError:
        raise NotFoundError(f"path: file {path!r} does not exist") from None

    def chunks() -> Iterator[bytes]:
        # Streamed: a large output file never sits whole in the server's memory.
        with stream:
            while chunk := stream.read(CHUNK_SIZE):
                yield chunk

    name = wanted.segments[-1].replace('"', "")
    return StreamingResponse(
        chunks(),
        media_type="application/octet-stream",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


# -- actions -------------------------------------------------------------------------------
@router.delete("/{execution_id}/kill", status_code=202, summary="Kill an execution")
async def kill_execution(*, tenant: str, execution_id: str, ctx: Ctx) -> Response:
    """Kill a running or paused execution and its subflows; 409 when already terminated."""
    execution = get_execution(ctx, tenant, execution_id)
    if execution.state.current.is_terminated:
        raise ConflictError(
            f"execution `{execution_id}` is already {execution.state.current.value}"
        )
    await ctx.require_runtime().kill(execution_id)
    return Response(status_code=202)


@router.post("/{execution_id}/resume", status_code=204, summary="Resume a paused execution")
async def resume_execution(
    *, tenant: str, execution_id: str, request: Request, ctx: Ctx
) -> Response:
    """Resume with the `onResume` inputs sent as form fields (or JSON)."""
    execution = get_execution(ctx, tenant, execution_id)
    if execution.state.current is not State.PAUSED:
        raise ConflictError(
            f"execution `{execution_id}` is {execution.state.current.value}, not PAUSED"
        )
    stored: list[str] = []
    try:
        inputs = await read_inputs(
            request,
            ctx,
            execution.namespace,
            execution.flow_id,
            execution_id,
            stored=stored,
            tenant=tenant,
        )
        await ctx.require_runtime().resume(execution_id, inputs)
    except Exception:
        discard_files(ctx, stored, tenant)
        raise
    return Response(status_code=204)


@router.post("/{execution_id}/restart", summary="Restart a failed execution")
async def restart_execution(*, tenant: str, execution_id: str, ctx: Ctx) -> dict[str, Any]:
    """Re-run the failed task runs (same execution id, next attempt)."""
    execution = get_execution(ctx, tenant, execution_id)
    if execution.state.current not in (State.FAILED, State.KILLED, State.WARNING):
        raise ConflictError(
            f"execution `{execution_id}` is {execution.state.current.value}: only FAILED, "
            "KILLED or WARNING executions can be restarted"
        )
    return execution_json(ctx, await ctx.require_runtime().restart(execution_id))


@router.post("/{execution_id}/replay", summary="Replay an execution from a task run")
async def replay_execution(
    *,
    tenant: str,
    execution_id: str,
    task_run_id: Annotated[str | None, Query(alias="taskRunId")] = None,
    ctx: Ctx,
) -> dict[str, Any]:
    """A new execution that reuses this one's results before `taskRunId` and reruns the rest."""
    execution = get_execution(ctx, tenant, execution_id)
    if not execution.state.current.is_terminated:
        raise ConflictError(f"execution `{execution_id}` is still {execution.state.current}")
    if task_run_id is not None:
        try:
            execution.find_task_run(task_run_id)
        except KeyError:
            raise NotFoundError(
                f"taskRunId: no task run `{task_run_id}` in this execution"
            ) from None
    return execution_json(ctx, await ctx.require_runtime().replay(execution_id, task_run_id))


@router.post("/{execution_id}/change-status", summary="Change the state of an execution")
def change_status(
    *,
    tenant: str,
    execution_id: str,
    status: Annotated[str, Query(description="SUCCESS, WARNING, FAILED...")],
    ctx: Ctx,
) -> dict[str, Any]:
    """Force a terminated execution into another terminal state."""
    try:
        target = State(status.upper())
    except ValueError:
        raise InputError(f"status: unknown state {status!r}") from None
    if not target.is_terminated:
        raise InputError(f"status: {target.value} is not a terminal state")
    execution = get_execution(ctx, tenant, execution_id)
    if not execution.state.current.is_terminated:
        raise ConflictError(
            f"execution `{execution_id}` is {execution.state.current.value}: only a terminated "
            "execution's status can be changed"
        )
    execution.state.set(target, datetime.now(UTC))
    ctx.store.executions.save(execution, [])
    return execution_json(ctx, execution)


@router.post("/{execution_id}/labels", summary="Set labels on an execution")
def set_labels(
    *,
    tenant: str,
    execution_id: str,
    body: Annotated[list[dict[str, str]], Body(description='[{"key": "k", "value": "v"}]')],
    ctx: Ctx,
) -> dict[str, Any]:
    """Add or replace labels (system labels are kept and cannot be set)."""
    updates = []
    for index, item in enumerate(body):
        key, value = item.get("key"), item.get("value")
        if not key or value is None:
            raise InputError(f"body[{index}]: a label needs `key` and `value`")
        if key.startswith(SYSTEM_PREFIX):
            raise InputError(f"body[{index}].key: `{key}` is a reserved system label")
        updates.append(Label(key, value))
    execution = get_execution(ctx, tenant, execution_id)
    if not execution.state.current.is_terminated:
        raise ConflictError(
            f"execution `{execution_id}` is {execution.state.current.value}: labels can be set "
            "once it is terminated"
        )
    merged = {label.key: label for label in execution.labels}
    merged.update({label.key: label for label in updates})
    execution.labels = list(merged.values())
    ctx.store.executions.save(execution, [])
    return execution_json(ctx, execution)


# -- creation ------------------------------------------------------------------------------
@router.post("/{namespace}/{flow_id}", summary="Create an execution")
async def create_execution(
    *,
    tenant: str,
    namespace: str,
    flow_id: str,
    request: Request,
    labels: Annotated[list[str] | None, Query(description="key:value (repeatable)")] = None,
    wait: Annotated[bool, Query(description="answer once the execution is terminated")] = False,
    revision: Revision = None,
    ctx: Ctx,
) -> dict[str, Any]:
    """Start a flow; inputs as multipart fields and files (no body when there are none)."""
    runtime = ctx.require_runtime()
    record = (
        ctx.store.flows.get(namespace, flow_id, revision, tenant=tenant)
        if revision is not None
        else ctx.current_flow(tenant, namespace, flow_id)
    )
    if record is None:
        raise NotFoundError(f"flow `{namespace}.{flow_id}` does not exist")
    flow = executable_flow(ctx, record)
    if flow.disabled:
        raise ConflictError(f"flow `{namespace}.{flow_id}` is disabled")
    execution_id = short_id()
    stored: list[str] = []
    try:
        inputs = await read_inputs(
            request,
            ctx,
            namespace,
            flow_id,
            execution_id,
            stored=stored,
            declared=flow.input,
            tenant=tenant,
        )
        execution = await runtime.start(
            flow,
            inputs,
            parse_labels(labels),
            execution_id=execution_id,
            tenant=tenant,
        )
    except Exception:
        # Refused (e.g. a required input missing): no execution owns these files.
        if stored:
            discard_files(ctx, [execution_prefix(namespace, flow_id, execution_id)], tenant)
        raise
    if wait:
        execution = await runtime.wait(execution.id)
    return execution_json(ctx, execution, url=True)
