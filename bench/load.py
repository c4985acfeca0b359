"""The webhook saturation curve: offered rate against achieved rate and latency, on SQLite.

    python bench/load.py [--rates 25,50,100,150,200] [--seconds 10] [--profile DIR]

Starts a real `tercel server local` on a free 127.0.0.1 port with a temp home (SQLite) and
a flow triggered by a webhook: `OutputValues` of the request body, then a `Log` of it. For
each offered rate it sends webhook requests open-loop (one every 1/rate s, whatever the
answers) for `--seconds`, then prints:

* offered and sent rate (the client may fall behind on a loaded machine: said, not hidden);
* achieved rate: executions ended SUCCESS per second, from the first request to the last end;
* p50 and p99 of webhook-to-end latency: from the request being sent to the execution's
  SUCCESS date (server clock; same machine, so the same clock);
* errors: requests refused or failed, executions not SUCCESS or not ended within 60 s;
* server CPU ms per execution (user + system, from the first request until the server is
  idle again): the cost that sets the ceiling, and the figure least disturbed by other
  load on the machine.

The client runs in this process (one asyncio loop, keep-alive connections) and competes with
the server for the CPUs: run it on an otherwise idle machine and say the load it had.
With `--profile DIR`, the server runs under `py-spy record` and writes its collapsed stacks there
(`server.txt`, the input of flamegraph.pl or speedscope).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

TERCEL = str(Path(sys.executable).parent / "tercel")
WEBHOOK = "/api/v1/main/executions/webhook/bench/hooked/bench-key"
FLOW = """\
id: hooked
namespace: bench
tasks:
  - id: values
    type: io.kestra.plugin.core.output.OutputValues
    values:
      n: "{{ trigger.body.n }}"
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: "got {{ outputs.values.values.n }}"
triggers:
  - id: hook
    type: io.kestra.plugin.core.trigger.Webhook
    key: bench-key
"""
TERMINAL = ("SUCCESS", "WARNING", "FAILED", "KILLED", "CANCELLED")


def free_port() -> int:
    """A port nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def percentile(values: list[float], fraction: float) -> float:
    """The `fraction` quantile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (and its waited-for children) so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = sum(int(fields[i]) for i in (11, 12, 13, 14))
    return ticks / os.sysconf("SC_CLK_TCK")


def _instant(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


async def settle(pid: int, limit: float = 60.0) -> None:
    """Wait until the server is idle (under 5% of a CPU over 0.3 s), at most `limit` s."""
    deadline = time.monotonic() + limit
    before = cpu_seconds(pid)
    while time.monotonic() < deadline:
        await asyncio.sleep(0.3)
        now = cpu_seconds(pid)
        if now - before < 0.015:
            return
        before = now


async def drive(url: str, rate: float, seconds: float, pid: int) -> dict[str, float]:
    """One step of the curve: open-loop webhook calls at `rate` for `seconds`.

    The server's CPU time is read from the first request until it is idle again, before
    this bench asks for the results: its own searches are not counted.
    """
    sent: dict[str, float] = {}
    errors = 0
    limits = httpx.Limits(max_connections=256, max_keepalive_connections=256)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as client:

        async def one(n: int) -> None:
            nonlocal errors
            started = time.time()
            try:
                response = await client.post(WEBHOOK, json={"n": n})
                sent[response.json()["id"]] = started
            except (httpx.HTTPError, KeyError, ValueError):
                errors += 1

        tasks = []
        cpu_before = cpu_seconds(pid)
        first = time.time()
        begin = time.monotonic()
        for n in range(int(rate * seconds)):
            delay = begin + n / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(n)))
        sending = time.monotonic() - begin
        await asyncio.gather(*tasks)
        await settle(pid)
        cpu = cpu_seconds(pid) - cpu_before
        latencies: list[float] = []
        last_end = first
        pending = dict(sent)
        deadline = time.monotonic() + 60
        since = datetime.fromtimestamp(first - 1, UTC).isoformat()
        while pending and time.monotonic() < deadline:
            found = []
            for page in range(1, 100):
                results = (
                    await client.get(
                        "/api/v1/main/executions/search",
                        params={
                            "namespace": "bench",
                            "size": 1000,
                            "page": page,
                            "state": list(TERMINAL),
                            "startDate": since,
                        },
                    )
                ).json()["results"]
                found.extend(results)
                if len(results) < 1000:
                    break
            for body in found:
                started = pending.pop(body["id"], None)
                if started is None:
                    continue
                state = body["state"]
                if state["current"] != "SUCCESS":
                    errors += 1
                    continue
                end = _instant(state["histories"][-1]["date"])
                latencies.append(end - started)
                last_end = max(last_end, end)
            if pending:
                await asyncio.sleep(0.2)
        errors += len(pending)
    span = max(last_end - first, 1e-9)
    return {
        "sent": len(tasks) / max(sending, 1e-9),
        "achieved": len(latencies) / span,
        "p50": statistics.median(latencies) * 1000 if latencies else float("nan"),
        "p99": percentile(latencies, 0.99) * 1000 if latencies else float("nan"),
        "errors": errors,
        "cpu_ms": cpu * 1000 / max(1, len(tasks)),
    }


def start_server(home: str, port: int, profile: Path | None) -> subprocess.Popen[bytes]:
    """`tercel server local`, optionally under py-spy; returns once /health answers."""
    command = [TERCEL, "server", "local", "--port", str(port), "--home", home]
    if profile is not None:
        spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
        profile.mkdir(parents=True, exist_ok=True)
        command = [spy, "record", "-f", "raw", "-o", str(profile / "server.txt"), "--", *command]
    process = subprocess.Popen(
        command, env=dict(os.environ), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/health", timeout=0.5).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        if process.poll() is not None:
            sys.exit("the server exited before it was ready")
        time.sleep(0.05)
    process.kill()
    sys.exit("the server was not ready within 60 s")


def server_process_id(spy_pid: int) -> int:
    """The pid of the server py-spy started (its only child)."""
    children = Path(f"/proc/{spy_pid}/task/{spy_pid}/children").read_text().split()
    return int(children[0]) if children else spy_pid


def main() -> None:
    """Print the saturation curve."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rates", default="25,50,100,150,200")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--profile", type=Path, default=None)
    args = parser.parse_args()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    load = os.getloadavg()
    print(f"load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory(prefix="tercel-load-") as home:
        process = start_server(home, port, args.profile)
        server_pid = server_process_id(process.pid) if args.profile else process.pid
        try:
            httpx.post(
                f"{url}/api/v1/main/flows",
                content=FLOW,
                headers={"Content-Type": "application/x-yaml"},
            ).raise_for_status()
            asyncio.run(
                drive(url, 10, 1, server_pid)
            )  # warm-up: first-request costs out of the curve
            print(
                f"{'offered/s':>10} {'sent/s':>8} {'achieved/s':>11} {'p50 ms':>8} "
                f"{'p99 ms':>8} {'errors':>7} {'server CPU ms/execution':>24}"
            )
            for rate in (float(r) for r in args.rates.split(",")):
                row = asyncio.run(drive(url, rate, args.seconds, server_pid))
                print(
                    f"{rate:>10.0f} {row['sent']:>8.1f} {row['achieved']:>11.1f} "
                    f"{row['p50']:>8.0f} {row['p99']:>8.0f} {row['errors']:>7.0f} "
                    f"{row['cpu_ms']:>24.1f}",
                    flush=True,
                )
        finally:
            process.send_signal(signal.SIGINT if args.profile else signal.SIGTERM)
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()
    load = os.getloadavg()
    print(f"load average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


if __name__ == "__main__":
    main()
