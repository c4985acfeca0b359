"""Log lines are batched and masked; template services serve secrets, KV and files."""

from __future__ import annotations

import base64

import pytest
from runtime_helpers import Harness

from tercel.errors import SecretError, TemplateError
from tercel.runtime.logs import AttemptLogger, LogWriter
from tercel.runtime.services import MissingKeyError, SecretSource, secrets_from_env
from tercel.secrets.masking import SecretMasker
from tercel.store.memory import MemoryStore


def _logger(writer: LogWriter, min_level: str = "TRACE") -> AttemptLogger:
    return AttemptLogger(
        writer,
        tenant_id="main",
        namespace="ns",
        flow_id="f",
        execution_id="e1",
        task_id="t",
        task_run_id="tr",
        attempt_number=1,
        min_level=min_level,
    )


def test_lines_are_written_in_batches() -> None:
    store = MemoryStore()
    writer = LogWriter(store.logs, SecretMasker(), batch_size=3)
    logger = _logger(writer)
    logger.info("one")
    logger.info("two")
    assert store.logs.list("e1") == []
    logger.warning("three")
    assert [(e.level, e.message) for e in store.logs.list("e1")] == [
        ("INFO", "one"),
        ("INFO", "two"),
        ("WARN", "three"),
    ]


def test_lines_below_the_task_log_level_are_dropped() -> None:
    store = MemoryStore()
    writer = LogWriter(store.logs, SecretMasker())
    logger = _logger(writer, min_level="INFO")
    logger.debug("noise")
    logger.error("kept")
    writer.flush()
    assert [e.message for e in store.logs.list("e1")] == ["kept"]


def test_a_secret_read_by_a_template_is_masked_in_later_lines(harness: Harness) -> None:
    services = harness.services()
    logger = _logger(harness.writer)
    assert services.secret("token") == "s3cr3t-value"
    logger.info("the token is s3cr3t-value!")
    harness.writer.flush()
    assert [e.message for e in harness.store.logs.list("e1")] == ["the token is ******!"]


def test_secrets_come_from_base64_environment_variables() -> None:
    encoded = base64.b64encode(b"multi\nline").decode()
    wrapped = encoded[:4] + "\n" + encoded[4:]
    found = secrets_from_env({"SECRET_my_key": wrapped, "SECRET_BAD": "%%%", "OTHER": "x"})
    assert found == {"MY_KEY": "multi\nline"}


def test_a_missing_secret_names_the_variable_to_set(harness: Harness) -> None:
    with pytest.raises(SecretError, match="SECRET_NOPE"):
        harness.services().secret("nope")


def test_kv_reads_the_flow_namespace_by_default(harness: Harness) -> None:
    harness.store.kv.set("company.team", "k", {"a": 1})
    services = harness.services()
    assert services.kv(None, "k", True) == {"a": 1}
    assert services.kv(None, "missing", False) is None
    with pytest.raises(MissingKeyError, match="missing"):
        services.kv(None, "missing", True)


def test_read_serves_own_files_and_namespace_files_but_not_other_executions(
    harness: Harness,
) -> None:
    services = harness.services("exec1")
    own = "kestra:///company/team/flow/executions/exec1/tasks/t/tr/out.txt"
    other = "kestra:///company/team/flow/executions/other/tasks/t/tr/out.txt"
    harness.storage.put(own, b"mine")
    harness.storage.put(other, b"theirs")
    (harness.tmp_path / "files" / "company.team").mkdir(parents=True)
    (harness.tmp_path / "files" / "company.team" / "query.sql").write_text("select 1")
    assert services.read(own) == "mine"
    assert services.read("query.sql") == "select 1"
    assert services.file_exists(own)
    with pytest.raises(TemplateError, match="another execution"):
        services.read(other)


def test_stored_secrets_come_before_environment_ones() -> None:
    stored = {("main", "company.team", "TOKEN"): "from-the-store"}
    source = SecretSource(
        {"TOKEN": "from-env", "OTHER": "env-only"},
        lambda tenant, namespace, name: stored.get((tenant, namespace, name)),
    )
    assert source.get("main", "company.team", "token") == "from-the-store"
    assert source.get("main", "company.team", "other") == "env-only"
