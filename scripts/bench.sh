#!/usr/bin/env bash
# Runs the benchmarks on release builds and prints their figures. Not part of `make test`:
# figures depend on the machine, and targets are reported, not asserted.
#
#   scripts/bench.sh              # everything
#   scripts/bench.sh codes app    # only the named groups (see `groups` below)
#
# Groups:
#   codes   OTP generation, PSKC parsing (criterion, countersign-oath)
#   vault   open/save with 10,000 accounts, Argon2id unlock (criterion, countersign-core)
#   qr      decoding screenshots and photos (criterion, countersign-core)
#   push    delivery latency and time to resume after a cut, core listener vs the real server
#   app     start to first code, memory with 500 accounts, 10,000-account list (tauri-driver),
#           and the memory of a bare WebKitGTK window for comparison
#   server  10,000 idle long-polls, delivery under load, verifications (countersign-load)
#   server-postgres  the same on two nodes sharing a throwaway PostgreSQL, with its load
set -uo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
export PATH="$HOME/.cargo/bin:$PATH"
release="$CARGO_TARGET_DIR/release"

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

ensure_display() {
  [[ -n "${DISPLAY:-}" ]] && return 0
  local n
  for n in $(seq 90 120); do
    [[ -e /tmp/.X11-unix/X$n || -e /tmp/.X$n-lock ]] && continue
    Xvfb ":$n" -screen 0 1920x1080x24 -nolisten tcp >/dev/null 2>&1 &
    pids+=($!)
    for _ in $(seq 50); do [[ -e /tmp/.X11-unix/X$n ]] && break; sleep 0.1; done
    export DISPLAY=":$n" NO_AT_BRIDGE=1
    return 0
  done
  echo "bench: no free X display" >&2
  return 1
}

bench_codes() { cargo bench --locked -p countersign-oath; }
bench_vault() { scripts/with-keyring.sh cargo bench --locked -p countersign-core --bench vault; }
bench_qr() { cargo bench --locked -p countersign-core --bench qr; }
bench_push() {
  cargo build --locked --release -p countersign-server &&
    COUNTERSIGN_SERVER_BIN="$release/countersign-server" \
      cargo bench --locked -p countersign-core --bench push
}
bench_app() {
  ensure_display || return 1
  npm --prefix ui run --silent build &&
    cargo build --locked --release --features custom-protocol --bin countersign-app --example bench-vault &&
    COUNTERSIGN_APP="$release/countersign-app" scripts/with-keyring.sh node tests/e2e/bench.mjs &&
    # The floor under the memory figure: a bare WebKitGTK window with one line of text.
    scripts/with-keyring.sh /usr/bin/python3 tests/bench/webkit-floor.py
}
bench_server() {
  cargo build --locked --release -p countersign-server --bins &&
    "$release/countersign-load" --server "$release/countersign-server"
}
bench_server-postgres() {
  cargo build --locked --release -p countersign-server --bins &&
    scripts/pg.sh run sh -c '"$0" --server "$1" --postgres "$COUNTERSIGN_TEST_POSTGRES_URL" --nodes 2' \
      "$release/countersign-load" "$release/countersign-server"
}

groups=("$@")
((${#groups[@]})) || groups=(codes vault qr push app server server-postgres)
status=0
for g in "${groups[@]}"; do
  echo
  echo "=== bench $g"
  "bench_$g" || { echo "=== bench $g: FAILED"; status=1; }
done
exit "$status"
