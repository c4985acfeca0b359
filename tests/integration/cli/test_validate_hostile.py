"""`tercel validate` and `tercel execution start` on hostile input, as subprocesses."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

TERCEL = str(Path(sys.executable).parent / "tercel")
BOMB = Path(__file__).resolve().parents[2] / "fixtures" / "hostile" / "alias-bomb.yml"


def validate(path: Path) -> subprocess.CompletedProcess[str]:
    # The bound is the test: before the alias limit this ran until memory was exhausted.
    return subprocess.run(
        [TERCEL, "validate", str(path)], capture_output=True, text=True, timeout=30, check=False
    )


def test_an_alias_bomb_is_one_problem_at_the_alias_not_a_hang() -> None:
    result = validate(BOMB)
    assert result.returncode == 1
    # `l5` (line 8) is the level that passes 100,000 values: its 8th alias is named.
    assert f"{BOMB}:8:45:" in result.stdout
    assert "YAML aliases expand" in result.stdout


def test_deep_nesting_is_a_positioned_problem_not_a_crash(tmp_path: Path) -> None:
    deep = tmp_path / "deep.yml"
    deep.write_text("id: deep\nnamespace: n\nx: " + "[" * 100_000 + "]" * 100_000 + "\n")
    result = validate(deep)
    assert result.returncode == 1, result.stderr
    assert f"{deep}:3:" in result.stdout
    assert "nested more than" in result.stdout


def test_execution_start_refuses_a_namespace_with_an_empty_segment() -> None:
    # Port 9 (discard) is closed here: the refusal must come before any connection.
    result = subprocess.run(
        [TERCEL, "execution", "start", "company..team", "hello", "--server", "http://127.0.0.1:9"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert "NAMESPACE: 'company..team' has an empty segment" in result.stderr
