"""Script task speed, end to end through the runtime (SQLite store, real subprocesses).

    python bench/scripts.py [--runs 3]

Prints, in one run:
  (a) 40 sequential Python Script tasks computing fibo(10): seconds (Windmill's published
      workload: Kestra 6.0 s, Prefect 4.9 s, Windmill 4.4 s, Hatchet 1.2 s on 2 vCPU)
  (b) 40 bare `python3 -c` starts of the same program, sequential: seconds
  (c) the ratio (a) / (b) (target <= 1.3)
  (d) 40 sequential shell `true` Commands tasks: ms per task (target <= 5 ms)
Each figure is the best of `--runs` runs.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tercel.engine.state import State  # noqa: E402
from tercel.model.loader import load_flow  # noqa: E402
from tercel.plugins.scripts.python_env import find_python  # noqa: E402
from tercel.runtime.local import LocalRuntime  # noqa: E402

TASKS = 40
FIBO = "def fibo(n):\n    return n if n < 2 else fibo(n - 1) + fibo(n - 2)\n\nprint(fibo(10))\n"


def python_flow(count: int) -> str:
    script = "\n".join(f"      {line}" for line in FIBO.splitlines())
    tasks = "\n".join(
        f"  - id: fibo{n}\n    type: io.kestra.plugin.scripts.python.Script\n"
        f"    script: |\n{script}"
        for n in range(count)
    )
    return f"id: fibo\nnamespace: bench\ntasks:\n{tasks}\n"


def shell_flow(count: int) -> str:
    tasks = "\n".join(
        f"  - id: true{n}\n    type: io.kestra.plugin.scripts.shell.Commands\n"
        f'    commands:\n      - "true"'
        for n in range(count)
    )
    return f"id: shell\nnamespace: bench\ntasks:\n{tasks}\n"


async def run_flow(source: str, home: Path) -> float:
    flow = load_flow(source, "<bench>")
    async with LocalRuntime.open(home) as runtime:
        started = time.perf_counter()
        execution = await runtime.run(flow, timeout=600)
        elapsed = time.perf_counter() - started
    if execution.state.current is not State.SUCCESS:
        raise SystemExit(f"bench flow `{flow.id}` ended {execution.state.current.name}")
    return elapsed


def bare_starts(python: str, count: int) -> float:
    started = time.perf_counter()
    for _ in range(count):
        subprocess.run([python, "-c", FIBO], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    # The tasks and the bare starts use the same interpreter (a pyenv shim would add its own
    # start-up cost to both): the real file behind the first python3 on PATH.
    python = subprocess.run(
        [find_python(), "-c", "import sys; print(sys.executable)"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    os.environ["PATH"] = f"{Path(python).parent}{os.pathsep}{os.environ['PATH']}"
    with tempfile.TemporaryDirectory(prefix="tercel-bench-scripts-") as tmp:
        base = Path(tmp)
        python_times, bare_times, shell_times = [], [], []
        for run in range(args.runs):
            python_times.append(asyncio.run(run_flow(python_flow(TASKS), base / f"py{run}")))
            bare_times.append(bare_starts(python, TASKS))
            shell_times.append(asyncio.run(run_flow(shell_flow(TASKS), base / f"sh{run}")))
    tasks, bare, shell = min(python_times), min(bare_times), min(shell_times)
    print(f"interpreter: {python}")
    print(
        f"(a) {TASKS} Python Script tasks, fibo(10): {tasks:.2f} s ({tasks / TASKS * 1000:.1f} ms/task)"
    )
    print(
        f"(b) {TASKS} bare python3 -c starts:      {bare:.2f} s ({bare / TASKS * 1000:.1f} ms/start)"
    )
    print(f"(c) ratio (a)/(b): {tasks / bare:.2f} (target <= 1.3)")
    print(
        f"(d) {TASKS} shell `true` Commands tasks: {shell / TASKS * 1000:.1f} ms/task (target <= 5 ms)"
    )


if __name__ == "__main__":
    main()
