"""`io.kestra.plugin.docker.Build`: build (and optionally push) an image from the working dir.

`dockerfile` is either a path in the working directory or the Dockerfile's content;
`inputFiles` and `namespaceFiles` put the rest of the build context there first. Output:
`imageId`.
"""

from __future__ import annotations

import asyncio
from typing import Any

from pydantic import Field

from tercel.errors import TaskError
from tercel.model.base import KestraModel
from tercel.model.registry import plugin
from tercel.plugins.context import RunnableTask, TaskContext, TaskResult
from tercel.plugins.core.templating.properties import (
    Text,
    render_bool,
    render_list,
    render_map,
    render_str,
    require_str,
)
from tercel.plugins.docker.engine import BuildClient, context_tar
from tercel.plugins.scripts.exec_script import NamespaceFiles
from tercel.plugins.scripts.files import copy_namespace_files, write_input_files

#: Where inline Dockerfile content is written (a project's own `Dockerfile` is left alone).
INLINE_DOCKERFILE = "Dockerfile.tercel"


class Credentials(KestraModel):
    """Registry credentials (Kestra's `credentials`)."""

    registry: Text | None = None
    username: Text | None = None
    password: Text | None = None
    registry_token: Text | None = None
    identity_token: Text | None = None
    auth: Text | None = None


@plugin("io.kestra.plugin.docker.Build")
class Build(RunnableTask):
    """Build an image with the Docker Engine API (Docker or Podman's socket)."""

    dockerfile: Text = Field(description="Path in the working dir, or the Dockerfile content.")
    tags: list[str] | str = Field(description="Image names with tags, e.g. registry/app:1.0.")
    build_args: dict[str, Any] | str | None = None
    labels: dict[str, Any] | str | None = None
    platforms: list[str] | str | None = None
    pull: bool | str = True
    push: bool | str = False
    credentials: Credentials | None = None
    host: Text | None = None
    config: Any = None
    input_files: dict[str, Any] | str | None = None
    namespace_files: NamespaceFiles | None = None

    async def run(self, ctx: TaskContext) -> TaskResult:
        """Stage the context, build, push when asked; return `imageId`."""
        if self.namespace_files is not None and render_bool(
            ctx, self.namespace_files.enabled, "namespaceFiles.enabled", True
        ):
            include = render_list(ctx, self.namespace_files.include, "namespaceFiles.include")
            exclude = render_list(ctx, self.namespace_files.exclude, "namespaceFiles.exclude")
            copy_namespace_files(ctx, [str(p) for p in include], [str(p) for p in exclude])
        write_input_files(ctx, self.input_files)
        dockerfile = self._dockerfile(ctx)
        tags = [str(tag) for tag in render_list(ctx, self.tags, "tags")]
        if not tags:
            raise TaskError("property `tags` needs at least one image name")
        platforms = [str(p) for p in render_list(ctx, self.platforms, "platforms")]
        context = await asyncio.to_thread(context_tar, ctx.working_dir)
        auth = self._auth(ctx)
        registry = (auth or {}).get("serveraddress", "")
        async with BuildClient(render_str(ctx, self.host)) as client:
            image_id = await client.build(
                context,
                dockerfile=dockerfile,
                tags=tags,
                build_args=_strings(render_map(ctx, self.build_args, "buildArgs")),
                labels=_strings(render_map(ctx, self.labels, "labels")),
                pull=render_bool(ctx, self.pull, "pull", True),
                platform=",".join(platforms) or None,
                registry_config={registry or "https://index.docker.io/v1/": auth} if auth else None,
                log=ctx.logger.log,
            )
            if render_bool(ctx, self.push, "push", False):
                for tag in tags:
                    await client.push(tag, auth, ctx.logger.log)
        message = f"built {image_id} as {', '.join(tags)}"
        ctx.logger.info(message)
        return TaskResult(outputs={"imageId": image_id})

    def _dockerfile(self, ctx: TaskContext) -> str:
        text = require_str(ctx, self.dockerfile, "dockerfile")
        root = ctx.working_dir.resolve()
        if "\n" not in text.strip():
            candidate = (root / text.strip()).resolve()
            if candidate.is_relative_to(root) and candidate.is_file():
                return candidate.relative_to(root).as_posix()
        (root / INLINE_DOCKERFILE).write_text(text if text.endswith("\n") else text + "\n")
        return INLINE_DOCKERFILE

    def _auth(self, ctx: TaskContext) -> dict[str, str] | None:
        if self.credentials is None:
            return None
        auth: dict[str, str] = {}
        for key, value in (
            ("serveraddress", self.credentials.registry),
            ("username", self.credentials.username),
            ("password", self.credentials.password),
            ("registrytoken", self.credentials.registry_token),
            ("identitytoken", self.credentials.identity_token),
            ("auth", self.credentials.auth),
        ):
            rendered = render_str(ctx, value)
            if rendered:
                auth[key] = rendered
        return auth or None


def _strings(values: dict[str, Any]) -> dict[str, str]:
    return {str(k): "" if v is None else str(v) for k, v in values.items()}
