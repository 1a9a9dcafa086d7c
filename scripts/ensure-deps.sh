#!/usr/bin/env bash
# Installs what a fresh clone is missing: npm packages (npm ci) and the Debian
# packages listed in scripts/debian-packages.txt. Quiet when everything is there.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "ensure-deps: installing npm packages (npm ci)" >&2
  npm ci --no-audit --no-fund >&2
fi

PY=/usr/bin/python3
mapfile -t pkgs < <(grep -v '^\s*#' scripts/debian-packages.txt | grep -v '^\s*$')
need_apt=0
if [ ! -x "$PY" ] || ! "$PY" -c 'import numpy, torch, sklearn, joblib, pytest, hypothesis, waitress' 2>/dev/null; then
  need_apt=1
fi
if [ ! -f /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz ]; then
  need_apt=1
fi
if [ "$need_apt" = 1 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "ensure-deps: installing Debian packages: ${pkgs[*]}" >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${pkgs[@]}" >&2
  else
    echo "ensure-deps: missing Debian packages for $PY. Install them with:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y ${pkgs[*]}" >&2
    exit 1
  fi
fi
