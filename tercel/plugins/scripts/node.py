"""`io.kestra.plugin.scripts.node.{Script,Commands}`."""

from __future__ import annotations

from typing import ClassVar

from tercel.model.registry import plugin
from tercel.plugins.scripts.commands import CommandsTask, ScriptTask


@plugin("io.kestra.plugin.scripts.node.Commands")
class NodeCommands(CommandsTask):
    """Shell commands that run Node.js programs (`node main.js`)."""

    default_image: ClassVar[str] = "node"


@plugin("io.kestra.plugin.scripts.node.Script")
class NodeScript(ScriptTask):
    """A JavaScript body, run with `node <file>.js`."""

    default_image: ClassVar[str] = "node"
    extension: ClassVar[str] = ".js"
    program: ClassVar[str] = "node"
