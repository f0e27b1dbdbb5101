#!/usr/bin/env bash
# The test command (npm test): unit tests without root, then the root system tests one file at a time
# (on 2 cores, parallel sandboxes make flaky tests). Ends with one line: "tests: N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
npx tsc -p tsconfig.json || exit 1
# vitest strips types without checking them: type-check the tests (and everything they import) here, so a type
# error in a test file fails the run
npx tsc -p tsconfig.test.json || exit 1
results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
run() {  # run vitest on its arguments; keep a JSON summary for the closing line
  local out="$results/$(date +%s%N).json"
  NO_COLOR=1 npx vitest run --reporter=default --reporter=json --outputFile="$out" "$@"
}
status=0
run --dir test/unit || status=1
if [ "$(id -u)" != 0 ]; then
  echo "system tests skipped: they need root (network namespaces, TAP devices)"
else
  if bash test/sys/install-tools.sh; then
    for f in test/sys/*.test.ts; do
      [ -e "$f" ] || continue
      run "$f" || status=1
    done
  else
    echo "could not install the Debian tools the system tests need"
    status=1
  fi
fi
node -e '
  const fs = require("fs"), path = require("path");
  let passed = 0, failed = 0, skipped = 0;
  for (const f of fs.readdirSync(process.argv[1])) {
    const r = JSON.parse(fs.readFileSync(path.join(process.argv[1], f), "utf8"));
    passed += r.numPassedTests; skipped += r.numPendingTests + (r.numTodoTests || 0);
    // a file that failed to load has no failed test of its own: count it once
    failed += r.numFailedTests || (r.success === false ? 1 : 0);
  }
  console.log(`tests: ${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : ""));
' "$results"
exit $status
