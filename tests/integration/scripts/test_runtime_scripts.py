"""Script tasks inside real executions: files flow between tasks, namespace files, logs."""

from __future__ import annotations

from pathlib import Path

from tercel.engine.state import State
from tercel.model.loader import load_flow
from tercel.runtime.local import LocalRuntime

FLOW = """
id: files
namespace: company.team
tasks:
  - id: produce
    type: io.kestra.plugin.scripts.python.Script
    outputFiles:
      - "*.csv"
    script: |
      with open("rows.csv", "w") as out:
          out.write("id\\n1\\n2\\n3\\n")
      print("wrote rows")
  - id: consume
    type: io.kestra.plugin.scripts.shell.Commands
    namespaceFiles:
      enabled: true
    commands:
      - sh scripts/count.sh {{ outputs.produce.outputFiles['rows.csv'] }}
"""


async def test_output_files_are_read_by_later_tasks_and_namespace_files_are_there(
    tmp_path: Path,
) -> None:
    files_root = tmp_path / "files"
    (files_root / "company.team" / "scripts").mkdir(parents=True)
    (files_root / "company.team" / "scripts" / "count.sh").write_text(
        """n=$(tail -n +2 "$1" | wc -l | tr -d ' ')\necho "::{\\"outputs\\":{\\"rows\\":$n}}::"\n"""
    )
    async with LocalRuntime.open(tmp_path / "home", files_root=files_root) as runtime:
        execution = await runtime.run(load_flow(FLOW, "files.yml"), timeout=120)
        logs = [entry.message for entry in runtime.store.logs.list(execution.id)]
        assert execution.state.current is State.SUCCESS, logs
        produced = execution.task_runs_of("produce")[0].outputs
        assert produced["outputFiles"]["rows.csv"].startswith("kestra:///company/team/files/")
        assert runtime.storage.get(produced["outputFiles"]["rows.csv"]) == b"id\n1\n2\n3\n"
        assert execution.task_runs_of("consume")[0].outputs["vars"] == {"rows": 3}
        assert "wrote rows" in logs
