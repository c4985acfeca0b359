"""Image builds and pushes through the Docker Engine API (the socket the container runner uses).

The runner's client (`tercel.runners.docker_api`) covers containers; builds need a streamed
upload of the build context and a streamed JSON progress answer, done here with the same
engine address (``$DOCKER_HOST`` or the default socket) and API version.
"""

from __future__ import annotations

import base64
import io
import json
import re
import tarfile
from collections.abc import AsyncIterator, Callable, Mapping
from pathlib import Path
from typing import Any

import httpx

from tercel.errors import TaskError
from tercel.runners.docker_api import API_VERSION, engine_url, socket_path

_BUILT = re.compile(r"Successfully built ([0-9a-f]{12,64})")


def context_tar(root: Path) -> bytes:
    """The build context: every file under `root` in a tar archive (paths relative to it)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for path in sorted(root.rglob("*")):
            archive.add(path, arcname=path.relative_to(root).as_posix(), recursive=False)
    return buffer.getvalue()


def registry_header(credentials: Mapping[str, str]) -> str:
    """The base64url JSON the engine expects in X-Registry-Auth."""
    return base64.urlsafe_b64encode(json.dumps(dict(credentials)).encode()).decode()


class BuildClient:
    """Build and push images on one engine; use as ``async with BuildClient(host) as c``."""

    def __init__(self, host: str | None = None) -> None:
        self.url = engine_url(host)
        path = socket_path(self.url)
        if path is not None:
            transport = httpx.AsyncHTTPTransport(uds=str(path))
            base = "http://engine"
        elif self.url.startswith(("tcp://", "http://")):
            transport = httpx.AsyncHTTPTransport()
            base = "http://" + self.url.split("://", 1)[1]
        else:
            raise TaskError(f"unsupported container engine address `{self.url}`")
        self._http = httpx.AsyncClient(
            transport=transport, base_url=f"{base}/{API_VERSION}", timeout=httpx.Timeout(60.0)
        )

    async def __aenter__(self) -> BuildClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self._http.aclose()

    async def build(
        self,
        context: bytes,
        *,
        dockerfile: str,
        tags: list[str],
        build_args: Mapping[str, str],
        labels: Mapping[str, str],
        pull: bool,
        platform: str | None,
        registry_config: Mapping[str, Mapping[str, str]] | None,
        log: Callable[[str, str], None],
    ) -> str:
        """Build; stream the engine's progress to `log`; return the image id."""
        params: list[tuple[str, str]] = [("t", tag) for tag in tags]
        params += [
            ("dockerfile", dockerfile),
            ("buildargs", json.dumps(dict(build_args))),
            ("labels", json.dumps(dict(labels))),
            ("pull", "1" if pull else "0"),
            ("rm", "1"),
            ("forcerm", "1"),
        ]
        if platform:
            params.append(("platform", platform))
        headers = {"Content-Type": "application/x-tar"}
        if registry_config:
            headers["X-Registry-Config"] = registry_header_map(registry_config)
        image_id: str | None = None
        async for message in self._stream("POST", "/build", params, headers, context):
            aux = message.get("aux")
            if isinstance(aux, dict) and isinstance(aux.get("ID"), str):
                image_id = aux["ID"]
            text = message.get("stream")
            if isinstance(text, str) and text.strip():
                found = _BUILT.search(text)
                if found and image_id is None:
                    image_id = found.group(1)
                for line in text.rstrip("\n").splitlines():
                    log("INFO", line)
        if image_id is None and tags:
            image_id = await self.image_id(tags[0])
        if image_id is None:
            raise TaskError("the engine built the image but did not say its id")
        return image_id

    async def push(
        self, tag: str, auth: Mapping[str, str] | None, log: Callable[[str, str], None]
    ) -> None:
        """Push `tag` (``name:tag``) to its registry."""
        name, _, version = tag.rpartition(":") if ":" in tag.rsplit("/", 1)[-1] else (tag, "", "")
        headers = {"X-Registry-Auth": registry_header(auth or {})}
        params = [("tag", version or "latest")]
        async for message in self._stream(
            "POST", f"/images/{name or tag}/push", params, headers, None
        ):
            status = message.get("status")
            if isinstance(status, str) and not message.get("progressDetail"):
                log("DEBUG", status)

    async def image_id(self, name: str) -> str | None:
        """The id of a local image, or None."""
        response = await self._http.get(f"/images/{name}/json")
        if response.status_code != 200:
            return None
        found = response.json().get("Id")
        return str(found) if found else None

    async def _stream(
        self,
        method: str,
        path: str,
        params: list[tuple[str, str]],
        headers: Mapping[str, str],
        body: bytes | None,
    ) -> AsyncIterator[dict[str, Any]]:
        try:
            query = httpx.QueryParams([(key, value) for key, value in params])
            async with self._http.stream(
                method, path, params=query, headers=dict(headers), content=body, timeout=None
            ) as response:
                if response.status_code >= 300:
                    text = (await response.aread()).decode(errors="replace")
                    raise TaskError(
                        f"container engine: {path}: {response.status_code} {_msg(text)}"
                    )
                async for line in response.aiter_lines():
                    if not line.strip():
                        continue
                    try:
                        message = json.loads(line)
                    except ValueError:
                        continue
                    if isinstance(message, dict):
                        if message.get("error"):
                            raise TaskError(f"image build failed: {str(message['error']).strip()}")
                        yield message
        except httpx.HTTPError as error:
            raise TaskError(f"cannot reach the container engine at {self.url}: {error}") from None


def registry_header_map(config: Mapping[str, Mapping[str, str]]) -> str:
    """X-Registry-Config: registry → credentials, base64 JSON."""
    return base64.urlsafe_b64encode(
        json.dumps({k: dict(v) for k, v in config.items()}).encode()
    ).decode()


def _msg(text: str) -> str:
    try:
        data = json.loads(text)
    except ValueError:
        return text[:300]
    if isinstance(data, dict) and "message" in data:
        return str(data["message"])
    return text[:300]
