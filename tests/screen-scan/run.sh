#!/usr/bin/env bash
# Screen scan under Xvfb: a QR code shown in a window is found by `countersign scan --screen`,
# and without a display the command fails with a clear message.
#
# Usage: tests/screen-scan/run.sh [PATH/TO/countersign]
#   (default: $CARGO_TARGET_DIR or target, /debug/countersign)
# Needs (Debian): xvfb imagemagick qrencode x11-utils.
# Prints "N passed, N failed" and exits non-zero on any failure.
set -uo pipefail

bin=${1:-${CARGO_TARGET_DIR:-target}/debug/countersign}
[ -x "$bin" ] || { echo "countersign binary not found at $bin (build it: cargo build -p countersign-cli)" >&2; exit 2; }
for tool in Xvfb display qrencode xwininfo; do
  command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install xvfb imagemagick qrencode x11-utils)" >&2; exit 2; }
done

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT

passed=0
failed=0
check() { # NAME COMMAND...
  local name=$1; shift
  if "$@"; then passed=$((passed + 1)); echo "ok   $name"; else failed=$((failed + 1)); echo "FAIL $name"; fi
}

# A free display number.
n=90
while [ -e "/tmp/.X11-unix/X$n" ] || [ -e "/tmp/.X$n-lock" ]; do n=$((n + 1)); done
Xvfb ":$n" -screen 0 1920x1080x24 -nolisten tcp >"$work/xvfb.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do [ -e "/tmp/.X11-unix/X$n" ] && break; sleep 0.1; done
export DISPLAY=":$n"

# A code made by another encoder (libqrencode), shown by ImageMagick in a window at an offset.
uri='otpauth://totp/ScreenTest:alice@example.com?secret=JBSWY3DPEHPK3PXPJBSWY3DP&issuer=ScreenTest'
qrencode -s 4 -m 4 -o "$work/code.png" "$uri"
display -title countersign-screen-test -geometry +700+300 "$work/code.png" &
pids+=($!)
for _ in $(seq 100); do
  xwininfo -name countersign-screen-test >/dev/null 2>&1 && break
  sleep 0.1
done
sleep 0.5

export COUNTERSIGN_VAULT="$work/vault.csv1"

scan_json=$("$bin" scan --screen --json 2>"$work/err.txt")
scan_status=$?
check "scan --screen exits 0 when a code is on screen" test "$scan_status" -eq 0
check "scan --screen --json returns the code's exact text" \
  python3 -c 'import json,sys; d=json.loads(sys.argv[1]); codes=[c for s in d["sources"] for c in s["codes"]]; sys.exit(0 if any(c["text"]==sys.argv[2] and c["kind"]=="account" for c in codes) else 1)' "$scan_json" "$uri"

scan_text=$("$bin" scan --screen 2>&1)
check "scan --screen names the account it found" grep -q "TOTP account ScreenTest (alice@example.com)" <<<"$scan_text"
check "plain output does not print the secret" bash -c '! grep -q JBSWY3DP <<<"$1"' _ "$scan_text"

# Nothing on screen: exit 3 (not found) with a message.
kill -9 "${pids[1]}" 2>/dev/null
wait "${pids[1]}" 2>/dev/null
for _ in $(seq 50); do
  xwininfo -name countersign-screen-test >/dev/null 2>&1 || break
  sleep 0.1
done
# The X server repaints the uncovered root window asynchronously: under load that can lag
# behind the window's destruction, so allow it a few seconds (bounded) before judging.
for _ in $(seq 10); do
  sleep 0.5
  "$bin" scan --screen >"$work/none.txt" 2>&1
  none_status=$?
  [ "$none_status" -eq 3 ] && break
done
check "an empty screen exits 3 (no QR code found)" test "$none_status" -eq 3
check "an empty screen says no QR code was found" grep -q "no QR code found" "$work/none.txt"

# No display at all: a clear error, not a crash.
env -u DISPLAY -u WAYLAND_DISPLAY "$bin" scan --screen >"$work/nodisplay.txt" 2>&1
nodisplay_status=$?
check "without a display scan --screen fails (exit 1)" test "$nodisplay_status" -eq 1
check "without a display the error says there is no screen" grep -q "there is no screen to capture" "$work/nodisplay.txt"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
