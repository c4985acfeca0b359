"""The plugin registry loads once, even when many threads ask for a type at the same time."""

from __future__ import annotations

import subprocess
import sys

# A fresh interpreter: the registry is loaded lazily by the first lookup, so the race only
# exists before anything else touched it.
SCRIPT = """
import threading
from tercel.model.registry import registry

barrier = threading.Barrier(8)
found = []

def look():
    barrier.wait()
    found.append(registry.get("io.kestra.plugin.core.log.Log") is not None)

threads = [threading.Thread(target=look) for _ in range(8)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(sum(found))
"""


def test_threads_racing_on_the_first_lookup_all_find_core_types() -> None:
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == "8", result.stderr
