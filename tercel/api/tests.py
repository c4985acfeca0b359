"""Flow unit tests on the server: Kestra's ``/api/v1/{tenant}/tests`` endpoints.

Create, read, update, delete and validate test suites (YAML bodies, as for flows), run one
(`POST .../{namespace}/{id}/run`) and read the results of runs. A run executes each case as
`tercel test` does, on a transient in-memory runtime: its executions never reach the
server's store, so they leave no trace among the flow's executions. The tested flow and
its subflows are the server's stored flows, with their namespaces' variables and plugin
defaults; the server's stored secrets are not handed to test runs.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from tercel.api.context import ApiContext, Ctx
from tercel.api.errors import problem_to_wire
from tercel.api.flows import YAML_BODY, executable_flow, read_yaml
from tercel.api.params import Page, PageSize
from tercel.errors import FlowValidationError, InputError, NotFoundError
from tercel.flowtests.loader import SuiteResult, check_against_flows, validate_test_source
from tercel.model.flow import Flow
from tercel.store.records import TestRunRecord, TestSuiteRecord

router = APIRouter(prefix="/api/v1/{tenant}/tests", tags=["Tests"])

BODY_PATH = "<request body>"
#: Seconds a case of a server-side run may take before it is killed.
RUN_TIMEOUT = 300.0


def _flow_finder(ctx: ApiContext, tenant: str) -> Any:
    def find(namespace: str, flow_id: str) -> Flow:
        record = ctx.store.flows.find(namespace, flow_id, tenant=tenant)
        if record is None:
            raise NotFoundError(f"flow `{namespace}.{flow_id}` not found")
        return executable_flow(ctx, record)

    return find


def _validated(ctx: ApiContext, tenant: str, source: str) -> SuiteResult:
    """The one suite of `source`, checked against the stored flows (FlowValidationError)."""
    results = validate_test_source(source, BODY_PATH)
    if len(results) != 1:
        raise InputError(f"body: expected one test suite, found {len(results)} YAML documents")
    [result] = results
    result.problems.extend(check_against_flows(result, _flow_finder(ctx, tenant)))
    errors = [p for p in result.problems if p.severity == "error"]
    if errors or result.suite is None:
        raise FlowValidationError(errors or result.problems)
    return result


def suite_json(record: TestSuiteRecord) -> dict[str, Any]:
    """Kestra's `TestSuite` JSON of a stored suite (its source included)."""
    [result] = validate_test_source(record.source, f"{record.namespace}/{record.id}")
    body: dict[str, Any] = result.suite.to_wire() if result.suite is not None else {}
    body.update(
        {
            "id": record.id,
            "namespace": record.namespace,
            "flowId": record.flow_id,
            "tenantId": record.tenant,
            "source": record.source,
            "disabled": record.disabled,
            "deleted": False,
        }
    )
    return body


def _record(tenant: str, result: SuiteResult, source: str) -> TestSuiteRecord:
    suite = result.suite
    assert suite is not None
    return TestSuiteRecord(tenant, suite.namespace, suite.id, suite.flow_id, source, suite.disabled)


@router.post("", openapi_extra=YAML_BODY, summary="Create a test suite from YAML")
async def create_test(*, tenant: str, request: Request, ctx: Ctx) -> dict[str, Any]:
    """Create a suite; 409 when it exists, 422 with positioned problems when invalid."""
    from tercel.errors import ConflictError

    source = await read_yaml(request)
    result = _validated(ctx, tenant, source)
    record = _record(tenant, result, source)
    if ctx.store.tests.find(record.namespace, record.id, tenant=tenant) is not None:
        raise ConflictError(
            f"test `{record.namespace}.{record.id}` already exists: update it with "
            f"PUT /api/v1/{tenant}/tests/{record.namespace}/{record.id}"
        )
    return suite_json(ctx.store.tests.put(record))


