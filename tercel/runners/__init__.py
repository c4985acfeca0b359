"""Where a script runs.

* `tercel.runners.process.ProcessRunner`: a local subprocess (own session and cgroups),
  streamed logs, the ``::{...}::`` output protocol, memory/CPU caps, whole-tree kill.
* `tercel.runners.docker.ContainerRunner`: a container through the Docker Engine API
  (Docker or Podman's socket), with the same result shape (`ProcessResult`).
* `tercel.runners.limits.ResourceLimits`: the caps, parsed from Kestra's ``cpu.cpus`` and
  ``memory.memory`` values.
"""

from __future__ import annotations
