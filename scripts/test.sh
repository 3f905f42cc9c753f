#!/usr/bin/env bash
# Runs every Countersign test suite against real parts: an Xvfb display, a D-Bus session with an
# unlocked gnome-keyring (a real Secret Service) and, for the server's scale-out tests, a real
# PostgreSQL. Starts them, runs the suites, stops them, and prints one summary line.
#
#   scripts/test.sh            # everything
#   scripts/test.sh rust ui    # only the named suites (see `suites` below)
set -uo pipefail
cd "$(dirname "$0")/.."
root="$PWD"

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
export RUST_BACKTRACE=1
venv="${COUNTERSIGN_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/countersign/venv}"
[[ -d "$venv/bin" ]] && export PATH="$venv/bin:$PATH"
export PATH="$HOME/.cargo/bin:$PATH"
out="$root/test-output"
mkdir -p "$out"

# --- services -------------------------------------------------------------------------------
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

start_xvfb() {
  local n
  for n in $(seq 90 120); do
    [[ -e /tmp/.X11-unix/X$n || -e /tmp/.X$n-lock ]] && continue
    Xvfb ":$n" -screen 0 1280x800x24 -nolisten tcp >"$out/xvfb.log" 2>&1 &
    pids+=($!)
    for _ in $(seq 50); do [[ -e /tmp/.X11-unix/X$n ]] && break; sleep 0.1; done
    export DISPLAY=":$n" NO_AT_BRIDGE=1
    echo "test: Xvfb on $DISPLAY"
    return 0
  done
  echo "test: no free X display" >&2
  return 1
}

# --- suites ---------------------------------------------------------------------------------
passed=0 failed=0 failed_names=()
step() {
  local name="$1"; shift
  echo
  echo "=== $name: $*"
  local t0=$SECONDS
  if "$@"; then
    passed=$((passed + 1)); echo "=== $name: ok ($((SECONDS - t0)) s)"
  else
    failed=$((failed + 1)); failed_names+=("$name"); echo "=== $name: FAILED ($((SECONDS - t0)) s)"
  fi
}

suite_lint() {
  step fmt cargo fmt --all --check
  suite_clippy
}
suite_clippy() {
  step clippy cargo clippy --workspace --all-targets --locked --features custom-protocol -- -D warnings
}
suite_ui() {
  [[ -f ui/package.json ]] || return 0
  step ui-typecheck npm --prefix ui run --silent typecheck
  step ui-unit npm --prefix ui test --silent
}
suite_rust() {
  step ui-build npm --prefix ui run --silent build
  # The app package is tested with the feature the app is built with, so tauri compiles once.
  step cargo-test scripts/with-keyring.sh cargo test --workspace --locked --no-fail-fast --features custom-protocol
}
suite_e2e() {
  step app-build cargo build --locked --features custom-protocol --bin countersign-app
  step cli-build cargo build --locked -p countersign-cli
  step e2e env E2E_SCREENSHOTS="$out/screenshots" scripts/with-keyring.sh node tests/e2e/run.mjs
  step server-build cargo build --locked -p countersign-server
  step e2e-push env E2E_SCREENSHOTS="$out/screenshots" scripts/with-keyring.sh node tests/e2e/push.mjs
  step screen-scan tests/screen-scan/run.sh "$CARGO_TARGET_DIR/debug/countersign"
}
suite_server() {
  step server-build cargo build --locked -p countersign-server
  step schemathesis crates/server/tests/schemathesis.sh "$CARGO_TARGET_DIR/debug/countersign-server"
}
# The server's tests on a real PostgreSQL (a throwaway cluster from scripts/pg.sh): the two-node
# tests and the behaviour tests that run on both databases.
suite_postgres() {
  step postgres-tests scripts/pg.sh run cargo test --locked -p countersign-server --no-fail-fast
}

suites=("$@")
((${#suites[@]})) || suites=(ui rust e2e server postgres lint)

start_xvfb || exit 1
for s in "${suites[@]}"; do "suite_$s"; done

echo
if ((failed)); then echo "failed suites: ${failed_names[*]}"; fi
echo "suites: $passed passed, $failed failed"
((failed == 0))