@router.post("/validate", openapi_extra=YAML_BODY, summary="Validate a test suite")
async def validate_test(*, tenant: str, request: Request, ctx: Ctx) -> dict[str, Any]:
    """Every positioned problem of a suite, checked against the stored flows; nothing saved."""
    source = await read_yaml(request)
    problems = []
    for result in validate_test_source(source, BODY_PATH):
        result.problems.extend(check_against_flows(result, _flow_finder(ctx, tenant)))
        problems.extend(result.problems)
    errors = [p for p in problems if p.severity == "error"]
    return {
        "valid": not errors,
        "constraints": "\n".join(p.format() for p in errors) or None,
        "problems": [problem_to_wire(p) for p in problems],
    }


@router.get("/search", summary="Search test suites")
def search_tests(
    *,
    tenant: str,
    namespace: Annotated[str | None, Query(description="namespace (and its children)")] = None,
    flow_id: Annotated[str | None, Query(alias="flowId", description="the tested flow")] = None,
    page: Page = 1,
    size: PageSize = 10,
    ctx: Ctx,
) -> dict[str, Any]:
    """Suites of a namespace or a flow, a page at a time, with each one's last state."""
    found = ctx.store.tests.list(namespace=namespace, flow_id=flow_id, tenant=tenant)
    chosen = found[(page - 1) * size : page * size]
    results = []
    for record in chosen:
        body = suite_json(record)
        last = ctx.store.tests.runs(
            namespace=record.namespace, suite_id=record.id, tenant=tenant, limit=1
        )
        body["lastRunState"] = last[0].state if last else None
        results.append(body)
    return {"results": results, "total": len(found)}


@router.get("/results/search", summary="Search the results of test runs")
def search_results(
    *,
    tenant: str,
    test_suite_id: Annotated[str | None, Query(alias="testSuiteId")] = None,
    namespace: str | None = None,
    flow_id: Annotated[str | None, Query(alias="flowId")] = None,
    page: Page = 1,
    size: PageSize = 10,
    ctx: Ctx,
) -> dict[str, Any]:
    """Results of runs, newest first."""
    runs = ctx.store.tests.runs(
        namespace=namespace,
        suite_id=test_suite_id,
        flow_id=flow_id,
        tenant=tenant,
        limit=page * size + 1,
    )
    chosen = runs[(page - 1) * size : page * size]
    return {"results": [run.result for run in chosen], "total": len(runs)}


@router.get("/results/{run_id}", summary="Get the result of a test run")
def get_result(*, tenant: str, run_id: str, ctx: Ctx) -> dict[str, Any]:
    """Kestra's `TestSuiteRunResult`; 404 when unknown."""
    run = ctx.store.tests.find_run(run_id, tenant=tenant)
    if run is None:
        raise NotFoundError(f"test run `{run_id}` not found")
    return run.result


@router.get("/{namespace}/{suite_id}", summary="Get a test suite")
def get_test(*, tenant: str, namespace: str, suite_id: str, ctx: Ctx) -> dict[str, Any]:
    """A suite with its source; 404 when absent."""
    return suite_json(_stored(ctx, tenant, namespace, suite_id))


def _stored(ctx: ApiContext, tenant: str, namespace: str, suite_id: str) -> TestSuiteRecord:
    record = ctx.store.tests.find(namespace, suite_id, tenant=tenant)
    if record is None:
        raise NotFoundError(f"test `{namespace}.{suite_id}` not found")
    return record


@router.put("/{namespace}/{suite_id}", openapi_extra=YAML_BODY, summary="Update a test suite")
async def update_test(
    *, tenant: str, namespace: str, suite_id: str, request: Request, ctx: Ctx
) -> dict[str, Any]:
    """Replace a suite; the body's id and namespace must match the path."""
    source = await read_yaml(request)
    _stored(ctx, tenant, namespace, suite_id)  # 404 when absent
    result = _validated(ctx, tenant, source)
    record = _record(tenant, result, source)
    if (record.namespace, record.id) != (namespace, suite_id):
        raise InputError(
            f"id/namespace: the body defines `{record.namespace}.{record.id}` but the path "
            f"names `{namespace}.{suite_id}`"
        )
    return suite_json(ctx.store.tests.put(record))


