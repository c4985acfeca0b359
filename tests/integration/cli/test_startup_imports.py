"""What a `tercel` command imports: only what it needs, so that it starts at once.

Wall-clock targets live in `bench/startup.py`; these tests pin the causes instead (which
modules a command loads), which do not depend on how busy the machine is.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HELLO = """\
id: hello
namespace: startup
tasks:
  - id: hello
    type: io.kestra.plugin.core.log.Log
    message: hello
"""

# Runs the CLI in-process and reports the modules loaded when it exits (Typer exits through
# SystemExit, so the report is written from an atexit hook).
PROBE = """
import atexit, json, sys
atexit.register(lambda: print("MODULES=" + json.dumps(sorted(sys.modules)), file=sys.stderr))
sys.argv = ["tercel", *json.loads(sys.argv[1])]
from tercel.cli.app import main
main()
"""


def modules_loaded_by(args: list[str], cache: Path, cwd: Path) -> set[str]:
    """Run `tercel ARGS` in a new interpreter and return the names of the modules it loaded."""
    env = {**os.environ, "TERCEL_CACHE_DIR": str(cache)}
    result = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(args)],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    line = next(line for line in result.stderr.splitlines() if line.startswith("MODULES="))
    return set(json.loads(line.removeprefix("MODULES=")))


@pytest.fixture
def hello(tmp_path: Path) -> Path:
    path = tmp_path / "hello.yml"
    path.write_text(HELLO)
    return path


def test_version_loads_no_model_store_or_http_client(tmp_path: Path) -> None:
    loaded = modules_loaded_by(["version"], tmp_path / "cache", tmp_path)
    # pydantic is not in the list: Typer itself validates its parameters with it.
    assert (
        not {"sqlalchemy", "httpx", "jinja2", "tercel.model.flow", "tercel.model.registry"} & loaded
    )


def test_validate_loads_no_store_and_no_http_client(hello: Path, tmp_path: Path) -> None:
    modules_loaded_by(["validate", str(hello)], tmp_path / "cache", tmp_path)  # builds the index
    loaded = modules_loaded_by(["validate", str(hello)], tmp_path / "cache", tmp_path)
    assert "tercel.model.flow" in loaded
    assert not {"sqlalchemy", "httpx"} & loaded


def test_run_imports_only_the_plugin_modules_of_the_types_the_flow_uses(
    hello: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    first = modules_loaded_by(["run", str(hello)], cache, tmp_path)
    # The first run builds the plugin index (importing every plugin once) ...
    assert "tercel.plugins.scripts.python" in first
    assert list(cache.glob("plugin-index-*.json"))
    # ... later runs import the module that registers `core.log.Log` and no other family.
    later = modules_loaded_by(["run", str(hello)], cache, tmp_path)
    assert "tercel.plugins.core.log" in later
    # Access control (argon2: ~0.1 s and 64 MB per hash) is a server's business.
    assert "argon2" not in later
    families = {name.split(".")[2] for name in later if name.startswith("tercel.plugins.")}
    assert families <= {"core", "context"}, families


def test_an_edited_plugin_module_makes_a_new_index(tmp_path: Path) -> None:
    from tercel.model import plugin_index

    plugin_file = tmp_path / "pkg" / "tercel_probe_plugin" / "__init__.py"
    plugin_file.parent.mkdir(parents=True)
    plugin_file.write_text("")
    sys.path.insert(0, str(plugin_file.parent.parent))
    try:
        entry_point = _entry_point("probe", "tercel_probe_plugin:register")
        before = plugin_index.fingerprint([entry_point])
        plugin_file.write_text("# changed\n")
        os.utime(plugin_file, ns=(1, 1))
        assert plugin_index.fingerprint([entry_point]) != before
    finally:
        sys.path.remove(str(plugin_file.parent.parent))


def test_an_unreadable_index_is_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tercel.model import plugin_index

    monkeypatch.setenv("TERCEL_CACHE_DIR", str(tmp_path))
    (tmp_path / "plugin-index-k.json").write_text("{not json")
    assert plugin_index.load("k") is None
    plugin_index.save("k", {"io.kestra.plugin.core.log.Log": "tercel.plugins.core.log"})
    assert plugin_index.load("k") == {"io.kestra.plugin.core.log.Log": "tercel.plugins.core.log"}


def _entry_point(name: str, value: str) -> object:
    from importlib.metadata import EntryPoint

    return EntryPoint(name=name, value=value, group="tercel.plugins")
