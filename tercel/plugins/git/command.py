"""Running the `git` command line for a task: no prompts, credentials kept out of argv and logs."""

from __future__ import annotations

import asyncio
import os
import shlex
import stat
from collections.abc import Mapping
from pathlib import Path

from tercel.errors import TaskError

_ASKPASS = """#!/bin/sh
case "$1" in
  Username*) printf '%s\\n' "$TERCEL_GIT_USERNAME" ;;
  *) printf '%s\\n' "$TERCEL_GIT_PASSWORD" ;;
esac
"""


def credential_env(
    scratch: Path,
    *,
    username: str | None,
    password: str | None,
    private_key: str | None,
) -> dict[str, str]:
    """Environment that answers git's prompts from values, never from a terminal.

    HTTP(S) credentials go through a GIT_ASKPASS script that reads them from the
    environment (they never appear in the URL, argv or `.git/config`); an SSH private key is
    written to a 0600 file used by GIT_SSH_COMMAND.
    """
    env = {"GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "/bin/false"}
    if username or password:
        script = scratch / "askpass.sh"
        script.write_text(_ASKPASS)
        script.chmod(stat.S_IRWXU)
        env["GIT_ASKPASS"] = str(script)
        env["TERCEL_GIT_USERNAME"] = username or ""
        env["TERCEL_GIT_PASSWORD"] = password or ""
    if private_key:
        key = scratch / "id_key"
        key.write_text(private_key if private_key.endswith("\n") else private_key + "\n")
        key.chmod(stat.S_IRUSR | stat.S_IWUSR)
        env["GIT_SSH_COMMAND"] = (
            f"ssh -i {shlex.quote(str(key))} -o IdentitiesOnly=yes "
            "-o StrictHostKeyChecking=accept-new -o BatchMode=yes"
        )
    return env


async def git(
    *args: str,
    cwd: Path,
    env: Mapping[str, str],
    timeout: float | None = None,
    secrets: tuple[str, ...] = (),
) -> str:
    """Run `git args...`; return stdout, or raise `TaskError` (secrets hidden in its message)."""
    process = await asyncio.create_subprocess_exec(
        "git",
        *args,
        cwd=cwd,
        env={**os.environ, **env},
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(), timeout)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise TaskError(f"git {args[0]} timed out") from None
    if process.returncode != 0:
        message = stderr.decode(errors="replace").strip() or f"exit code {process.returncode}"
        for secret in secrets:
            if secret:
                message = message.replace(secret, "******")
        raise TaskError(f"git {args[0]} failed: {message[-800:]}")
    return stdout.decode(errors="replace")
