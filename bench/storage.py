"""Internal storage speed on each backend: small files (latency) and a large file (bandwidth).

    python bench/storage.py [--url s3://BUCKET?endpoint=...] [--big-mb 256]

Without --url: local disk in a temp dir, and S3 too when TEST_S3_ENDPOINT is set (run under
scripts/with-seaweedfs.sh). Prints, per backend: put/get/exists of 200 small files (ms per
operation), and the large file's upload and download rate (MB/s) with the peak memory growth
of this process, which stays far below the file size because transfers stream.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tercel.storage import open_storage  # noqa: E402
from tercel.storage.api import InternalStorage  # noqa: E402

SMALL = 200


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(name: str, storage: InternalStorage, scratch: Path, big_mb: int) -> None:
    storage.check()
    base = f"kestra:///bench/f/executions/{uuid.uuid4().hex[:10]}/tasks/t/r"
    started = time.perf_counter()
    for index in range(SMALL):
        storage.put(f"{base}/small-{index}.txt", b"x" * 1024)
    put_ms = (time.perf_counter() - started) * 1000 / SMALL
    started = time.perf_counter()
    for index in range(SMALL):
        storage.get(f"{base}/small-{index}.txt")
    get_ms = (time.perf_counter() - started) * 1000 / SMALL
    started = time.perf_counter()
    for index in range(SMALL):
        storage.exists(f"{base}/small-{index}.txt")
    exists_ms = (time.perf_counter() - started) * 1000 / SMALL
    print(
        f"{name}: 1 KiB files: put {put_ms:.2f} ms, get {get_ms:.2f} ms, exists {exists_ms:.2f} ms"
    )

    source = scratch / "big.bin"
    with source.open("wb") as out:
        for _ in range(big_mb):
            out.write(os.urandom(1 << 20))
    before = peak_mb()
    started = time.perf_counter()
    storage.put(f"{base}/big.bin", source)
    up = big_mb / (time.perf_counter() - started)
    started = time.perf_counter()
    storage.download(f"{base}/big.bin", scratch / "copy.bin")
    down = big_mb / (time.perf_counter() - started)
    growth = peak_mb() - before
    print(
        f"{name}: {big_mb} MiB file: upload {up:.0f} MB/s, download {down:.0f} MB/s, "
        f"peak memory growth {growth:.0f} MB"
    )
    storage.delete_prefix(base.rsplit("/tasks/", 1)[0] + "/")
    source.unlink()
    (scratch / "copy.bin").unlink()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="storage URL (default: local, plus S3 under the wrapper)")
    parser.add_argument("--big-mb", type=int, default=256)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tercel-bench-") as tmp:
        scratch = Path(tmp)
        if args.url:
            measure(args.url.split("?")[0], open_storage(args.url), scratch, args.big_mb)
            return
        measure("local", open_storage(scratch / "storage"), scratch, args.big_mb)
        endpoint = os.environ.get("TEST_S3_ENDPOINT")
        if endpoint:
            os.environ.setdefault("AWS_ACCESS_KEY_ID", os.environ["TEST_S3_ACCESS_KEY"])
            os.environ.setdefault("AWS_SECRET_ACCESS_KEY", os.environ["TEST_S3_SECRET_KEY"])
            os.environ.setdefault("AWS_REGION", "us-east-1")
            import boto3

            bucket = os.environ["TEST_S3_BUCKET"]
            client = boto3.client("s3", endpoint_url=endpoint)
            if bucket not in {b["Name"] for b in client.list_buckets().get("Buckets", [])}:
                client.create_bucket(Bucket=bucket)
            measure("s3", open_storage(f"s3://{bucket}?endpoint={endpoint}"), scratch, args.big_mb)
        else:
            print("s3: skipped (TEST_S3_ENDPOINT is not set; run under scripts/with-seaweedfs.sh)")


if __name__ == "__main__":
    main()
