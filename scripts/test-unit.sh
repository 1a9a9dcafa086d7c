#!/usr/bin/env bash
# `npm run test:unit`: the fast tests only. Mocha specs in tests/unit/ (Pulumi mocks, pure functions)
# and the Python tests that start no process and no server, run side by side; then one total line.
# Nothing here spawns a process or starts a server: those tests live in tests/integration/ and
# tests/python/serve/, and `npm test` runs them with everything else.
set -uo pipefail
if [ "${1:-}" = "--help" ] || [ "${1:-}" = "-h" ]; then
  cat <<'HELP'
Usage: npm run test:unit   (runs bash scripts/test-unit.sh; takes no arguments)

Runs the mocha specs in tests/unit/ (no type check; `npm test` runs tsc) and the Python unit tests
(tests/python/cache/, test_manifest_schema, test_transform, test_one_model_archive, test_inference,
test_request_errors, test_frameworks without its one subprocess test) at the same time, then prints
"unit tests: N passed, N failed". Left out, run by npm test: tests/integration/ (spawned processes,
servers), tests/python/serve/ (model server), test_handler_layout.py (imports in a subprocess),
test_fuzz_input.py (property-based, slow) and test_inference_training.py (10,000 images).

Examples:
  npm run test:unit
  npm test          # everything
HELP
  exit 0
fi
[ $# -eq 0 ] || { echo "test-unit.sh: unexpected argument '$1' (see npm run test:unit -- --help)" >&2; exit 2; }
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"
work=$(mktemp -d "${TMPDIR:-/tmp}/gpu-mme-unit.XXXXXX")
trap 'rm -rf "$work"' EXIT
export TMPDIR="$work/tmp"; mkdir -p "$TMPDIR"

/usr/bin/python3 -m pytest -q -p no:cacheprovider --basetemp="$work/pytest" --junitxml="$work/junit.xml" \
  tests/python/cache tests/python/test_manifest_schema.py tests/python/test_transform.py \
  tests/python/test_one_model_archive.py tests/python/test_inference.py tests/python/test_request_errors.py \
  tests/python/test_frameworks.py \
  --deselect tests/python/test_frameworks.py::test_the_module_imports_no_framework_and_a_sklearn_only_manifest_never_imports_torch \
  > "$work/pytest.log" 2>&1 &
py_pid=$!
MOCHA_COUNTS_FILE="$work/counts" npx mocha --no-config -r ./tests/support/mocha/register.js --extension ts --timeout 60000 \
  --reporter tests/support/mocha/summaryReporter.js 'tests/unit/**/*.spec.ts'; mocha_rc=$?
wait "$py_pid"; py_rc=$?
echo "== pytest (/usr/bin/python3, unit tests)"; cat "$work/pytest.log"

read -r m_pass m_fail _ < "$work/counts" 2>/dev/null || { m_pass=0; m_fail=1; }
read -r p_total p_fail < <(/usr/bin/python3 - "$work/junit.xml" <<'PY'
import sys, xml.etree.ElementTree as ET
try:
    r = ET.parse(sys.argv[1]).getroot()
    s = r if r.tag == "testsuite" else r.find("testsuite")
    print(int(s.get("tests")) - int(s.get("skipped")), int(s.get("failures")) + int(s.get("errors")))
except Exception:
    print(0, 1)
PY
)
pass=$((m_pass + p_total - p_fail)); fail=$((m_fail + p_fail))
[ "$mocha_rc" != 0 ] && [ "$m_fail" = 0 ] && fail=$((fail + 1))
[ "$py_rc" != 0 ] && [ "$p_fail" = 0 ] && fail=$((fail + 1))
echo; echo "unit tests: $pass passed, $fail failed"
[ "$fail" = 0 ]