@router.delete("/{namespace}/{suite_id}", status_code=204, summary="Delete a test suite")
def delete_test(*, tenant: str, namespace: str, suite_id: str, ctx: Ctx) -> Response:
    """Delete a suite (the results of its past runs stay readable)."""
    _stored(ctx, tenant, namespace, suite_id)
    ctx.store.tests.delete(namespace, suite_id, tenant=tenant)
    return Response(status_code=204)


@router.post("/{namespace}/{suite_id}/run", summary="Run a test suite")
async def run_test(
    *, tenant: str, namespace: str, suite_id: str, request: Request, ctx: Ctx
) -> dict[str, Any]:
    """Run every case (or the `testCases` ids of a JSON body) and keep the result."""
    from tercel.flowtests.report import suite_run_result
    from tercel.flowtests.runner import CaseSpec, RunOptions, run_cases
    from tercel.ids import short_id

    record = _stored(ctx, tenant, namespace, suite_id)
    result = _validated(ctx, tenant, record.source)
    suite = result.suite
    assert suite is not None
    wanted = await _wanted_cases(request)
    find = _flow_finder(ctx, tenant)
    flow = find(suite.namespace, suite.flow_id)
    specs = [
        CaseSpec(result, index, flow)
        for index, case in enumerate(suite.test_cases)
        if wanted is None or case.id in wanted
    ]
    if not specs:
        raise InputError(f"testCases: none of {sorted(wanted or [])} is a case of this test")
    options = RunOptions(
        # The process's SECRET_* variables stay out of test runs: a result is an API answer.
        environ={k: v for k, v in os.environ.items() if not k.startswith("SECRET_")},
        timeout=RUN_TIMEOUT,
        namespace_files={r.id: r for r in ctx.store.namespaces.list(tenant=tenant)},
        resolver=_TenantFlows(ctx, tenant),
    )
    started = datetime.now(UTC)
    outcomes = await run_cases(specs, options=options)
    ended = datetime.now(UTC)
    body = suite_run_result(outcomes, started, ended, short_id())
    if suite.disabled or record.disabled:
        body["state"] = "SKIPPED"
    ctx.store.tests.add_run(
        TestRunRecord(
            tenant,
            body["id"],
            namespace,
            suite_id,
            suite.flow_id,
            body["state"],
            started,
            ended,
            body,
        )
    )
    return body


async def _wanted_cases(request: Request) -> set[str] | None:
    """The case ids a run request names (`{"testCases": [...]}`), None for all."""
    raw = await request.body()
    if not raw.strip():
        return None
    import json

    try:
        payload = json.loads(raw)
    except ValueError:
        raise InputError('body: expected JSON such as {"testCases": ["case_id"]}') from None
    cases = payload.get("testCases") if isinstance(payload, dict) else None
    if cases is None:
        return None
    if not isinstance(cases, list) or not all(isinstance(c, str) for c in cases):
        raise InputError("testCases: expected a list of test case ids")
    return set(cases)


class _TenantFlows:
    """Subflows of a test run: the server's stored flows of the tenant."""

    def __init__(self, ctx: ApiContext, tenant: str) -> None:
        self._ctx = ctx
        self._tenant = tenant

    def resolve(
        self, namespace: str, flow_id: str, revision: int | None = None, tenant: str = "main"
    ) -> Flow:
        """The stored flow (NotFoundError when absent)."""
        del tenant  # the transient runtime's executions are all in the tenant of the run
        record = self._ctx.store.flows.get(namespace, flow_id, revision, tenant=self._tenant)
        return executable_flow(self._ctx, record)
