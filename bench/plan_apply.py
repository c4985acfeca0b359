"""Flows as code at scale: `tercel plan` and `tercel apply` of N flows against a server.

    python bench/plan_apply.py [--flows 300] [--namespaces 10]

Starts `tercel server local` on a free 127.0.0.1 port (SQLite in a temp dir), writes a folder
of N flows spread over namespaces, and prints the wall time of: the first plan (everything
to create), the apply, the plan that finds nothing to do, and an apply of one changed flow.
Each figure includes the CLI's start-up (~1 s), as a CI job pays it.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

TERCEL = str(Path(sys.executable).parent / "tercel")

FLOW = """\
id: flow_{index}
namespace: {namespace}
tasks:
  - id: hello
    type: io.kestra.plugin.core.log.Log
    message: "flow {index} says {{{{ namespace.greeting ?? 'hi' }}}}"
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def timed(*args: str, expect: int) -> float:
    started = time.perf_counter()
    result = subprocess.run(
        [TERCEL, *args],
        capture_output=True,
        text=True,
        check=False,
        stdin=subprocess.DEVNULL,
        timeout=600,
    )
    elapsed = time.perf_counter() - started
    if result.returncode != expect:
        raise SystemExit(f"{args[0]} exited {result.returncode}: {result.stderr[-2000:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--flows", type=int, default=300)
    parser.add_argument("--namespaces", type=int, default=10)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tercel-bench-") as scratch:
        root = Path(scratch)
        port = free_port()
        folder = root / "repo"
        for index in range(options.flows):
            namespace = f"bench.ns{index % options.namespaces}"
            path = folder / "flows" / namespace / f"flow_{index}.yml"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(FLOW.format(index=index, namespace=namespace))
        for n in range(options.namespaces):
            (folder / "namespaces").mkdir(exist_ok=True)
            (folder / "namespaces" / f"bench.ns{n}.yml").write_text(
                f"variables:\n  greeting: hello {n}\n"
            )
        (folder / "environments").mkdir()
        (folder / "environments" / "bench.yml").write_text(f"server: http://127.0.0.1:{port}\n")
        log = (root / "server.log").open("wb")
        server = subprocess.Popen(
            [TERCEL, "server", "local", "--port", str(port), "--home", str(root / "home")],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ},
        )
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/health").status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.1)
            repo = str(folder)
            first = timed("plan", repo, expect=2)
            apply = timed("apply", repo, "--yes", expect=0)
            nothing = timed("plan", repo, expect=0)
            changed = folder / "flows" / "bench.ns0" / "flow_0.yml"
            changed.write_text(changed.read_text().replace("says", "now says"))
            one = timed("apply", repo, "--yes", expect=0)
        finally:
            server.terminate()
            server.wait(30)
            log.close()
    print(f"{options.flows} flows in {options.namespaces} namespaces:")
    print(f"  plan, everything to create  {first:6.2f} s")
    print(f"  apply (one transaction/ns)  {apply:6.2f} s")
    print(f"  plan, nothing to do         {nothing:6.2f} s")
    print(f"  apply of one changed flow   {one:6.2f} s")


if __name__ == "__main__":
    main()
