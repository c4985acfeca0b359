"""`io.kestra.plugin.scripts.shell.{Script,Commands}`."""

from __future__ import annotations

from tercel.model.registry import plugin
from tercel.plugins.scripts.commands import CommandsTask, ScriptTask


@plugin(
    "io.kestra.plugin.scripts.shell.Commands",
    aliases=("io.kestra.core.tasks.scripts.Bash", "io.kestra.plugin.scripts.shell.Bash"),
)
class ShellCommands(CommandsTask):
    """Shell commands (`/bin/sh -c` by default; any binary on PATH, e.g. `duckdb`, `psql`)."""


@plugin("io.kestra.plugin.scripts.shell.Script")
class ShellScript(ScriptTask):
    """A shell script body, run with `/bin/sh <file>`."""
