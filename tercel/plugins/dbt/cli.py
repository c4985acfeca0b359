"""`io.kestra.plugin.dbt.cli.DbtCLI`: dbt commands as a script task.

Everything a script task does (runner, env, files, namespace files, outputFiles) applies.
On top of it: `profiles` is written to a `profiles.yml` that dbt finds, `projectDir` points
dbt at the project, telemetry is always off (dbt and dlt), `run_results.json` becomes
per-node outputs and metrics (a failed model or test fails the task and is named), and the
project's `manifest.json` can be kept in the KV store between runs (`storeManifest`) and
put back before the next one (`loadManifest`) for `--select state:modified --state state`.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field

from tercel.errors import ScriptError, TaskError
from tercel.model.base import KestraModel
from tercel.model.registry import plugin
from tercel.plugins.context import TaskContext, TaskResult
from tercel.plugins.core.templating.properties import Text, render_bool, render_str, require_str
from tercel.plugins.dbt.run_results import NodeResult, failure_message, read_run_results
from tercel.plugins.scripts.commands import CommandsTask

#: Always set for dbt (and dlt, often run next to it): no tracking calls, no hangs offline.
TELEMETRY_OFF = {
    "DO_NOT_TRACK": "1",
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
    "RUNTIME__DLTHUB_TELEMETRY": "false",
}
#: Where `loadManifest` puts the stored manifest, relative to the project directory.
STATE_DIR = "state"
#: Where `profiles` is written: apart from project or namespace files, which cannot replace it.
PROFILES_DIR = ".dbt-profiles"


class ManifestKey(KestraModel):
    """A KV entry holding a dbt manifest."""

    key: Text
    namespace: Text = "{{ flow.namespace }}"


@plugin("io.kestra.plugin.dbt.cli.DbtCLI")
class DbtCLI(CommandsTask):
    """Run dbt commands (`dbt build`, `dbt run --select ...`) in the working directory."""

    default_image: ClassVar[str] = "ghcr.io/kestra-io/dbt"

    profiles: Any = Field(default=None, description="Content of profiles.yml (YAML text or map).")
    project_dir: Text | None = Field(
        default=None, description="The dbt project folder, relative to the working directory."
    )
    parse_run_results: bool | str = Field(
        default=True, description="Read target/run_results.json into outputs and metrics."
    )
    store_manifest: ManifestKey | None = None
    load_manifest: ManifestKey | None = None
    #: Kestra's newer DbtCLI chooses the dbt engine (e.g. Core or Fusion) to install; Tercel
    #: runs the `dbt` found on PATH (or installed by `beforeCommands`), so it is accepted as is.
    engine: Text | None = None
    #: Kestra's choice of dbt log format; accepted, dbt's lines become task logs as printed.
    log_format: Text | None = None

    async def run(self, ctx: TaskContext) -> TaskResult:
        """Prepare profiles and state, run the commands, then read dbt's results."""
        project = self._project_dir(ctx)
        self._write_profiles(ctx)
        self._load_manifest(ctx, project)
        failure: ScriptError | None = None
        try:
            result = await super().run(ctx)
            outputs: dict[str, Any] = dict(result.outputs or {})
        except ScriptError as error:
            failure = error
            outputs = dict(error.outputs)
        nodes = self._parse_results(ctx, project, outputs)
        if failure is not None:
            message = failure_message(nodes)
            raise ScriptError(message or str(failure), outputs)
        self._store_manifest(ctx, project)
        return TaskResult(outputs=outputs)

    # -- before ---------------------------------------------------------------------------

    def _project_dir(self, ctx: TaskContext) -> Path:
        relative = render_str(ctx, self.project_dir) or ""
        root = ctx.working_dir.resolve()
        project = (root / relative).resolve()
        if not project.is_relative_to(root):
            raise TaskError("`projectDir` must stay inside the working directory")
        return project

    def _write_profiles(self, ctx: TaskContext) -> None:
        """Write `profiles` where `DBT_PROFILES_DIR` points (it wins over the project's own)."""
        if self.profiles is None:
            return
        rendered = ctx.render(self.profiles)
        text = rendered if isinstance(rendered, str) else json.dumps(rendered)
        folder = ctx.working_dir / PROFILES_DIR
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "profiles.yml").write_text(text, encoding="utf-8")

    def _load_manifest(self, ctx: TaskContext, project: Path) -> None:
        if self.load_manifest is None:
            return
        namespace = require_str(ctx, self.load_manifest.namespace, "loadManifest.namespace")
        key = require_str(ctx, self.load_manifest.key, "loadManifest.key")
        value = ctx.kv.get(namespace, key)
        if value is None:
            ctx.logger.info("no stored manifest yet: state selectors see every node as new")
            return
        text = value if isinstance(value, str) else json.dumps(value)
        state = project / STATE_DIR
        state.mkdir(parents=True, exist_ok=True)
        (state / "manifest.json").write_text(text, encoding="utf-8")

    def _environment(self, ctx: TaskContext, working_dir: Path, output_dir: Path) -> dict[str, str]:
        env = super()._environment(ctx, working_dir, output_dir)
        for name, value in TELEMETRY_OFF.items():
            env.setdefault(name, value)
        project = self._project_dir(ctx)
        env.setdefault("DBT_PROJECT_DIR", str(project))
        if "DBT_PROFILES_DIR" not in env:
            for folder in (working_dir, project):
                if (folder / "profiles.yml").is_file():
                    env["DBT_PROFILES_DIR"] = str(folder)
                    break
        if self.profiles is not None:
            env["DBT_PROFILES_DIR"] = str(working_dir / PROFILES_DIR)
        # Tercel installed in a virtualenv that is not activated: its `dbt` is next to Python.
        path = env.get("PATH") or os.environ.get("PATH", "")
        if shutil.which("dbt", path=path) is None:
            env["PATH"] = os.pathsep.join(filter(None, [str(Path(sys.executable).parent), path]))
        return env

    # -- after ----------------------------------------------------------------------------

    def _parse_results(
        self, ctx: TaskContext, project: Path, outputs: dict[str, Any]
    ) -> list[NodeResult]:
        if not render_bool(ctx, self.parse_run_results, "parseRunResults", True):
            return []
        nodes = read_run_results(project / "target" / "run_results.json")
        outputs["results"] = {node.name: node.output() for node in nodes}
        for node in nodes:
            tags = {"unique_id": node.unique_id, "status": node.status}
            ctx.metric("execution_time", "timer", node.execution_time, tags)
            if node.rows_affected is not None:
                ctx.metric("rows_affected", "counter", float(node.rows_affected), tags)
        return nodes

    def _store_manifest(self, ctx: TaskContext, project: Path) -> None:
        if self.store_manifest is None:
            return
        manifest = project / "target" / "manifest.json"
        if not manifest.is_file():
            ctx.logger.warning("no target/manifest.json to store (did a dbt command run?)")
            return
        namespace = require_str(ctx, self.store_manifest.namespace, "storeManifest.namespace")
        key = require_str(ctx, self.store_manifest.key, "storeManifest.key")
        ctx.kv.set(namespace, key, json.loads(manifest.read_text(encoding="utf-8")), kv_type="JSON")
        message = f"manifest stored in the KV store as `{key}` of `{namespace}`"
        ctx.logger.info(message)
