"""Server speed: webhook-driven executions open-loop, idle memory, start-to-ready time.

    python bench/server.py [--seconds 30] [--rates 5,25,100]

Starts `tercel server local` on 127.0.0.1 (a free port, a temp home), then prints:
  (a) start-to-ready: seconds from process start to `GET /health` answering 200
  (b) idle RSS in MB, one second after ready (target <= 150 MB)
  (c) for each rate: a webhook-triggered 2-task flow (OutputValues then Log) driven
      open-loop for `--seconds`: achieved rate, and p50/p99 from request to SUCCESS
      (target: 100/s with p50 <= 100 ms; Kestra OSS publishes 25/s at 0.26 s on 4 vCPU)
Latency is measured with the server's own SUCCESS timestamp (same machine, same clock).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import httpx

TERCEL = str(Path(sys.executable).parent / "tercel")

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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def drive(url: str, rate: float, seconds: float) -> tuple[float, list[float], int]:
    """Open loop: one request every 1/rate s whatever the answers; (rate, latencies, errors)."""
    sent: dict[str, float] = {}
    errors = 0
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=100)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as client:

        async def one(n: int) -> None:
            nonlocal errors
            started = time.time()
            try:
                response = await client.post(
                    "/api/v1/main/executions/webhook/bench/hooked/bench-key", json={"n": n}
                )
                sent[response.json()["id"]] = started
            except (httpx.HTTPError, KeyError, ValueError):
                errors += 1

        tasks = []
        begin = time.monotonic()
        total = int(rate * seconds)
        for n in range(total):
            delay = begin + n / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(n)))
        await asyncio.gather(*tasks)
        elapsed = time.monotonic() - begin
        latencies: list[float] = []
        deadline = time.monotonic() + 60
        pending = dict(sent)
        while pending and time.monotonic() < deadline:
            for execution_id in list(pending)[:200]:
                body = (await client.get(f"/api/v1/main/executions/{execution_id}")).json()
                state = body["state"]
                if state["current"] in ("SUCCESS", "FAILED", "WARNING", "KILLED"):
                    if state["current"] != "SUCCESS":
                        errors += 1
                    else:
                        end = datetime.fromisoformat(
                            state["histories"][-1]["date"].replace("Z", "+00:00")
                        ).timestamp()
                        latencies.append(end - pending[execution_id])
                    del pending[execution_id]
            await asyncio.sleep(0.05)
        errors += len(pending)
    return len(sent) / elapsed, latencies, errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--rates", default="5,25,100")
    args = parser.parse_args()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="tercel-bench-") as home:
        env = {**os.environ, "TERCEL_HOME": home}
        started = time.monotonic()
        process = subprocess.Popen(
            [TERCEL, "server", "local", "--port", str(port), "--home", home],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            while True:
                try:
                    if httpx.get(f"{url}/health", timeout=0.5).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if process.poll() is not None:
                    sys.exit("server exited before it was ready")
                time.sleep(0.01)
            ready = time.monotonic() - started
            print(f"(a) start-to-ready: {ready:.2f} s (target < 2 s)")
            time.sleep(1)
            print(f"(b) idle RSS: {rss_mb(process.pid):.0f} MB (target <= 150 MB)")
            response = httpx.post(
                f"{url}/api/v1/main/flows",
                content=FLOW,
                headers={"Content-Type": "application/x-yaml"},
            )
            response.raise_for_status()
            for rate in (float(r) for r in args.rates.split(",")):
                achieved, latencies, errors = asyncio.run(drive(url, rate, args.seconds))
                if latencies:
                    p50 = statistics.median(latencies) * 1000
                    p99 = percentile(latencies, 0.99) * 1000
                    print(
                        f"(c) {rate:>5.0f}/s for {args.seconds:.0f} s: achieved {achieved:.1f}/s, "
                        f"p50 {p50:.0f} ms, p99 {p99:.0f} ms, errors {errors} "
                        f"(target 100/s with p50 <= 100 ms)"
                    )
                else:
                    print(f"(c) {rate:>5.0f}/s: no execution succeeded ({errors} errors)")
            print(f"    RSS after load: {rss_mb(process.pid):.0f} MB")
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()


if __name__ == "__main__":
    main()
