"""Secret values in inputs and outputs: encrypted at rest, masked when shown, real in flows.

A task may return a secret (``Return`` of ``{{ secret('TOKEN') }}``, a script printing it
as an output), a flow output may be typed SECRET, an input may be typed SECRET. The engine
keeps working with the real value: the next task renders ``{{ outputs.t.value }}`` to the
secret itself, as Kestra renders an encrypted output back to its value. But:

* at rest, every input, output or trigger-variable string that contains a known secret
  value (one the masker has seen: ``secret()`` results, SECRET inputs, SECRET flow outputs)
  is replaced by
  Kestra's encrypted-string shape, ``{"type": "io.kestra.datatype:aes_encrypted",
  "value": <base64 AES-256-GCM>}`` (`seal`); reading it back for the engine decrypts it and
  registers the value with the masker again (`unseal`), so a restart still masks it;
* wherever it is shown (API, SSE, UI), known values are replaced by `MASK` and encrypted
  strings are shown as `MASK` (`SecretMasker.mask_value`).
"""

from __future__ import annotations

import base64
import contextlib
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tercel.errors import SecretError
from tercel.secrets.crypto import SecretCipher
from tercel.secrets.masking import ENCRYPTED_TYPE, MASK, SecretMasker

if TYPE_CHECKING:
    from tercel.engine.execution import Execution, TaskRun

#: Associated data of every sealed value: a sealed value may move between executions
#: (a subflow's outputs become its parent's), so it is not bound to one.
_CONTEXT = "tercel/output"


def is_sealed(value: object) -> bool:
    """True for an encrypted string in Kestra's shape."""
    return (
        isinstance(value, dict)
        and len(value) == 2
        and value.get("type") == ENCRYPTED_TYPE
        and isinstance(value.get("value"), str)
    )


class OutputSealer:
    """Seals and unseals the inputs and outputs of executions; see the module docstring.

    Without a key, one is drawn for this process: values sealed by an earlier process can
    then not be read back and become `MASK` (the server always gives its persistent key).
    """

    def __init__(self, masker: SecretMasker, key: bytes | None = None) -> None:
        self.masker = masker
        self._cipher = SecretCipher(key if key is not None else os.urandom(32))

    # -- values ----------------------------------------------------------------------------------
    def seal(self, value: Any) -> Any:
        """`value` with every string that holds a known secret encrypted (a copy if changed)."""
        if isinstance(value, str):
            if not self.masker.found_in(value):
                return value
            blob = self._cipher.encrypt(value, _CONTEXT)
            return {"type": ENCRYPTED_TYPE, "value": base64.b64encode(blob).decode()}
        if isinstance(value, dict):
            if is_sealed(value):
                return value
            return {key: self.seal(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.seal(item) for item in value]
        return value

    def unseal(self, value: Any) -> Any:
        """`value` with encrypted strings decrypted (and registered with the masker)."""
        if isinstance(value, dict):
            if is_sealed(value):
                try:
                    plain = self._cipher.decrypt(base64.b64decode(value["value"]), _CONTEXT)
                except (SecretError, ValueError):
                    return MASK  # sealed with another key: the value is gone, not shown
                self.masker.add(plain)
                return plain
            return {key: self.unseal(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.unseal(item) for item in value]
        return value

    # -- executions ------------------------------------------------------------------------------
    @contextlib.contextmanager
    def sealed(
        self, execution: Execution, task_runs: Iterable[TaskRun] | None = None
    ) -> Iterator[None]:
        """While the block runs (a store write), `execution` holds sealed values.

        `task_runs` are the ones written (all when None). The real values are put back
        afterwards: the engine goes on with them. Nothing to do until a secret is known.
        """
        if not len(self.masker):
            yield
            return
        runs = execution.task_run_list if task_runs is None else list(task_runs)
        trigger = execution.trigger
        saved_inputs, saved_outputs = execution.inputs, execution.outputs
        saved_variables = trigger.variables if trigger is not None else None
        saved_runs = [(run, run.outputs) for run in runs]
        try:
            execution.inputs = self.seal(execution.inputs)
            execution.outputs = self.seal(execution.outputs)
            if trigger is not None:
                trigger.variables = self.seal(trigger.variables)
            for run in runs:
                run.outputs = self.seal(run.outputs)
            yield
        finally:
            execution.inputs, execution.outputs = saved_inputs, saved_outputs
            if trigger is not None and saved_variables is not None:
                trigger.variables = saved_variables
            for run, outputs in saved_runs:
                run.outputs = outputs

    def unseal_execution(self, execution: Execution) -> Execution:
        """Decrypt, in place, what `sealed` encrypted in an execution read from the store."""
        execution.inputs = self.unseal(execution.inputs)
        execution.outputs = self.unseal(execution.outputs)
        if execution.trigger is not None:
            execution.trigger.variables = self.unseal(execution.trigger.variables)
        for run in execution.task_run_list:
            run.outputs = self.unseal(run.outputs)
        return execution


def home_key(path: Path) -> bytes:
    """The key kept at `path` (created, readable by its owner only, on first use).

    For a server without a configured encryption key: its secrets in outputs are still
    not in clear in the database, and stay readable across restarts of the same home.
    """
    try:
        return base64.b64decode(path.read_bytes(), validate=True)
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = os.urandom(32)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(base64.b64encode(key))
    return key
