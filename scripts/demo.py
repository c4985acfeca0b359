"""`make run`: the analytics stack of the seed on a local Tercel server, offline.

    .venv/bin/python scripts/demo.py                 # http://127.0.0.1:8080, until Ctrl-C
    .venv/bin/python scripts/demo.py --once --json   # one round, a JSON summary, then stop

At start: a fake CRM and product-analytics API and a Slack receiver listen on 127.0.0.1;
the flows of ``examples/demo/flows`` are loaded, the code of ``examples/demo/files`` becomes
namespace files, the ``monitors`` namespace gets its ``slack.webhook`` variable (through the
API); then the two ingestions run once right away (the schedules say 01:00), the Flow trigger
of ``data.analytics.marts`` runs dbt and the report when both have loaded, and the product
job that fails shows the namespace-routed alerting.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEMO = ROOT / "examples" / "demo"
sys.path.insert(0, str(HERE))

from demo_server import DemoClient, DemoServer  # noqa: E402 - next to this file
from demo_services import DemoServices  # noqa: E402

MARTS = ("pipeline_by_stage", "conversion_by_channel", "active_accounts")
#: dbt and dlt must not phone home (offline it costs seconds, blackholed DNS ~40 s).
NO_TELEMETRY = {
    "DO_NOT_TRACK": "1",
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
    "RUNTIME__DLTHUB_TELEMETRY": "false",
}


def free_port() -> int:
    """A port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def port_is_free(port: int) -> bool:
    """Whether 127.0.0.1:port can be bound now."""
    with socket.socket() as probe:
        # As uvicorn does: connections of a stopped server (TIME_WAIT) do not count.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def wait_for(what: str, check: Callable[[], Any], timeout: float, interval: float = 0.5) -> Any:
    """Poll `check` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(f"{what}: nothing after {timeout:.0f} s")


def mart_counts(warehouse: Path) -> dict[str, int]:
    """Rows of each mart (read-only, so the next dbt run is not blocked for long)."""
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as db:
        counts = {}
        for name in MARTS:
            row = db.execute(f"select count(*) from marts.{name}").fetchone()
            counts[name] = int(row[0]) if row else 0
        return counts


class Demo:
    """Services, server and the first round of the pipeline."""

    def __init__(
        self,
        home: Path,
        port: int,
        *,
        quiet: bool,
        extra_flows: Sequence[Path] = (),
        summary_file: Path | None = None,
    ) -> None:
        self.summary_file = summary_file
        self.home = home.resolve()
        self.home.mkdir(parents=True, exist_ok=True)
        self.warehouse_dir = self.home / "warehouse"
        self.quiet = quiet
        self.services = DemoServices(messages_file=self.home / "slack-messages.jsonl").start()
        # Read by the server when it starts: `envs.*` for the flows, PATH for `python`/`dbt`.
        os.environ.update(
            {
                "KESTRA_DEMO_API": self.services.url,
                # Links in the Slack messages point at this server's UI.
                "TERCEL_PUBLIC_URL": f"http://127.0.0.1:{port}",
                "KESTRA_DEMO_WAREHOUSE_DIR": str(self.warehouse_dir),
                "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
                **NO_TELEMETRY,
            }
        )
        self.server = DemoServer(self.home / "server", port, [DEMO / "flows", *extra_flows])
        self.client = DemoClient(self.server.url)
        self.summary: dict[str, Any] = {"server": self.server.url, "alerts_page": self.services.url}
        self.failure: BaseException | None = None
        self.services.pages["/report"] = self.latest_report

    def say(self, text: str) -> None:
        """Print for the user (not with --json, whose output is the summary alone)."""
        if not self.quiet:
            print(text, flush=True)

    def latest_report(self) -> tuple[str, bytes] | None:
        """The newest ``report.html`` of the marts flow, for the services' /report page."""
        for execution in self.client.finished("data.analytics", "marts"):
            body = self.client.output_file(
                self.client.execution(execution["id"]), "report", "report.html"
            )
            if body is not None:
                return "text/html; charset=utf-8", body
        return None

    def first_round(self, *, exit_after: bool) -> None:
        """Set up through the API, run the pipeline once, report; in a thread."""
        try:
            if not self.server.ready.wait(60):
                raise TimeoutError("the server did not start within 60 s")
            wait_for("the server's /health", self.client.healthy, timeout=30, interval=0.1)
            started = time.monotonic()
            self.client.set_namespace_variables(
                "monitors", {"slack": {"webhook": self.services.slack_webhook}}
            )
            files = self.client.upload_namespace_files(DEMO / "files")
            self.say(
                f"Tercel is up on {self.server.url}/ui ({self.server.flows_loaded} flows, "
                f"{files} namespace files); running the pipeline once now …"
            )
            # A home kept from an earlier run already has finished marts executions.
            earlier = {e["id"] for e in self.client.finished("data.analytics", "marts")}
            for flow_id in ("hubspot", "posthog"):
                self.client.start("data.sources", flow_id)
            self.client.start("product.app", "feature_flags")
            marts = wait_for(
                "data.analytics.marts",
                lambda: [
                    e
                    for e in self.client.finished("data.analytics", "marts")
                    if e["id"] not in earlier
                ],
                timeout=300,
            )[0]
            self.summary["seconds_to_results"] = round(time.monotonic() - started, 1)
            self.summary["marts_state"] = marts["state"]["current"]
            self.summary["marts_execution"] = (
                f"{self.server.url}/ui/executions/data.analytics/marts/{marts['id']}"
            )
            if marts["state"]["current"] == "SUCCESS":
                self.summary["marts"] = mart_counts(self.warehouse_dir / "warehouse.duckdb")
            wait_for("an alert", lambda: self.services.messages, timeout=60)
            self.summary["alerts"] = [
                {"channel": m.get("channel"), "text": m.get("text")} for m in self.services.messages
            ]
            self.report()
            if self.summary_file is not None:
                # Written whole then renamed: a reader never sees half a file.
                partial = self.summary_file.with_suffix(".partial")
                partial.write_text(json.dumps(self.summary, indent=2))
                partial.replace(self.summary_file)
        except BaseException as error:  # noqa: BLE001 - reported, then the server stops
            self.failure = error
            self.say(f"demo: {error}")
            exit_after = True
        finally:
            if exit_after:
                self.server.stop()

    def report(self) -> None:
        """What the user should open."""
        s = self.summary
        self.say(
            f"\nFirst results after {s['seconds_to_results']} s: marts {s.get('marts', {})} "
            f"({s['marts_state']})\n"
            f"  Tercel UI:        {s['server']}/ui  (flows, executions, logs, topology)\n"
            f"  the dbt run:      {s['marts_execution']}\n"
            f"  report (charts):  {self.services.url}/report  (also in its outputs: report.html)\n"
            f"  Slack alerts:     {self.services.url}/  (log: {self.services.messages_file})\n"
            f"  warehouse:        {self.warehouse_dir / 'warehouse.duckdb'} (schemas staging, marts)\n"
            f"Try a failing source: .venv/bin/tercel execution start data.sources hubspot "
            f"-i fail=true --server {s['server']}\n"
            "Ctrl-C stops (the schedules would run the sources again at 01:00)."
        )

    def run(self, *, once: bool) -> int:
        """Serve until Ctrl-C (or after the first round with `once`); the exit code."""
        worker = threading.Thread(target=self.first_round, kwargs={"exit_after": once}, daemon=True)
        worker.start()
        try:
            self.server.serve()
        finally:
            self.client.close()
            self.services.stop()
        worker.join(timeout=5)
        return 1 if self.failure is not None or self.summary.get("marts_state") != "SUCCESS" else 0


def main() -> None:
    """Parse the options and run the demo."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--port", type=int, default=None, help="server port (default 8080; a free one with --once)"
    )
    parser.add_argument(
        "--home",
        type=Path,
        default=ROOT / ".tercel" / "demo",
        help="data directory (default .tercel/demo/)",
    )
    parser.add_argument(
        "--flows", type=Path, action="append", default=[], help="also load this flow folder"
    )
    parser.add_argument(
        "--summary", type=Path, default=None, help="write the first round's JSON summary here"
    )
    parser.add_argument("--once", action="store_true", help="stop after the first round")
    parser.add_argument("--json", action="store_true", help="print only a JSON summary")
    args = parser.parse_args()
    port = args.port or (free_port() if args.once else 8080)
    if not port_is_free(port):
        sys.exit(
            f"port {port} is in use (another Tercel?): stop it, or run "
            f"`.venv/bin/python scripts/demo.py --port {port + 1} --flows examples/flows`"
        )
    demo = Demo(args.home, port, quiet=args.json, extra_flows=args.flows, summary_file=args.summary)
    code = demo.run(once=args.once)
    if args.json:
        print(json.dumps(demo.summary, indent=2))
    sys.exit(code)


if __name__ == "__main__":
    main()
