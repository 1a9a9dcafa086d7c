#!/usr/bin/env bash
# Installs what a fresh clone is missing: npm packages (npm ci) and the Debian packages listed in
# scripts/debian-packages.txt. Quiet when everything is there. Concurrent runs (two `npm start` at
# once) take turns on a lock file, so the second waits for the first's install and then finds it done.
set -euo pipefail

LOCK_WAIT=${ENSURE_DEPS_LOCK_WAIT_SECONDS:-600}
PY=${ENSURE_DEPS_PYTHON:-/usr/bin/python3}
FASHION_DIR=${FASHION_MNIST_DIR:-/usr/share/datasets/fashion-mnist}

usage() {
  cat <<HELP
Usage: bash scripts/ensure-deps.sh [--help]

Run by \`npm start\` and \`npm test\` before anything else. Installs what is missing:
  - npm packages: \`npm ci\` when node_modules is missing or older than package-lock.json (about 1 minute);
  - Debian packages for $PY (torch, scikit-learn, numpy, pytest, hypothesis) and the
    Fashion-MNIST data set, listed in scripts/debian-packages.txt: about 3 to 5 minutes on the first
    run, through apt-get when run as root; otherwise it prints the command to run.
Quiet and quick (a few seconds) when everything is there.

Waits up to ENSURE_DEPS_LOCK_WAIT_SECONDS (default 600) for another apt/dpkg process that holds the
package lock (retrying every ENSURE_DEPS_RETRY_SECONDS, default 5), and for another run of this
script (lock file build/.ensure-deps.lock). ENSURE_DEPS_PYTHON (default /usr/bin/python3) and
FASHION_MNIST_DIR (default /usr/share/datasets/fashion-mnist) name what is checked.

Examples:
  bash scripts/ensure-deps.sh
  ENSURE_DEPS_LOCK_WAIT_SECONDS=1800 bash scripts/ensure-deps.sh    # wait longer for a busy apt
HELP
}

case "${1:-}" in
  -h|--help) usage; exit 0 ;;
  "") ;;
  *) echo "ensure-deps: unknown argument '$1'; run: bash scripts/ensure-deps.sh --help" >&2; exit 2 ;;
esac
[[ "$LOCK_WAIT" =~ ^[0-9]+$ ]] || { echo "ensure-deps: ENSURE_DEPS_LOCK_WAIT_SECONDS='$LOCK_WAIT' is not a number of seconds; set it to e.g. 600" >&2; exit 2; }

cd "$(dirname "$0")/.."

npm_needed() { [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; }
# Finds the Python packages without importing them (importing torch and scikit-learn takes seconds).
PY_FIND='import importlib.util as u, sys; sys.exit(any(u.find_spec(m) is None for m in sys.argv[1:]))'
apt_needed() {
  [ -x "$PY" ] && "$PY" -c "$PY_FIND" numpy torch sklearn joblib pytest hypothesis 2>/dev/null \
    && [ -f "$FASHION_DIR/t10k-images-idx3-ubyte.gz" ] && return 1
  return 0
}

# Nothing to do: no lock, no output (and nothing else read: this runs before every npm start).
if ! npm_needed && ! apt_needed; then exit 0; fi

mapfile -t pkgs < <(grep -v '^\s*#' scripts/debian-packages.txt | grep -v '^\s*$')
HAND="sudo apt-get update && sudo apt-get install -y ${pkgs[*]}"

# One run at a time: a second `npm start` waits here for the first one's install.
mkdir -p build
exec 9>build/.ensure-deps.lock
if ! flock -n 9; then
  echo "ensure-deps: another run (npm start / npm test) is installing; waiting for it (up to ${LOCK_WAIT} s)" >&2
  flock -w "$LOCK_WAIT" 9 || {
    echo "ensure-deps: the other run still holds build/.ensure-deps.lock after ${LOCK_WAIT} s; let it finish (or stop it) and run: bash scripts/ensure-deps.sh" >&2
    exit 1
  }
fi

if npm_needed; then
  echo "ensure-deps: installing npm packages with npm ci (about 1 minute)" >&2
  # npm itself may run on an older Node than the project's (its EBADENGINE lines say so): the scripts run on the
  # Node that npm ci installs into node_modules/.bin (the npm package "node"), so those lines are left out.
  npm_log=$(mktemp); rc=0
  npm ci --no-audit --no-fund >"$npm_log" 2>&1 || rc=$?
  grep -v '^npm warn EBADENGINE' "$npm_log" >&2 || true; rm -f "$npm_log"
  [ "$rc" = 0 ] || { echo "ensure-deps: npm ci failed (exit $rc, output above); fix the cause and run by hand: npm ci" >&2; exit 1; }
fi

# Runs apt-get "$@"; while another apt/dpkg process holds its lock, retries every 5 s for up to LOCK_WAIT s.
apt_with_lock_wait() {
  local started=$SECONDS told=-1000 rc holder log
  log=$(mktemp)
  while :; do
    DEBIAN_FRONTEND=noninteractive apt-get "$@" >"$log" 2>&1 && rc=0 || rc=$?
    if [ "$rc" = 0 ]; then rm -f "$log"; return 0; fi
    if ! grep -qiE 'could not get lock|unable to acquire the dpkg frontend lock|is held by process' "$log"; then
      tail -n 20 "$log" >&2; rm -f "$log"
      echo "ensure-deps: apt-get $1 failed (exit $rc, output above); fix the cause and run by hand: $HAND" >&2
      exit 1
    fi
    holder=$(grep -oE 'held by process [0-9]+( \([^)]*\))?' "$log" | head -n 1 || true)
    if [ $((SECONDS - started)) -ge "$LOCK_WAIT" ]; then
      rm -f "$log"
      echo "ensure-deps: the apt/dpkg lock is still ${holder:-held by another process} after ${LOCK_WAIT} s; wait for that to finish (or raise ENSURE_DEPS_LOCK_WAIT_SECONDS) and run by hand: $HAND" >&2
      exit 1
    fi
    if [ $((SECONDS - told)) -ge 30 ]; then
      told=$SECONDS
      echo "ensure-deps: the apt/dpkg lock is ${holder:-held by another process} (another install or an automatic update); waiting, $((LOCK_WAIT - SECONDS + started)) s left" >&2
    fi
    sleep "${ENSURE_DEPS_RETRY_SECONDS:-5}"
  done
}

if apt_needed; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "ensure-deps: first run: installing Debian packages for $PY and the Fashion-MNIST data set: ${pkgs[*]}" >&2
    echo "ensure-deps: this takes about 3 to 5 minutes (apt-get update, download, unpack); later runs skip it" >&2
    apt_with_lock_wait update -qq
    apt_with_lock_wait install -y -qq "${pkgs[@]}"
    if apt_needed; then
      echo "ensure-deps: apt-get finished but $PY still cannot find torch, sklearn, ... or $FASHION_DIR is missing; run by hand: $HAND" >&2
      exit 1
    fi
    echo "ensure-deps: Debian packages installed" >&2
  else
    echo "ensure-deps: missing Debian packages for $PY (torch, scikit-learn, ...) or the Fashion-MNIST data set; install them (about 3 to 5 minutes) with: $HAND" >&2
    exit 1
  fi
fi
