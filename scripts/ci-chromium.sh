#!/usr/bin/env bash
# Run a command with Debian's Chromium installed, for the browser tests of the UI.
#
#   scripts/ci-chromium.sh CMD...
#
# Installs `chromium` from apt when it is missing (as root; never `playwright install`, which
# downloads a browser), exports TERCEL_CHROMIUM with the binary's path, then runs CMD.
# If Chromium cannot be installed, CMD still runs: the browser tests skip, saying why.
set -uo pipefail
say() { echo "ci-chromium: $*" >&2; }
find_chromium() {
  for candidate in "${TERCEL_CHROMIUM:-}" /usr/lib/chromium/chromium /usr/bin/chromium; do
    if [ -n "$candidate" ] && [ -x "$candidate" ]; then echo "$candidate"; return 0; fi
  done
  return 1
}
if ! find_chromium >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null 2>&1 \
    || say "could not install chromium with apt-get"
fi
if path="$(find_chromium)"; then
  export TERCEL_CHROMIUM="$path"
else
  say "Chromium is not available; the browser tests will be skipped"
fi
exec "$@"
