#!/usr/bin/env bash
# Installs every Debian package listed in scripts/debian-packages.txt (idempotent).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
mapfile -t packages < <(grep -v -E '^\s*(#|$)' "$here/debian-packages.txt")
# Node.js (for the browser tests' playwright-core) may come from elsewhere with its own npm.
command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo_cmd=()
  [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# The browser tests' playwright-core (it drives Debian's chromium; no browser download).
if [[ ! -d "$here/../tests/browser/node_modules" ]]; then
  (cd "$here/../tests/browser" && npm ci --no-audit --no-fund)
fi
