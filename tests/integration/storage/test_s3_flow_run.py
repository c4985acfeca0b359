"""Flows run end to end with their files in a real S3 server (SeaweedFS), as on several hosts.

Inputs, script output files, files read by a later task and namespace files all live in
the bucket: a second runtime with its own home (nothing shared on disk) and a separate
process see the same files.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tercel.engine.state import State
from tercel.model.loader import load_flow
from tercel.runtime.local import LocalRuntime
from tercel.storage import open_storage
from tercel.storage.local import LocalStorage
from tercel.storage.uri import namespace_file

pytestmark = pytest.mark.s3

PIPELINE = r"""
id: pipeline
namespace: company.team
inputs:
  - id: data
    type: FILE
tasks:
  - id: produce
    type: io.kestra.plugin.scripts.shell.Commands
    inputFiles:
      in.csv: "{{ inputs.data }}"
    namespaceFiles:
      enabled: true
    outputFiles:
      - "*.csv"
    commands:
      - sh scripts/double.sh in.csv > out.csv
  - id: consume
    type: io.kestra.plugin.scripts.shell.Commands
    inputFiles:
      got.csv: "{{ outputs.produce.outputFiles['out.csv'] }}"
    commands:
      - echo "::{\"outputs\":{\"lines\":$(wc -l < got.csv)}}::"
  - id: template
    type: io.kestra.plugin.core.debug.Return
    format: "{{ fileSize(outputs.produce.outputFiles['out.csv']) }}:{{ read(outputs.produce.outputFiles['out.csv']) | trim }}"
"""

PUBLISH = """
id: publish
namespace: company.team
tasks:
  - id: make
    type: io.kestra.plugin.core.storage.LocalFiles
    inputs:
      greeting.txt: "{{ read('scripts/double.sh') | length }} bytes of script"
    outputs:
      - greeting.txt
  - id: upload
    type: io.kestra.plugin.core.namespace.UploadFiles
    namespace: company.team
    filesMap:
      shared/greeting.txt: "{{ outputs.make.uris['greeting.txt'] }}"
"""

READ_SHARED = """
id: reader
namespace: company.team
tasks:
  - id: read
    type: io.kestra.plugin.core.debug.Return
    format: "{{ read('shared/greeting.txt') }}"
"""


async def test_a_script_pipeline_keeps_every_file_in_the_bucket(
    s3_url: str, tmp_path: Path
) -> None:
    storage = open_storage(s3_url)
    storage.check()
    storage.put(namespace_file("company.team", "scripts/double.sh"), b"cat $1 $1\n")
    async with LocalRuntime.open(tmp_path / "host-a", storage=storage) as runtime:
        execution = await runtime.run(
            load_flow(PIPELINE, "pipeline.yml"), {"data": ("data.csv", b"a\nb\n")}, timeout=120
        )
        logs = [entry.message for entry in runtime.store.logs.list(execution.id)]
        assert execution.state.current is State.SUCCESS, logs
    out_uri = execution.task_runs_of("produce")[0].outputs["outputFiles"]["out.csv"]
    assert execution.task_runs_of("consume")[0].outputs["vars"] == {"lines": 4}
    assert execution.task_runs_of("template")[0].outputs == {"value": "8:a\nb\na\nb"}
    assert str(execution.inputs["data"]).startswith("kestra:///company/team/pipeline/executions/")
    # Nothing on host A's disk: the files are objects in the bucket.
    assert not (tmp_path / "host-a" / "storage").exists() or not any(
        (tmp_path / "host-a" / "storage").rglob("*.csv")
    )
    # Another process (another host) opens the same URL and reads what the task wrote.
    code = (
        "import sys; from tercel.storage import open_storage; "
        "sys.stdout.buffer.write(open_storage(sys.argv[1]).get(sys.argv[2]))"
    )
    other = subprocess.run(
        [sys.executable, "-c", code, s3_url, out_uri],
        capture_output=True,
        check=True,
        timeout=60,
    )
    assert other.stdout == b"a\nb\na\nb\n"


async def test_namespace_files_written_on_one_host_are_read_on_another(
    s3_url: str, tmp_path: Path
) -> None:
    storage = open_storage(s3_url)
    storage.put(namespace_file("company.team", "scripts/double.sh"), b"cat $1 $1\n")
    async with LocalRuntime.open(tmp_path / "host-a", storage=storage) as host_a:
        published = await host_a.run(load_flow(PUBLISH, "publish.yml"), timeout=60)
        assert published.state.current is State.SUCCESS
    # Host B: its own database and home, a storage object of its own on the same bucket.
    async with LocalRuntime.open(tmp_path / "host-b", storage=open_storage(s3_url)) as host_b:
        read = await host_b.run(load_flow(READ_SHARED, "reader.yml"), timeout=60)
    assert read.state.current is State.SUCCESS
    assert read.task_runs_of("read")[0].outputs == {"value": "10 bytes of script"}
    assert not isinstance(host_b.storage, LocalStorage)
