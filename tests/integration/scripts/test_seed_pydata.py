"""The seed's pattern end to end: a reusable `pydata` subflow takes the command and the
CPU and memory to use as inputs; two parent flows call it with different resources."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tercel.engine.state import State
from tercel.model.loader import load_flow
from tercel.runtime.local import LocalRuntime

PYDATA = """
id: pydata
namespace: data.utils
inputs:
  - id: cmd
    type: STRING
  - id: cpus
    type: STRING
    defaults: "1"
  - id: memory
    type: STRING
    defaults: 512MB
tasks:
  - id: run
    type: io.kestra.plugin.scripts.python.Commands
    taskRunner:
      type: io.kestra.plugin.core.runner.Process
      cpu:
        cpus: "{{ inputs.cpus }}"
      memory:
        memory: "{{ inputs.memory }}"
    commands:
      - "{{ inputs.cmd }}"
outputs:
  - id: rows
    type: STRING
    value: "{{ outputs.run.vars.rows }}"
"""

# Allocates 400 MB, then reports through the output protocol.
HOG = r"""python -c 'data = bytearray(400 << 20)' && echo '::{"outputs": {"rows": 400} }::'"""


def parent(flow_id: str, memory: str) -> str:
    return f"""
id: {flow_id}
namespace: data.sources
tasks:
  - id: subflow
    type: io.kestra.plugin.core.flow.Subflow
    flowId: pydata
    namespace: data.utils
    inputs:
      cmd: |-
        {HOG}
      cpus: "0.5"
      memory: {memory}
    wait: true
    transmitFailed: true
"""


@pytest.fixture
async def runtime(tmp_path: Path) -> AsyncIterator[LocalRuntime]:
    async with LocalRuntime.open(tmp_path / "home") as started:
        started.add_flows([load_flow(PYDATA, "pydata.yml")])
        yield started


async def test_each_call_of_the_subflow_runs_with_its_own_memory_cap(
    runtime: LocalRuntime,
) -> None:
    roomy = await runtime.run(load_flow(parent("hubspot", "1GB"), "hubspot.yml"), timeout=120)
    tight = await runtime.run(load_flow(parent("posthog", "256MB"), "posthog.yml"), timeout=120)

    assert roomy.state.current is State.SUCCESS
    assert tight.state.current is State.FAILED
    roomy_child = runtime.store.executions.search(parent_id=roomy.id).items[0]
    tight_child = runtime.store.executions.search(parent_id=tight.id).items[0]
    assert roomy_child.task_runs_of("run")[0].outputs["vars"] == {"rows": 400}
    errors = [entry.message for entry in runtime.store.logs.list(tight_child.id, min_level="ERROR")]
    assert "memory limit of 256MB exceeded" in errors
