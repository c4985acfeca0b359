"""Git credentials go through files and the environment, never the command line."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tercel.plugins.git.command import credential_env

pytestmark = pytest.mark.unit


def test_askpass_answers_username_and_password_prompts(tmp_path: Path) -> None:
    env = credential_env(tmp_path, username="ada", password="s3cret", private_key=None)
    assert env["GIT_TERMINAL_PROMPT"] == "0"
    script = env["GIT_ASKPASS"]
    asked = {
        prompt: subprocess.run(
            [script, prompt], env=env, capture_output=True, text=True, check=True
        ).stdout.strip()
        for prompt in ("Username for 'https://h': ", "Password for 'https://ada@h': ")
    }
    assert list(asked.values()) == ["ada", "s3cret"]
    assert "s3cret" not in Path(script).read_text()


def test_private_key_is_private_and_used_by_ssh(tmp_path: Path) -> None:
    env = credential_env(tmp_path, username=None, password=None, private_key="KEY")
    key = tmp_path / "id_key"
    assert key.read_text() == "KEY\n"
    assert key.stat().st_mode & 0o777 == 0o600
    assert f"-i {key}" in env["GIT_SSH_COMMAND"]
    assert env["GIT_ASKPASS"] == "/bin/false"
