"""Where a script runs.

* `tercel.runners.process.ProcessRunner`: a local subprocess (own session and cgroups),
  streamed logs, the ``::{...}::`` output protocol, memory/CPU caps, whole-tree kill.
* `tercel.runners.docker.ContainerRunner`: a container through the Docker Engine API
  (Docker or Podman's socket), with the same result shape (`ProcessResult`).
* `tercel.runners.limits.ResourceLimits`: the caps, parsed from Kestra's ``cpu.cpus`` and
  ``memory.memory`` values.
* `tercel.runners.ledger.ProcessLedger`: the process groups and containers started and not
  yet ended, so a restart after a crash stops them before it runs their attempts again.
"""

from __future__ import annotations
