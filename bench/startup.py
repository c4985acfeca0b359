"""Start-up time of `tercel` commands, as a user's shell sees them (whole processes).

    python bench/startup.py [--repeat 5]

For each command: the median wall time of `--repeat` runs, the same for `python -c pass` in
the same run (the floor any Python tool pays on this machine) and the ratio between them,
against the goals of the start-up issue. Then the peak RSS of `tercel run hello.yml` and the
five costliest imports of that command (`python -X importtime`, cumulative).
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
TERCEL = str(BIN / "tercel")

HELLO = """\
id: hello
namespace: bench
tasks:
  - id: hello
    type: io.kestra.plugin.core.log.Log
    message: hello
"""


def chain(count: int) -> str:
    """A flow of `count` Return tasks, each reading the previous one's value."""
    lines = ["id: chain", "namespace: bench", "tasks:"]
    for index in range(count):
        value = "0" if index == 0 else f"{{{{ outputs.t{index - 1}.value }}}}"
        lines += [
            f"  - id: t{index}",
            "    type: io.kestra.plugin.core.debug.Return",
            f'    format: "{value}"',
        ]
    return "\n".join(lines) + "\n"


def timed(command: list[str], repeat: int) -> float:
    """Median wall seconds of `repeat` runs of `command` (output discarded, must exit 0)."""
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def peak_rss_mb(command: list[str]) -> float:
    """Peak resident memory (VmHWM) of `command`, read by wrapping it in GNU time."""
    result = subprocess.run(
        ["/usr/bin/time", "-f", "%M", *command],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    return int(result.stderr.strip().splitlines()[-1]) / 1024


def server_ready(repeat: int, home: Path) -> float:
    """Median seconds from `tercel server local` starting to `/health` answering."""
    import httpx

    samples = []
    for attempt in range(repeat):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        started = time.perf_counter()
        process = subprocess.Popen(
            [TERCEL, "server", "local", "--port", str(port), "--home", str(home / f"s{attempt}")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            while True:
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.01)
                if time.perf_counter() - started > 30:
                    raise SystemExit("the server was not ready within 30 s")
            samples.append(time.perf_counter() - started)
        finally:
            process.terminate()
            process.wait(timeout=30)
    return statistics.median(samples)


def top_imports(command: list[str], count: int = 5) -> list[tuple[float, str]]:
    """The `count` imports with the highest cumulative time while running `command`."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", *command],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    costs = []
    for line in result.stderr.splitlines():
        found = re.match(r"import time:\s+\d+ \|\s+(\d+) \|( *)(\S+)", line)
        if found and len(found.group(2)) <= 2:  # top-level imports only
            costs.append((int(found.group(1)) / 1e6, found.group(3)))
    return sorted(costs, reverse=True)[:count]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        hello = work / "hello.yml"
        hello.write_text(HELLO)
        forty = work / "chain.yml"
        forty.write_text(chain(40))
        os.environ.setdefault("TERCEL_CACHE_DIR", str(work / "cache"))
        subprocess.run([TERCEL, "validate", str(hello)], check=True, capture_output=True)
        baseline = timed([sys.executable, "-c", "pass"], args.repeat)
        rows = [
            ("tercel version", [TERCEL, "version"], 0.15),
            ("tercel --help", [TERCEL, "--help"], 0.15),
            ("tercel validate one-flow.yml", [TERCEL, "validate", str(hello)], 0.4),
            ("tercel run hello.yml", [TERCEL, "run", str(hello)], 0.5),
            ("tercel run 40 chained Return", [TERCEL, "run", str(forty)], 0.8),
        ]
        print(f"python -c pass: {baseline * 1000:.0f} ms (median of {args.repeat})")
        print(f"{'command':34} {'median':>9} {'ratio':>7} {'goal':>7}")
        for name, command, goal in rows:
            seconds = timed(command, args.repeat)
            mark = "ok" if seconds <= goal else "MISSED"
            print(
                f"{name:34} {seconds * 1000:7.0f} ms {seconds / baseline:6.1f}x "
                f"{goal * 1000:5.0f} ms {mark}"
            )
        ready = server_ready(args.repeat, work)
        print(
            f"{'tercel server local to ready':34} {ready * 1000:7.0f} ms "
            f"{ready / baseline:6.1f}x  1000 ms {'ok' if ready <= 1 else 'MISSED'}"
        )
        rss = peak_rss_mb([TERCEL, "run", str(hello)])
        print(f"tercel run hello.yml peak RSS: {rss:.0f} MB (goal <= 70 MB)")
        print("top imports of `tercel run hello.yml` (cumulative):")
        for seconds, module in top_imports([TERCEL, "run", str(hello)]):
            print(f"  {seconds * 1000:7.1f} ms  {module}")


if __name__ == "__main__":
    main()
