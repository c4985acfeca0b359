"""`tercel flow export` / `tercel flow import` against a server process."""

from __future__ import annotations

import zipfile
from pathlib import Path

from ascode_helpers import Server, tercel

HELLO = """\
id: hello
namespace: company.team
tasks:
  - id: say
    type: io.kestra.plugin.core.log.Log
    message: hi
"""


def test_export_to_a_zip_and_import_it_back(server: Server, tmp_path: Path) -> None:
    for source in (HELLO, HELLO.replace("id: hello", "id: second")):
        server.api("POST", "/flows", content=source, headers={"Content-Type": "application/x-yaml"})
    archive = tmp_path / "flows.zip"
    exported = tercel("flow", "export", "-o", str(archive), "--server", server.url)
    assert exported.returncode == 0, exported.stderr
    assert "2 flow(s) exported" in exported.stdout
    with zipfile.ZipFile(archive) as bundle:
        assert bundle.read("company.team-hello.yml").decode() == HELLO

    for flow_id in ("hello", "second"):
        server.api("DELETE", f"/flows/company.team/{flow_id}")
    imported = tercel("flow", "import", str(archive), "--server", server.url)
    assert imported.returncode == 0, imported.stderr
    restored = server.api("GET", "/flows/company.team/hello", params={"source": True}).json()
    assert restored["source"] == HELLO
    assert server.api("GET", "/flows/company.team/second").status_code == 200

    broken = tmp_path / "broken.yml"
    broken.write_text("id: x\nnamespace: company.team\ntasks: nope\n")
    refused = tercel("flow", "import", str(broken), "--server", server.url)
    assert refused.returncode == 1
    assert "not imported (invalid): 0" in refused.stderr
