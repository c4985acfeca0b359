"""Secrets in inputs and outputs: sealed while written, real for the engine, masked when shown."""

from __future__ import annotations

from tercel.engine.execution import Execution, ExecutionTrigger, TaskRun
from tercel.engine.state import StateTrail
from tercel.secrets.masking import MASK, SecretMasker
from tercel.secrets.sealing import OutputSealer, is_sealed

SECRET = "s3cr3t-value"


def _execution() -> Execution:
    execution = Execution("e1", "ns", "flow", 1, state=StateTrail())
    execution.inputs = {"password": SECRET, "user": "ada"}
    execution.outputs = {"token": f"Bearer {SECRET}", "count": 3}
    execution.trigger = ExecutionTrigger("hook", "Webhook", {"body": {"pw": SECRET}})
    run = TaskRun("t1", "e1", "ns", "flow", "ret", state=StateTrail())
    run.outputs = {"value": SECRET, "list": ["plain", SECRET]}
    execution.task_run_list.append(run)
    return execution


def test_written_values_are_sealed_and_the_engine_keeps_the_real_ones() -> None:
    masker = SecretMasker([SECRET])
    sealer = OutputSealer(masker, b"k" * 32)
    execution = _execution()
    with sealer.sealed(execution):
        written = execution.to_wire()
    assert SECRET not in str(written)
    assert is_sealed(written["inputs"]["password"])
    assert written["inputs"]["user"] == "ada"
    assert written["outputs"]["count"] == 3
    assert written["taskRunList"][0]["outputs"]["list"][0] == "plain"
    # After the write the execution holds the real values again.
    assert execution.task_run_list[0].outputs == {"value": SECRET, "list": ["plain", SECRET]}
    assert execution.outputs == {"token": f"Bearer {SECRET}", "count": 3}


def test_a_new_process_reads_them_back_and_masks_them_again() -> None:
    sealer = OutputSealer(SecretMasker([SECRET]), b"k" * 32)
    execution = _execution()
    with sealer.sealed(execution):
        written = execution.to_wire()
    fresh = SecretMasker()
    loaded = OutputSealer(fresh, b"k" * 32).unseal_execution(Execution.from_wire(written))
    assert loaded.outputs == {"token": f"Bearer {SECRET}", "count": 3}
    assert loaded.trigger is not None
    assert loaded.trigger.variables == {"body": {"pw": SECRET}}
    assert SECRET in fresh
    assert fresh.mask_value(loaded.to_wire())["outputs"]["token"] == MASK


def test_shown_values_are_masked_whole_and_inside_strings() -> None:
    masker = SecretMasker([SECRET])
    shown = masker.mask_value(
        {
            "a": SECRET,
            "b": [f"x {SECRET} y"],
            "c": {"type": "io.kestra.datatype:aes_encrypted", "value": "abc"},
            "d": 1,
        }
    )
    assert shown == {"a": MASK, "b": [f"x {MASK} y"], "c": MASK, "d": 1}


def test_sealed_with_another_key_shows_as_masked() -> None:
    execution = _execution()
    with OutputSealer(SecretMasker([SECRET]), b"k" * 32).sealed(execution):
        written = execution.to_wire()
    other = OutputSealer(SecretMasker(), b"o" * 32).unseal_execution(Execution.from_wire(written))
    assert other.inputs == {"password": MASK, "user": "ada"}


def test_nothing_is_sealed_before_a_secret_is_known() -> None:
    execution = _execution()
    with OutputSealer(SecretMasker(), b"k" * 32).sealed(execution):
        assert execution.inputs == {"password": SECRET, "user": "ada"}
