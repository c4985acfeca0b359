"""The two shapes of script task: inline `commands`, or a `script` body written to a file."""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from typing import Any, ClassVar

from pydantic import Field

from tercel.errors import TaskError
from tercel.plugins.context import TaskContext
from tercel.plugins.core.templating.properties import Text
from tercel.plugins.scripts.exec_script import ExecScript, render_lines


class CommandsTask(ExecScript):
    """Run `commands` (shell lines) after `beforeCommands`, in one interpreter call."""

    #: A YAML `- true` or `- 1` is the command `true` or `1`, as Kestra reads it.
    commands: list[Text] | str = Field(min_length=1)

    def main_commands(self, ctx: TaskContext, extra: Mapping[str, Any]) -> list[str]:
        """The rendered `commands`."""
        return [str(line) for line in render_lines(ctx, self.commands, extra)]


class ScriptTask(ExecScript):
    """Write `script` to a file in the working dir, then run it with `program`."""

    #: File extension of the script file (``.py``, ``.sh``, ``.js``).
    extension: ClassVar[str] = ".sh"
    #: The program that runs the file (a command name looked up on PATH).
    program: ClassVar[str] = "/bin/sh"

    script: str

    def main_commands(self, ctx: TaskContext, extra: Mapping[str, Any]) -> list[str]:
        """One line: `program <file>`, the file holding the rendered `script`."""
        body = ctx.render(self.script, extra)
        if not isinstance(body, str) or not body.strip():
            raise TaskError("property `script` is required and rendered to an empty value")
        # A hyphen keeps the file from being importable (a `json.py` would shadow the stdlib).
        path = ctx.working_dir / f"tercel-script-{self.id}{self.extension}"
        path.write_text(body if body.endswith("\n") else body + "\n")
        return [f"{self.program} {shlex.quote(str(path))}"]
