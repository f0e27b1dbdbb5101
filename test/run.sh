#!/usr/bin/env bash
# The test command (npm test): unit tests without root, then the root system tests one file at a time.
set -uo pipefail
cd "$(dirname "$0")/.."
npx tsc -p tsconfig.json || exit 1
npx vitest run --dir test/unit
unit=$?
if [ "$(id -u)" != 0 ]; then
  echo "system tests skipped: they need root (network namespaces, TAP devices)"
  exit $unit
fi
bash test/sys/install-tools.sh || { echo "could not install the Debian tools the system tests need"; exit 1; }
sys=0
for f in test/sys/*.test.ts; do
  [ -e "$f" ] || continue
  npx vitest run "$f" || sys=1
done
[ $unit = 0 ] && [ $sys = 0 ]
