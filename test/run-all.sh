#!/usr/bin/env bash
# The whole test suite (`npm test`, and what .ci/run runs). Works from a fresh
# clone: ensure-env installs what is missing, runs npm ci and the build.
#
#   1. unit tests:       node --test over packages/*/dist, test/dist/helpers and
#                        test/dist/structure (no import cycles between folders)
#   2. unit file checks: systemd-analyze verify on deploy/*.service
#   3. compatibility:    node --test --test-concurrency=1 test/dist/compat/ (AWS's documented
#                        ECS examples and Debian's AWS CLI against a real control plane,
#                        answers checked against the service model; docs/compatibility.md)
#   4. end-to-end tests: node --test --test-concurrency=1 test/dist/e2e/ (real dockerd)
#
# Ends with one line "total: N passed, N failed, N skipped"; exits non-zero if
# anything failed.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if ! bash scripts/ensure-env.sh; then
  echo "run-all: environment setup or build failed" >&2
  exit 1
fi

results="$(mktemp -d)"
trap 'rm -rf "$results"' EXIT
passed=0 failed=0 skipped=0

count() { # TAP file, summary key
  local n
  n="$(grep -E "^# $2 [0-9]+$" "$1" | tail -n 1 | awk '{print $3}')"
  echo "${n:-0}"
}

# Runs node's test runner: spec output for people, TAP to a file for the counts.
node_tests() { # name, node --test arguments...
  local name=$1 rc tap
  shift
  tap="$results/$name.tap"
  echo "=== $name"
  node --test --test-reporter=spec --test-reporter-destination=stdout \
    --test-reporter=tap --test-reporter-destination="$tap" "$@"
  rc=$?
  if [[ ! -s "$tap" ]]; then
    echo "run-all: $name produced no results (node exited $rc)" >&2
    failed=$((failed + 1))
    return
  fi
  local p f s
  p="$(count "$tap" pass)"; f="$(count "$tap" fail)"; s="$(count "$tap" skipped)"
  # node exits non-zero for failures outside tests too (a file that throws on load).
  if [[ $rc -ne 0 && $f -eq 0 ]]; then f=1; fi
  passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
  echo "$name: $p passed, $f failed, $s skipped"
}

# systemd-analyze verify needs ExecStart binaries to exist, so it checks a copy
# whose Exec* commands point at /bin/true; everything else is verified as
# written. It exits 0 on unknown keys and only warns, hence: stderr must be empty.
verify_units() {
  echo "=== systemd units"
  if ! command -v systemd-analyze >/dev/null; then
    echo "systemd units: skipped (systemd-analyze not installed)"
    skipped=$((skipped + 1))
    return
  fi
  local unit copy err
  for unit in deploy/*.service; do
    copy="$results/$(basename "$unit")"
    sed -E 's#^(Exec(Start|StartPre|StartPost|Reload|Stop|StopPost)=)[-@:+!]*[^ ]+#\1/bin/true#' "$unit" > "$copy"
    err="$results/$(basename "$unit").err"
    if SYSTEMD_LOG_COLOR=0 systemd-analyze verify --man=no "$copy" 2>"$err" && [[ ! -s "$err" ]]; then
      echo "ok - systemd-analyze verify $unit"
      passed=$((passed + 1))
    else
      echo "not ok - systemd-analyze verify $unit"
      sed 's/^/    /' "$err"
      failed=$((failed + 1))
    fi
  done
}

mapfile -t unit_files < <(find packages/*/dist test/dist/helpers test/dist/structure -name '*.test.js' -not -path '*/node_modules/*' 2>/dev/null | sort)
if [[ ${#unit_files[@]} -gt 0 ]]; then
  node_tests unit "${unit_files[@]}"
else
  echo "run-all: no unit test files found" >&2
  failed=$((failed + 1))
fi

verify_units

if compgen -G "test/dist/compat/*.test.js" >/dev/null; then
  node_tests compat --test-concurrency=1 test/dist/compat/
else
  echo "run-all: no compatibility tests in test/dist/compat" >&2
  failed=$((failed + 1))
fi

if compgen -G "test/dist/e2e/*.test.js" >/dev/null || compgen -G "test/dist/e2e/**/*.test.js" >/dev/null; then
  node_tests e2e --test-concurrency=1 test/dist/e2e/
else
  echo "=== e2e"
  echo "run-all: no end-to-end tests in test/dist/e2e (nothing to run)"
fi

echo "total: $passed passed, $failed failed, $skipped skipped"
[[ $failed -eq 0 ]]
