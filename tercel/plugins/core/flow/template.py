"""`flow.Template` (deprecated, removed from Kestra): declared only to refuse it clearly."""

from __future__ import annotations

from typing import Any

from pydantic import model_validator
from pydantic_core import PydanticCustomError

from tercel.model.registry import plugin
from tercel.model.task import Task


@plugin("io.kestra.plugin.core.flow.Template", aliases=("io.kestra.core.tasks.flows.Template",))
class Template(Task):
    """Kestra's templates are gone; Tercel refuses them and names the replacement."""

    namespace: str | None = None
    template_id: str | None = None
    args: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _refused(self) -> Template:
        raise PydanticCustomError(
            "template_unsupported",
            "the Template task is deprecated and not supported: move the template's tasks "
            "into a flow and call it with `io.kestra.plugin.core.flow.Subflow`",
        )
