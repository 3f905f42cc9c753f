#!/usr/bin/env bash
# Runs a command inside a throwaway HOME with a private D-Bus session bus and an unlocked
# gnome-keyring (a real Secret Service), then tears both down.
#
#   scripts/with-keyring.sh cargo test -p countersign-core
#
# If a Secret Service is already reachable (COUNTERSIGN_KEYRING_READY=1), runs the command as is.
set -euo pipefail

if [[ "${COUNTERSIGN_KEYRING_READY:-}" == 1 ]]; then
  exec "$@"
fi

for tool in dbus-run-session gnome-keyring-daemon; do
  command -v "$tool" >/dev/null || { echo "with-keyring: $tool is missing (apt-get install dbus gnome-keyring)" >&2; exit 3; }
done

# Cargo and rustup live under the real HOME; keep them reachable once HOME moves.
export CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}"
export RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}"
export npm_config_cache="${npm_config_cache:-$HOME/.npm}"

keyring_home="$(mktemp -d -t countersign-home.XXXXXX)"
trap 'rm -rf "$keyring_home"' EXIT
export HOME="$keyring_home"
export XDG_DATA_HOME="$HOME/.local/share" XDG_CONFIG_HOME="$HOME/.config" XDG_CACHE_HOME="$HOME/.cache"
export XDG_RUNTIME_DIR="$HOME/.run"
mkdir -p "$XDG_DATA_HOME" "$XDG_CONFIG_HOME" "$XDG_CACHE_HOME" "$XDG_RUNTIME_DIR"
chmod 700 "$XDG_RUNTIME_DIR"

# The inner shell unlocks a fresh login keyring with a throwaway password, then runs the command.
# dbus-run-session stops the bus (and so the keyring daemon) when the command ends.
exec dbus-run-session -- bash -c '
  set -e
  eval "$(printf "countersign-test\n" | gnome-keyring-daemon --unlock --components=secrets)"
  export GNOME_KEYRING_CONTROL COUNTERSIGN_KEYRING_READY=1
  status=0
  "$@" || status=$?
  pkill -u "$(id -u)" -f "gnome-keyring-daemon.*$XDG_RUNTIME_DIR" 2>/dev/null || true
  exit $status
' with-keyring "$@"
