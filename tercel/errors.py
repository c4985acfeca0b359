"""The one exception tree of Tercel.

Every error a user can cause says *where* (file, line, column, flow, task) and *what to do*.
Code raises the most specific class; callers catch the broadest one they can handle::

    TercelError
    ├── FlowError                  a flow definition is wrong
    │   └── FlowValidationError    one or more problems, each with a position (see `Problem`)
    ├── TemplateError              a `{{ ... }}` expression failed
    │   ├── TemplateSyntaxError    it does not parse
    │   ├── UndefinedVariableError it names a variable that does not exist (strict mode)
    │   └── TemplateSecurityError  it tried to escape the sandbox or exhaust resources
    ├── InputError                 an execution input is missing or has the wrong type
    ├── ExecutionError             something went wrong while running an execution
    │   ├── TaskError              a task failed (the message is shown to the user)
    │   │   ├── TaskTimeoutError   a task ran longer than its `timeout`
    │   │   └── ScriptError        a script failed; its outputs are kept
    │   ├── PluginNotRunnableError a type is declared but cannot run yet
    │   └── EngineStepError        the executor could not apply an event (names the task run)
    ├── NotFoundError              a flow, execution, file or key does not exist
    ├── ConflictError              it already exists, or the state forbids the change
    │   └── StaleStateError        a plan's objects moved on the server since it was made
    ├── StoreError                 the database or the internal storage failed
    │   └── StorageUnavailableError  internal storage cannot be reached
    ├── SecretError                a secret is missing, or cannot be stored safely
    ├── InvalidNameError           a key, namespace, secret name or URI is not allowed
    ├── StorageAccessError         a flow may not read or delete that internal file
    └── AccessError                the caller may not do this
        ├── AuthenticationError    no valid credentials (401)
        ├── PermissionDeniedError  valid credentials, missing permission (403)
        └── TooManyAttemptsError   too many failed logins: wait (429)
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a document, at a position a user can jump to.

    `line` and `column` are 1-based, as editors show them; 0 means "unknown".
    """

    message: str
    path: str = "<string>"
    line: int = 0
    column: int = 0
    hint: str | None = None
    #: Dotted location inside the document, e.g. ``tasks[2].message``.
    location: str = ""
    severity: str = "error"

    def format(self) -> str:
        """Render as ``path:line:col: message (hint)``, the form editors and CI parse."""
        text = f"{self.path}:{self.line}:{self.column}: {self.message}"
        if self.hint:
            text += f" ({self.hint})"
        return text


class TercelError(Exception):
    """Base of every error Tercel raises on purpose."""


class FlowError(TercelError):
    """A flow definition is wrong."""


class FlowValidationError(FlowError):
    """A document failed validation; `problems` lists every problem, not only the first."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(problem.format() for problem in problems))


class TemplateError(TercelError):
    """A template expression failed to parse or render."""


class TemplateSyntaxError(TemplateError):
    """A template does not parse."""


class UndefinedVariableError(TemplateError):
    """A template refers to a variable or key that does not exist."""


class TemplateSecurityError(TemplateError):
    """A template tried to escape the sandbox or to exhaust time or memory."""


class InputError(TercelError):
    """An execution input is missing, undeclared where required, or of the wrong type."""


class ExecutionError(TercelError):
    """Something went wrong while running an execution."""


class TaskError(ExecutionError):
    """A task failed; the message is what the user sees in the logs and the UI."""


class TaskTimeoutError(TaskError):
    """A task ran longer than its `timeout`."""


class ScriptError(TaskError):
    """A script failed (non-zero exit, timeout, memory cap); its `outputs` are still kept.

    The worker records `outputs` (exit code, protocol vars, output files) on the task run,
    as Kestra does for a failed script.
    """

    def __init__(self, message: str, outputs: dict[str, object]) -> None:
        super().__init__(message)
        self.outputs = outputs


class PluginNotRunnableError(ExecutionError):
    """A task type is declared (it validates) but this version cannot run it yet."""


class EngineStepError(ExecutionError):
    """Deciding an event failed unexpectedly; `task_run_id` is the task run it was about.

    The runtime fails that task run (and the execution) with this message instead of
    leaving anything RUNNING.
    """

    def __init__(self, message: str, task_run_id: str | None) -> None:
        super().__init__(message)
        self.task_run_id = task_run_id


class NotFoundError(TercelError):
    """A flow, execution, file, key or namespace does not exist."""


class ConflictError(TercelError):
    """The object already exists, or its current state forbids the change."""


class StaleStateError(ConflictError):
    """Objects a plan would change moved since it was made; `moved` says which and how.

    Each entry is ``{"kind", "name", "expected", "actual"}`` (fingerprints, None = absent).
    """

    def __init__(self, message: str, moved: list[dict[str, object]]) -> None:
        super().__init__(message)
        self.moved = moved


class StoreError(TercelError):
    """The database or internal storage failed."""


class SecretError(TercelError):
    """A secret is missing, or cannot be stored safely (e.g. no encryption key)."""


class InvalidNameError(TercelError):
    """A KV key, namespace, secret name or storage URI does not match its allowed form."""


class StorageUnavailableError(StoreError):
    """Internal storage cannot be reached (bad URL, unknown bucket, refused credentials)."""


class StorageAccessError(TercelError):
    """A flow asked for an internal-storage file its execution may not read or delete."""


class AccessError(TercelError):
    """The caller may not do this (see `tercel.access`)."""


class AuthenticationError(AccessError):
    """No valid credentials were given."""


class PermissionDeniedError(AccessError):
    """The caller is known but lacks the permission the request needs (the message names it)."""


class TooManyAttemptsError(AccessError):
    """Too many failed logins for a user or an address: retry after `retry_after` seconds."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after
