"""namespace.UploadFiles, DownloadFiles and DeleteFiles."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from tercel.errors import TaskError
from tercel.testing import FakeTaskContext, parse_task, run_task

N = "io.kestra.plugin.core.namespace."
FILES = "kestra:///company/team/_files/"


def _task(kind: str, **props: Any) -> dict[str, Any]:
    return {"id": kind.lower(), "type": N + kind, **props}


@pytest.fixture
def ctx(tmp_path: Path) -> FakeTaskContext:
    context = FakeTaskContext(tmp_path)
    for name in ("dbt/models/a.sql", "dbt/models/b.sql", "dbt/readme.md", "top.sql"):
        path = context.working_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"-- {name}")
    return context


async def test_upload_globs_from_the_working_directory(ctx: FakeTaskContext) -> None:
    result = await run_task(_task("UploadFiles", files=["glob:**/*.sql"]), ctx)
    assert result.outputs is not None
    assert sorted(result.outputs["files"]) == ["/dbt/models/a.sql", "/dbt/models/b.sql", "/top.sql"]
    assert ctx.storage.get(FILES + "dbt/models/a.sql") == b"-- dbt/models/a.sql"


async def test_upload_to_a_destination_folder_with_a_bare_glob(ctx: FakeTaskContext) -> None:
    await run_task(_task("UploadFiles", files=["dbt/*.md"], destination="/docs"), ctx)
    assert ctx.storage.list(FILES) == [FILES + "docs/dbt/readme.md"]


async def test_upload_regex_pattern(ctx: FakeTaskContext) -> None:
    await run_task(_task("UploadFiles", files=["regex:dbt/models/[a].*"]), ctx)
    assert ctx.storage.list(FILES) == [FILES + "dbt/models/a.sql"]


async def test_upload_files_map_from_internal_storage(ctx: FakeTaskContext) -> None:
    uri = ctx.storage.put(ctx.file_uri("out.csv"), b"a,b")
    await run_task(_task("UploadFiles", filesMap={"reports/out.csv": uri}), ctx)
    assert ctx.storage.get(FILES + "reports/out.csv") == b"a,b"


async def test_upload_conflicts(ctx: FakeTaskContext) -> None:
    ctx.storage.put(FILES + "top.sql", b"old")
    await run_task(_task("UploadFiles", files=["top.sql"], conflict="SKIP"), ctx)
    assert ctx.storage.get(FILES + "top.sql") == b"old"
    with pytest.raises(TaskError, match="already exists"):
        await run_task(_task("UploadFiles", files=["top.sql"], conflict="ERROR"), ctx)
    await run_task(_task("UploadFiles", files=["top.sql"]), ctx)
    assert ctx.storage.get(FILES + "top.sql") == b"-- top.sql"


def test_upload_needs_files_or_files_map() -> None:
    with pytest.raises(ValidationError, match="exactly one"):
        parse_task(_task("UploadFiles"))


async def test_upload_to_another_namespace(ctx: FakeTaskContext) -> None:
    await run_task(_task("UploadFiles", files=["top.sql"], namespace="other.ns"), ctx)
    assert ctx.storage.exists("kestra:///other/ns/_files/top.sql")


async def test_download_files_into_the_working_directory(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path)
    ctx.storage.put(FILES + "sql/q.sql", b"select 1")
    ctx.storage.put(FILES + "notes.txt", b"n")
    result = await run_task(_task("DownloadFiles", files=["**/*.sql"], destination="in"), ctx)
    assert (ctx.working_dir / "in/sql/q.sql").read_bytes() == b"select 1"
    assert result.outputs is not None
    assert list(result.outputs["files"]) == ["/sql/q.sql"]
    assert ctx.storage.get(result.outputs["files"]["/sql/q.sql"]) == b"select 1"


async def test_delete_files(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path)
    ctx.storage.put(FILES + "a.sql", b"")
    ctx.storage.put(FILES + "keep.txt", b"")
    result = await run_task(_task("DeleteFiles", files=["*.sql"]), ctx)
    assert result.outputs == {"files": {"/a.sql": FILES + "a.sql"}}
    assert ctx.metrics[0]["name"] == "deleted"
    assert ctx.metrics[0]["value"] == 1
    assert ctx.storage.list(FILES) == [FILES + "keep.txt"]


async def test_upload_files_as_a_map_or_with_uris_in_the_list(ctx: FakeTaskContext) -> None:
    uri = ctx.storage.put(ctx.file_uri("report.csv"), b"r")
    await run_task(_task("UploadFiles", files={"/scripts/main.py": uri}), ctx)
    await run_task(_task("UploadFiles", files=[uri], destination="/data"), ctx)
    assert ctx.storage.list(FILES) == [FILES + "data/report.csv", FILES + "scripts/main.py"]
