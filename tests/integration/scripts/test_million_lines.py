"""A task printing 1,000,000 lines, through the real runtime: bounded memory, no stall."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

PROBE = textwrap.dedent(
    '''
    import asyncio, json, sys
    from pathlib import Path
    from tercel.model.loader import load_flow
    from tercel.runtime.local import LocalRuntime

    FLOW = """
    id: chatty
    namespace: tests
    tasks:
      - id: both
        type: io.kestra.plugin.core.flow.Parallel
        tasks:
          - id: chatty
            type: io.kestra.plugin.scripts.shell.Commands
            commands:
              - seq 1 1000000
          - id: sibling
            type: io.kestra.plugin.scripts.shell.Commands
            commands:
              - sleep 1
              - echo sibling done
    """

    async def main(home):
        async with LocalRuntime.open(Path(home)) as runtime:
            execution = await runtime.run(load_flow(FLOW, "chatty.yml"), timeout=600)
            chatty = execution.task_runs_of("chatty")[0]
            sibling = execution.task_runs_of("sibling")[0]
            # VmHWM, not ru_maxrss: the latter also counts the pytest process this was forked from.
            max_rss_mb = next(
                int(line.split()[1]) for line in open('/proc/self/status') if line.startswith('VmHWM:')
            ) // 1024
            print(json.dumps({
                "state": execution.state.current.name,
                "lines": chatty.outputs["stdOutLineCount"],
                "chatty_end": chatty.state.histories[-1].date.timestamp(),
                "sibling_end": sibling.state.histories[-1].date.timestamp(),
                "last": [e.message for e in runtime.store.logs.list(
                    execution.id, task_id="chatty", offset=999_999, limit=2
                )],
                "max_rss_mb": max_rss_mb,
            }))

    asyncio.run(main(sys.argv[1]))
    '''
)


def test_a_million_lines_are_all_stored_with_bounded_memory_and_no_stall(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["state"] == "SUCCESS"
    assert report["lines"] == 1_000_000
    # Every line is stored: the millionth is the last one.
    assert report["last"] == ["1000000"]
    # Never all held in memory at once.
    assert report["max_rss_mb"] < 300, report
    # The sibling (1 s of work) is not held up until the chatty task ends.
    assert report["sibling_end"] < report["chatty_end"], report
