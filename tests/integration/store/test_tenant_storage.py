"""`TenantStorage`: one URI names a different file in each tenant, on a real directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from tercel.errors import InvalidNameError, NotFoundError
from tercel.storage.local import LocalStorage
from tercel.storage.tenant import drop_tenant_files, tenant_storage

URI = "kestra:///company/team/_files/notes.txt"


def test_the_same_uri_is_a_different_file_in_each_tenant(tmp_path: Path) -> None:
    disk = LocalStorage(tmp_path)
    main, acme = tenant_storage(disk, "main"), tenant_storage(disk, "acme")
    main.put(URI, b"main")
    assert not acme.exists(URI)
    with pytest.raises(NotFoundError):
        acme.get(URI)
    acme.put(URI, b"acme")
    assert main.get(URI) == b"main"
    assert acme.get(URI) == b"acme"
    assert acme.list("kestra:///company/") == [URI]
    assert main.list("kestra:///") == [URI]  # never the other tenants' folder
    # Installs from before tenants keep their files where they were.
    assert (tmp_path / "company/team/_files/notes.txt").read_bytes() == b"main"


def test_the_default_tenant_cannot_name_the_other_tenants_folder(tmp_path: Path) -> None:
    disk = LocalStorage(tmp_path)
    tenant_storage(disk, "acme").put(URI, b"acme")
    main = tenant_storage(disk, "main")
    with pytest.raises(InvalidNameError):
        main.get("kestra:///.tenants/acme/company/team/_files/notes.txt")
    with pytest.raises(InvalidNameError):  # the root is a folder: never one delete
        main.delete("kestra:///")
    with pytest.raises(InvalidNameError):
        main.delete_prefix("kestra:///")
    assert tenant_storage(disk, "acme").exists(URI)


def test_deleting_a_tenant_drops_its_files_only(tmp_path: Path) -> None:
    disk = LocalStorage(tmp_path)
    tenant_storage(disk, "main").put(URI, b"main")
    tenant_storage(disk, "acme").put(URI, b"acme")
    drop_tenant_files(disk, "acme")
    assert not tenant_storage(disk, "acme").exists(URI)
    assert tenant_storage(disk, "main").get(URI) == b"main"
