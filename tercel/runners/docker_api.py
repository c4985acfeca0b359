"""A small async client for the Docker Engine API (also served by Podman's socket).

Only what the container runner needs: ping, image inspect/pull, container create, start,
logs (the multiplexed stream), wait, inspect, kill, remove. It speaks API version 1.41,
the version Podman 4 implements, which current Docker engines still accept.
"""

from __future__ import annotations

import os
import struct
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from tercel.errors import TaskError

API_VERSION = "v1.41"
DEFAULT_SOCKET = "/var/run/docker.sock"
_FRAME_HEADER = struct.Struct(">BxxxL")
#: Stream ids of the multiplexed log stream.
STDOUT, STDERR = 1, 2


class EngineError(TaskError):
    """The container engine answered with an error (or could not be reached)."""


def engine_url(host: str | None = None) -> str:
    """The engine address: `host`, else ``$DOCKER_HOST``, else the default socket."""
    return host or os.environ.get("DOCKER_HOST") or f"unix://{DEFAULT_SOCKET}"


class DockerClient:
    """One connection pool to one engine. Use as ``async with DockerClient(url) as client``."""

    def __init__(self, url: str | None = None) -> None:
        self.url = engine_url(url)
        if self.url.startswith("unix://"):
            transport = httpx.AsyncHTTPTransport(uds=self.url.removeprefix("unix://"))
            base = "http://engine"
        elif self.url.startswith(("tcp://", "http://")):
            transport = httpx.AsyncHTTPTransport()
            base = "http://" + self.url.split("://", 1)[1]
        else:
            raise EngineError(f"unsupported container engine address `{self.url}`")
        self._http = httpx.AsyncClient(
            transport=transport, base_url=f"{base}/{API_VERSION}", timeout=httpx.Timeout(60.0)
        )

    async def __aenter__(self) -> DockerClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    async def _request(
        self, method: str, path: str, *, ok: tuple[int, ...] = (200, 201, 204), **kwargs: Any
    ) -> httpx.Response:
        try:
            response = await self._http.request(method, path, **kwargs)
        except httpx.HTTPError as error:
            raise EngineError(f"cannot reach the container engine at {self.url}: {error}") from None
        if response.status_code not in ok:
            raise EngineError(f"container engine: {method} {path}: {_message(response)}")
        return response

    async def ping(self) -> bool:
        """Whether the engine answers."""
        try:
            response = await self._http.get("/_ping", timeout=5.0)
        except httpx.HTTPError:
            return False
        return response.status_code == 200

    async def image_exists(self, image: str) -> bool:
        """Whether `image` is present locally."""
        response = await self._request(
            "GET", f"/images/{quote(image, safe='')}/json", ok=(200, 404)
        )
        return response.status_code == 200

    async def pull(self, image: str) -> None:
        """Pull `image`; the engine streams progress, an error appears in the stream."""
        name, _, tag = image.rpartition(":") if ":" in image.rsplit("/", 1)[-1] else (image, "", "")
        params = {"fromImage": name or image, "tag": tag or "latest"}
        async with self._http.stream("POST", "/images/create", params=params, timeout=None) as resp:
            body = (await resp.aread()).decode(errors="replace")
        if resp.status_code != 200 or '"error"' in body:
            raise EngineError(f"cannot pull image `{image}`: {body.strip()[-300:]}")

    async def create(self, config: dict[str, Any], name: str | None = None) -> str:
        """Create a container; return its id."""
        params = {"name": name} if name else None
        response = await self._request("POST", "/containers/create", json=config, params=params)
        return str(response.json()["Id"])

    async def start(self, container: str) -> None:
        """Start a created container."""
        await self._request("POST", f"/containers/{container}/start", ok=(204, 304))

    async def logs(
        self, container: str, *, follow: bool = True
    ) -> AsyncIterator[tuple[int, bytes]]:
        """The container's output as (stream id, bytes) frames: followed until it exits, or
        (``follow=False``) what was logged so far."""
        params = {"follow": "true" if follow else "false", "stdout": "true", "stderr": "true"}
        async with self._http.stream(
            "GET", f"/containers/{container}/logs", params=params, timeout=None
        ) as response:
            if response.status_code != 200:
                raise EngineError(f"container engine: logs: {response.status_code}")
            buffer = bytearray()
            async for chunk in response.aiter_raw():
                buffer += chunk
                while len(buffer) >= _FRAME_HEADER.size:
                    stream, size = _FRAME_HEADER.unpack_from(buffer)
                    end = _FRAME_HEADER.size + size
                    if len(buffer) < end:
                        break
                    yield stream, bytes(buffer[_FRAME_HEADER.size : end])
                    del buffer[:end]

    async def wait(self, container: str) -> int:
        """Block until the container stops; return its exit code."""
        response = await self._request("POST", f"/containers/{container}/wait", timeout=None)
        return int(response.json().get("StatusCode", -1))

    async def inspect(self, container: str) -> dict[str, Any]:
        """The container's JSON description (``State.OOMKilled`` etc.)."""
        response = await self._request("GET", f"/containers/{container}/json")
        data = response.json()
        return data if isinstance(data, dict) else {}

    async def kill(self, container: str) -> None:
        """SIGKILL every process of the container (no error if it already stopped)."""
        await self._request("POST", f"/containers/{container}/kill", ok=(204, 304, 404, 409, 500))

    async def remove(self, container: str) -> None:
        """Delete the container (forced) and its anonymous volumes."""
        await self._request(
            "DELETE",
            f"/containers/{container}",
            params={"force": "true", "v": "true"},
            ok=(200, 204, 404),
        )


def _message(response: httpx.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return f"{response.status_code} {response.text[:300]}"
    if isinstance(data, dict) and "message" in data:
        return f"{response.status_code} {data['message']}"
    return f"{response.status_code} {str(data)[:300]}"


def socket_path(url: str) -> Path | None:
    """The socket file of a ``unix://`` address, else None."""
    return Path(url.removeprefix("unix://")) if url.startswith("unix://") else None


def engine_reachable(url: str | None = None) -> bool:
    """Whether a Docker-compatible engine answers at `url` (default ``$DOCKER_HOST``)."""
    address = engine_url(url)
    path = socket_path(address)
    if path is not None and not path.exists():
        return False
    transport = httpx.HTTPTransport(uds=str(path)) if path is not None else httpx.HTTPTransport()
    base = "http://engine" if path is not None else "http://" + address.split("://", 1)[1]
    try:
        with httpx.Client(transport=transport, base_url=base, timeout=5.0) as client:
            return client.get(f"/{API_VERSION}/_ping").status_code == 200
    except httpx.HTTPError:
        return False
