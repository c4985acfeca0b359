"""Kestra 2.0's execution context for scripts (`executionContext: true`).

The task writes the execution's variables as JSON to ``.kestra-execution-context.json`` in
the working directory (and, when small, base64-encoded in ``KESTRA_CONTEXT``), where
``from kestra import context`` reads them: a script reads ``context.outputs.extract.uri`` as
data instead of having a template pasted into its source. Server-wide values (``envs``,
``globals``) are left out, and secrets are never in the variables.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tercel.plugins.context import TaskContext

CONTEXT_FILE = ".kestra-execution-context.json"
#: Above this, only the file carries the context (environments have size limits).
MAX_ENVIRONMENT_BYTES = 32 * 1024
_SHARED = ("flow", "execution", "task", "taskrun", "inputs", "outputs", "labels", "trigger")
_OPTIONAL = ("vars", "parent", "parents", "namespace")


def context_data(variables: Mapping[str, Any]) -> dict[str, Any]:
    """The variables a script may read, as JSON values."""
    data = {key: variables[key] for key in (*_SHARED, *_OPTIONAL) if key in variables}
    loaded: dict[str, Any] = json.loads(json.dumps(data, default=str))
    return loaded


def write_execution_context(ctx: TaskContext, working_dir: Path, env: dict[str, str]) -> Path:
    """Write the context file into `working_dir`; set ``KESTRA_CONTEXT`` when it is small."""
    text = json.dumps(context_data(ctx.variables), separators=(",", ":"))
    path = working_dir / CONTEXT_FILE
    path.write_text(text, encoding="utf-8")
    encoded = base64.b64encode(text.encode()).decode("ascii")
    if len(encoded) <= MAX_ENVIRONMENT_BYTES:
        env["KESTRA_CONTEXT"] = encoded
    return path
