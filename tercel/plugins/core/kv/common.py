"""What the KV tasks share: the `namespace` property and store errors as task errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from pydantic import Field

from tercel.errors import ConflictError, InputError, TaskError, TercelError
from tercel.model.names import namespace_problem
from tercel.plugins.context import RunnableTask, TaskContext
from tercel.plugins.core.templating.properties import require_str

T = TypeVar("T")

DEFAULT_NAMESPACE = "{{ flow.namespace }}"


class KVTask(RunnableTask):
    """A task on the KV store of `namespace` (the flow's own by default)."""

    namespace: str = Field(
        default=DEFAULT_NAMESPACE,
        description="Namespace whose KV store to use; the flow's namespace by default.",
    )

    def kv_namespace(self, ctx: TaskContext) -> str:
        """The rendered namespace."""
        namespace = require_str(ctx, self.namespace, "namespace")
        problem = namespace_problem(namespace)
        if problem is not None:
            raise TaskError(f"namespace: {problem}")
        return namespace


def kv_call(action: Callable[[], T]) -> T:
    """Run a KV store call; a store error (bad key, wrong type, conflict) fails the task."""
    try:
        return action()
    except TaskError:
        raise
    except (ConflictError, InputError) as error:
        raise TaskError(str(error)) from error
    except TercelError as error:
        # InvalidNameError and friends: the message already says what is allowed.
        raise TaskError(str(error)) from error
