#!/usr/bin/env bash
# Run a command with a Docker-compatible engine (Podman's API socket) and DOCKER_HOST set.
#
#   scripts/ci-podman.sh CMD...
#
# Installs podman + runc (as root, from Debian), writes /etc/containers/containers.conf for
# this kind of machine (hybrid cgroups, capped rlimits: see environment-notes §3), builds two
# tiny local images from the host's own files (nothing is pulled from a registry):
#   localhost/tercel-busybox:latest   busybox only (shell tests)
#   localhost/tercel-python:latest    busybox + the host's python3 and its stdlib
# then starts `podman system service` on a private socket for the duration of CMD.
# If any step fails, CMD still runs, without DOCKER_HOST: the container tests then skip
# with a message saying no engine is reachable.
set -uo pipefail
if [ -n "${DOCKER_HOST:-}" ]; then exec "$@"; fi
say() { echo "ci-podman: $*" >&2; }
if [ "$(id -u)" = 0 ] && ! { command -v podman && command -v runc && command -v busybox; } >/dev/null 2>&1; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman runc busybox-static) >/dev/null 2>&1 \
    || say "could not install podman/runc/busybox-static"
fi
if ! command -v podman >/dev/null 2>&1 || ! command -v busybox >/dev/null 2>&1; then
  say "podman is not available; container tests will be skipped"
  exec "$@"
fi
if [ ! -e /etc/containers/containers.conf ] && [ "$(id -u)" = 0 ]; then
  mkdir -p /etc/containers
  # crun refuses hybrid cgroups and podman's default rlimits exceed the hard limits here.
  cat > /etc/containers/containers.conf <<'EOF'
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
[engine]
runtime = "runc"
EOF
fi

build_image() { # NAME ROOTFS
  tar -C "$2" -cf - . | podman import -q \
    --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin' --change 'CMD ["/bin/sh"]' - "$1" >/dev/null
}
shared_libs() { # the absolute paths of the shared libraries the given ELF files load
  ldd "$@" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// && $2 ~ /^\(/ {print $1}' | sort -u
}
WORK=$(mktemp -d /tmp/ci-podman.XXXXXX)
SOCK="$WORK/podman.sock"
SERVICE_PID=""
cleanup() {
  [ -n "$SERVICE_PID" ] && kill "$SERVICE_PID" 2>/dev/null && wait "$SERVICE_PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

ROOT="$WORK/busybox"
mkdir -p "$ROOT"/{bin,etc,tmp,proc,sys,dev,work}
chmod 1777 "$ROOT/tmp"
cp "$(command -v busybox)" "$ROOT/bin/busybox"
for tool in $("$ROOT/bin/busybox" --list); do
  [ "$tool" = busybox ] || ln -sf busybox "$ROOT/bin/$tool"
done
echo "root:x:0:0:root:/root:/bin/sh" > "$ROOT/etc/passwd"
echo "nobody:x:65534:65534:nobody:/:/bin/sh" >> "$ROOT/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$ROOT/etc/group"
if ! podman image exists localhost/tercel-busybox:latest; then
  build_image localhost/tercel-busybox:latest "$ROOT" || say "could not build the busybox image"
fi

# The distribution's python3 (not a pyenv shim or a venv): it has a system stdlib to copy.
PY=$(readlink -f /usr/bin/python3 2>/dev/null)
if ! podman image exists localhost/tercel-python:latest && [ -n "$PY" ] && [ "${PY#/usr/}" != "$PY" ]; then
  # The host's python3 (a distribution build under /usr), its stdlib and its shared libraries.
  VERSION=$("$PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
  mkdir -p "$ROOT/usr/bin" "$ROOT/usr/lib"
  cp "$PY" "$ROOT/usr/bin/python$VERSION"
  ln -sf "python$VERSION" "$ROOT/usr/bin/python3"
  ln -sf "python$VERSION" "$ROOT/usr/bin/python"
  for lib in $(shared_libs "$PY"); do
    mkdir -p "$ROOT$(dirname "$lib")"
    cp -L "$lib" "$ROOT$lib"
  done
  tar -C / --exclude='test' --exclude='__pycache__' --exclude='idlelib' --exclude='tkinter' \
    --exclude='ensurepip' --exclude='lib2to3' --exclude='dist-packages' --exclude='site-packages' \
    -cf - "usr/lib/python$VERSION" | tar -C "$ROOT" -xf -
  # lib-dynload's extension modules need a few more libraries (ssl, ffi, ...).
  for lib in $(shared_libs "$ROOT/usr/lib/python$VERSION"/lib-dynload/*.so); do
    [ -e "$ROOT$lib" ] && continue
    mkdir -p "$ROOT$(dirname "$lib")"
    cp -L "$lib" "$ROOT$lib"
  done
  build_image localhost/tercel-python:latest "$ROOT" || say "could not build the python image"
fi

# From $WORK: conmon writes an `oom` marker into its working directory when the kernel
# kills a container (the memory-cap tests do that), which would land in the work tree.
(cd "$WORK" && exec podman system service --time=0 "unix://$SOCK") >"$WORK/service.log" 2>&1 &
SERVICE_PID=$!
for _ in $(seq 100); do [ -S "$SOCK" ] && break; sleep 0.1; done
if [ ! -S "$SOCK" ]; then
  say "podman system service did not start; container tests will be skipped"
  cat "$WORK/service.log" >&2
  "$@"
  exit $?
fi
export DOCKER_HOST="unix://$SOCK"
"$@"
