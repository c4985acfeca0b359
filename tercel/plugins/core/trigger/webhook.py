"""The Webhook trigger: start an execution on an HTTP call to a secret URL."""

from __future__ import annotations

from pydantic import model_validator
from pydantic_core import PydanticCustomError

from tercel.model.registry import Category, plugin
from tercel.model.trigger import Trigger

MULTIPLE_CONDITION = "io.kestra.plugin.core.condition.MultipleCondition"


@plugin(
    "io.kestra.plugin.core.trigger.Webhook",
    category=Category.TRIGGER,
    aliases=("io.kestra.core.models.triggers.types.Webhook",),
)
class Webhook(Trigger):
    """``/api/v1/{tenant}/executions/webhook/{namespace}/{flowId}/{key}`` starts the flow."""

    #: The secret part of the webhook URL (may be a template, e.g. a secret).
    key: str
    #: Answer only when the execution has ended.
    wait: bool = False
    #: With `wait`, answer with the flow outputs.
    return_outputs: bool = False
    response_content_type: str | None = None

    @model_validator(mode="after")
    def _no_multiple_condition(self) -> Webhook:
        for index, condition in enumerate(self.conditions):
            if condition.type == MULTIPLE_CONDITION:
                raise PydanticCustomError(
                    "webhook_multiple_condition",
                    "a Webhook trigger cannot use a MultipleCondition",
                    {"property": ["conditions", index, "type"]},
                )
        return self
