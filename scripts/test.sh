#!/usr/bin/env bash
# `npm test`: every test. Installs what is missing, type-checks, runs the mocha
# specs (Pulumi mocks, archive, local endpoint + smoke test) and the Python tests
# (real torch and scikit-learn), then prints one total line.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh || exit 1
# The project runs on the Node that the npm package `node` installs (see package.json engines).
export PATH="$PWD/node_modules/.bin:$PATH"
echo "== node $(node --version)"

echo "== tsc --noEmit"
npx tsc --noEmit -p . || { echo "tests: 0 passed, 1 failed (type check)"; exit 1; }

counts=$(mktemp); junit=$(mktemp --suffix=.xml)
trap 'rm -f "$counts" "$junit"' EXIT

echo "== mocha"
MOCHA_COUNTS_FILE="$counts" npx mocha; mocha_rc=$?
read -r m_pass m_fail m_skip < "$counts" 2>/dev/null || { m_pass=0; m_fail=1; m_skip=0; }

echo "== pytest (/usr/bin/python3)"
/usr/bin/python3 -m pytest tests/python -q -p no:cacheprovider --junitxml="$junit"; py_rc=$?
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

pass=$((m_pass + p_pass)); fail=$((m_fail + p_fail)); skip=$((m_skip + p_skip))
[ "$mocha_rc" != 0 ] && [ "$m_fail" = 0 ] && fail=$((fail + 1))
[ "$py_rc" != 0 ] && [ "$p_fail" = 0 ] && fail=$((fail + 1))
echo
if [ "$skip" -gt 0 ]; then echo "tests: $pass passed, $fail failed, $skip skipped"; else echo "tests: $pass passed, $fail failed"; fi
[ "$fail" = 0 ]
