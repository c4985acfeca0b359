"""Template errors outside a task's own properties still say where the template is written."""

from __future__ import annotations

import asyncio

from engine_helpers import TIMEOUT, flow_of, run_to_end

from tercel.engine.state import State
from tercel.runtime.local import LocalRuntime

WORKING_DIRECTORY = """
id: wd_files
namespace: company.team
tasks:
  - id: wd
    type: io.kestra.plugin.core.flow.WorkingDirectory
    inputFiles:
      data.txt: "{{ outputs.nothing.value }}"
    tasks:
      - id: inside
        type: io.kestra.plugin.core.log.Log
        message: never
"""


async def test_working_directory_input_files_error_names_its_yaml_position(
    runtime: LocalRuntime,
) -> None:
    flow = flow_of(WORKING_DIRECTORY)
    runtime.executor.sources.add(flow, "wd.yml", WORKING_DIRECTORY)
    execution = await run_to_end(runtime, flow)
    assert execution.state.current is State.FAILED
    errors = [
        line.message
        for line in runtime.store.logs.list(execution.id, task_id="wd", min_level="ERROR")
    ]
    assert any("(task `wd`, tasks[0].inputFiles.data.txt at wd.yml:8:17)" in e for e in errors)


CHILD = """
id: quiet_child
namespace: company.team
tasks:
  - id: work
    type: io.kestra.plugin.core.debug.Return
    format: done
"""

PARENT = """
id: reading_parent
namespace: company.team
tasks:
  - id: call
    type: io.kestra.plugin.core.flow.Subflow
    namespace: company.team
    flowId: quiet_child
    outputs:
      result: "{{ outputs.missing.value }}"
"""


async def test_subflow_outputs_error_names_the_parent_yaml_position(
    runtime: LocalRuntime,
) -> None:
    child, parent = flow_of(CHILD), flow_of(PARENT)
    runtime.add_flows([child])
    runtime.executor.sources.add(parent, "parent.yml", PARENT)
    execution = await run_to_end(runtime, parent)
    assert execution.state.current is State.FAILED
    errors = [
        line.message
        for line in runtime.store.logs.list(execution.id, task_id="call", min_level="ERROR")
    ]
    assert any("(task `call`, tasks[0].outputs.result at parent.yml:10:15)" in e for e in errors)


PAUSED = """
id: approval
namespace: company.team
tasks:
  - id: wait
    type: io.kestra.plugin.core.flow.Pause
    onResume:
      - id: reviewer
        type: STRING
        defaults: "{{ outputs.nobody.value }}"
  - id: after
    type: io.kestra.plugin.core.log.Log
    message: resumed
"""


async def test_on_resume_defaults_error_names_its_yaml_position(runtime: LocalRuntime) -> None:
    flow = flow_of(PAUSED)
    runtime.executor.sources.add(flow, "approval.yml", PAUSED)
    tracked = runtime.submit(flow, runtime.create(flow))
    execution_id = tracked.execution.id
    for _ in range(int(TIMEOUT / 0.02)):
        if tracked.execution.state.current is State.PAUSED:
            break
        await asyncio.sleep(0.02)
    runtime.executor.resume(execution_id, {})
    for _ in range(int(TIMEOUT / 0.02)):
        messages = [line.message for line in runtime.store.logs.list(execution_id)]
        if any("cannot render" in message for message in messages):
            break
        await asyncio.sleep(0.02)
    assert any(
        "(tasks[0].onResume[0].defaults at approval.yml:10:19)" in message for message in messages
    ), messages
    assert runtime.store.executions.get(execution_id).state.current is State.PAUSED
