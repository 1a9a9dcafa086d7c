#!/usr/bin/env bash
# `npm test`: every test. Installs what is missing, type-checks, runs the mocha
# specs (Pulumi mocks, archive, local endpoint + smoke test) and the Python tests
# (real torch and scikit-learn), then prints one total line.
set -uo pipefail
if [ "${1:-}" = "--help" ] || [ "${1:-}" = "-h" ]; then
  cat <<'HELP'
Usage: npm test            (runs bash scripts/test.sh; takes no arguments)

Installs what is missing (scripts/ensure-deps.sh), type-checks (tsc --noEmit), runs every mocha
spec (tests/unit/ and tests/integration/) and the Python tests (tests/python, Debian's /usr/bin/python3), then
prints one line: "tests: N passed, N failed". Exits 1 when anything failed, when a test left
something in its temporary folder, or when a stray warning reached the output.

Examples:
  npm test
  npm run test:unit   # the fast tests only (scripts/test-unit.sh)
  npx mocha --no-config -r ts-node/register/transpile-only --extension ts tests/integration/smoke/smoke.spec.ts   # one spec
  /usr/bin/python3 -m pytest tests/python/cache/test_cache.py -q -p no:cacheprovider                  # one Python file
HELP
  exit 0
fi
[ $# -eq 0 ] || { echo "test.sh: unexpected argument '$1'; run one spec with npx mocha (see npm test -- --help)" >&2; exit 2; }
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh || exit 1
# The project runs on the Node that the npm package `node` installs (see package.json engines).
export PATH="$PWD/node_modules/.bin:$PATH"
echo "== node $(node --version)"

echo "== tsc --noEmit"
npx tsc --noEmit -p . || { echo "tests: 0 passed, 1 failed (type check)"; exit 1; }

# Every test runs with its own temporary folder, checked for leftovers and removed at the end, so
# nothing is left in the system's temp directory.
work=$(mktemp -d "${TMPDIR:-/tmp}/gpu-mme-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
counts="$work/counts"; junit="$work/junit.xml"; mocha_log="$work/mocha.log"
export TMPDIR="$work/tmp"; mkdir -p "$TMPDIR"

echo "== mocha"
MOCHA_COUNTS_FILE="$counts" npx mocha 2>&1 | tee "$mocha_log"; mocha_rc=${PIPESTATUS[0]}
read -r m_pass m_fail m_skip < "$counts" 2>/dev/null || { m_pass=0; m_fail=1; m_skip=0; }
extra_fail=0
# Expected warnings are captured and asserted by their spec; any other warning is a failure.
stray=$(grep -E '^(warning|error): \[runtime\]|NodeVersionSupportWarning|^\(node:[0-9]+\) [A-Za-z]*Warning' "$mocha_log" || true)
if [ -n "$stray" ]; then
  echo "FAILED: stray warnings in the mocha output (capture and assert them in their spec):"
  echo "$stray" | sed 's/^/  /'; extra_fail=$((extra_fail + 1))
fi

echo "== pytest (/usr/bin/python3)"
/usr/bin/python3 -m pytest tests/python -q -p no:cacheprovider --basetemp="$work/pytest" --junitxml="$junit"; py_rc=$?
read -r p_total p_fail p_skip < <(/usr/bin/python3 - "$junit" <<'PY'
import sys, xml.etree.ElementTree as ET
try:
    r = ET.parse(sys.argv[1]).getroot()
    s = r if r.tag == "testsuite" else r.find("testsuite")
    print(int(s.get("tests")), int(s.get("failures")) + int(s.get("errors")), int(s.get("skipped")))
except Exception:
    print(0, 1, 0)
PY
)
p_pass=$((p_total - p_fail - p_skip))
# Node's own caches (node-compile-cache, v8-compile-cache-*) are not leftovers of a test.
leftovers=$(ls -A "$TMPDIR" | grep -Ev '^(node-compile-cache|v8-compile-cache-[0-9]+)$' || true)
if [ -n "$leftovers" ]; then
  echo "FAILED: the tests left these in the temp directory (a test must remove what it creates):"
  echo "$leftovers" | sed 's/^/  /'; extra_fail=$((extra_fail + 1))
fi

pass=$((m_pass + p_pass)); fail=$((m_fail + p_fail + extra_fail)); skip=$((m_skip + p_skip))
[ "$mocha_rc" != 0 ] && [ "$m_fail" = 0 ] && fail=$((fail + 1))
[ "$py_rc" != 0 ] && [ "$p_fail" = 0 ] && fail=$((fail + 1))
echo
if [ "$skip" -gt 0 ]; then echo "tests: $pass passed, $fail failed, $skip skipped"; else echo "tests: $pass passed, $fail failed"; fi
[ "$fail" = 0 ]
