#!/usr/bin/env bash
# The whole test suite (`npm test`, and what .ci/run runs). Works from a fresh
# clone: ensure-env installs what is missing, runs npm ci and the build.
#
#   1. unit tests:       node --test over packages/*/dist, test/dist/helpers and
#                        test/dist/structure (no import cycles between folders),
#                        UNIT_JOBS files at a time (default 2)
#   2. unit file checks: systemd-analyze verify on deploy/*.service
#   3. compatibility:    node --test --test-concurrency=1 test/dist/compat/ (AWS's documented
#                        ECS examples and Debian's AWS CLI against a real control plane,
#                        answers checked against the service model; docs/compatibility.md)
#   4. end-to-end tests: test/dist/e2e/*.test.js on the real dockerd, E2E_JOBS files
#                        at a time (default 2), each file's output printed whole
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

# One end-to-end file: its own node --test run, output kept until it ends
# (printed whole, under a lock, so files running side by side do not
# interleave), its time and exit code beside the TAP. --test-timeout fails a
# hung test (the file's after hooks still tear its cluster down); the outer
# timeout is the last resort for a file that hangs outside any test.
run_e2e_file() { # test/dist/e2e/NAME.test.js
  local file=$1 name out tap rc start=$SECONDS
  name="$(basename "$file" .test.js)"
  out="$results/e2e-$name.out"; tap="$results/e2e-$name.tap"
  timeout --kill-after=30 "$E2E_FILE_TIMEOUT" node --test --test-timeout="$E2E_TEST_TIMEOUT_MS" \
    --test-reporter=spec --test-reporter-destination=stdout \
    --test-reporter=tap --test-reporter-destination="$tap" "$file" >"$out" 2>&1
  rc=$?
  echo "$rc $((SECONDS - start))" >"$results/e2e-$name.rc"
  {
    flock 9
    echo "--- e2e $name: $((SECONDS - start)) s, exit $rc"
    cat "$out"
    if [[ $rc -eq 124 || $rc -eq 137 ]]; then echo "run-all: e2e $name killed after ${E2E_FILE_TIMEOUT} s"; fi
  } 9>"$results/print.lock"
}
export -f run_e2e_file

# End-to-end files run E2E_JOBS at a time (default 2: most of an e2e test is
# waiting on Docker, HAProxy and timers, and each file has its own cluster,
# loopback addresses and ports). The slowest files start first so the two
# lanes end together; then every other file in name order.
run_e2e() {
  echo "=== e2e"
  local files=() ordered=() f slow
  mapfile -t files < <(find test/dist/e2e -name '*.test.js' | sort)
  if [[ ${#files[@]} -eq 0 ]]; then
    echo "run-all: no end-to-end tests in test/dist/e2e" >&2
    failed=$((failed + 1))
    return
  fi
  for slow in outage deployments load-balancers console capacity-providers services awslogs autoscaling security-agent release; do
    for f in "${files[@]}"; do [[ $(basename "$f" .test.js) == "$slow" ]] && ordered+=("$f"); done
  done
  for f in "${files[@]}"; do
    [[ " ${ordered[*]} " == *" $f "* ]] || ordered+=("$f")
  done
  local start=$SECONDS
  export results E2E_FILE_TIMEOUT="${E2E_FILE_TIMEOUT:-1200}" E2E_TEST_TIMEOUT_MS="${E2E_TEST_TIMEOUT_MS:-480000}"
  printf '%s\n' "${ordered[@]}" | xargs -P "${E2E_JOBS:-2}" -I{} bash -c 'run_e2e_file "$1"' _ {}
  local p=0 f_=0 s=0 name tap rc secs times=()
  for f in "${ordered[@]}"; do
    name="$(basename "$f" .test.js)"; tap="$results/e2e-$name.tap"
    read -r rc secs <"$results/e2e-$name.rc" 2>/dev/null || { rc=1; secs=0; }
    times+=("$name ${secs}s")
    if [[ ! -s "$tap" ]]; then
      echo "run-all: e2e $name produced no results (exit $rc)" >&2
      f_=$((f_ + 1)); continue
    fi
    local fp ff fs
    fp="$(count "$tap" pass)"; ff="$(count "$tap" fail)"; fs="$(count "$tap" skipped)"
    # A non-zero exit with no failed test: the file threw outside its tests, or was killed.
    if [[ $rc -ne 0 && $ff -eq 0 ]]; then ff=1; fi
    p=$((p + fp)); f_=$((f_ + ff)); s=$((s + fs))
  done
  echo "e2e file times (${E2E_JOBS:-2} at a time, $((SECONDS - start)) s in all): ${times[*]}"
  passed=$((passed + p)); failed=$((failed + f_)); skipped=$((skipped + s))
  echo "e2e: $p passed, $f_ failed, $s skipped"
}

mapfile -t unit_files < <(find packages/*/dist test/dist/helpers test/dist/structure -name '*.test.js' -not -path '*/node_modules/*' 2>/dev/null | sort)
if [[ ${#unit_files[@]} -gt 0 ]]; then
  # Two files at a time (2 cores): about 40 % faster than one, and the unit
  # tests wait with deadlines, not fixed sleeps.
  node_tests unit --test-concurrency="${UNIT_JOBS:-2}" "${unit_files[@]}"
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

run_e2e
echo "total: $passed passed, $failed failed, $skipped skipped"
[[ $failed -eq 0 ]]
