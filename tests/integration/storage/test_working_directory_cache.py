"""WorkingDirectory `cache` kept in internal storage: saved after a run, restored in the next."""

from __future__ import annotations

from pathlib import Path

from tercel.engine.state import State
from tercel.model.loader import load_flow
from tercel.runtime.local import LocalRuntime
from tercel.storage.api import InternalStorage

CACHED = r"""
id: cached
namespace: company.team
tasks:
  - id: wd
    type: io.kestra.plugin.core.flow.WorkingDirectory
    cache:
      patterns:
        - "deps/**"
      ttl: PT1H
    tasks:
      - id: build
        type: io.kestra.plugin.scripts.shell.Commands
        commands:
          - |
            if [ -f deps/stamp ]; then
              echo "::{\"outputs\":{\"stamp\":\"$(cat deps/stamp)\"}}::"
            else
              mkdir -p deps && date +%s%N > deps/stamp
              echo "::{\"outputs\":{\"stamp\":\"new\"}}::"
            fi
"""


async def test_the_cache_of_a_working_directory_comes_back_in_the_next_run(
    storage: InternalStorage, tmp_path: Path
) -> None:
    flow = load_flow(CACHED, "cached.yml")
    async with LocalRuntime.open(tmp_path / "home", storage=storage) as runtime:
        first = await runtime.run(flow, timeout=120)
        second = await runtime.run(flow, timeout=120)
    assert first.state.current is State.SUCCESS
    assert second.state.current is State.SUCCESS
    assert first.task_runs_of("build")[0].outputs["vars"] == {"stamp": "new"}
    restored = second.task_runs_of("build")[0].outputs["vars"]["stamp"]
    assert restored.isdigit()
    assert storage.exists("kestra:///company/team/cached/wd/cache/cache.zip")
