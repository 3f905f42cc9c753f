#!/usr/bin/env bash
# Installs what Countersign needs to build, run and test, skipping what is already there.
#
#   scripts/install-deps.sh run    # system libraries for the app, npm packages of the UI
#   scripts/install-deps.sh test   # the above, plus test tools and oracles
#
# Debian/Ubuntu only (apt). Safe to run again: every step checks first.
set -euo pipefail
cd "$(dirname "$0")/.."

want="${1:-run}"

run_packages=(
  build-essential pkg-config curl ca-certificates
  libwebkit2gtk-4.1-dev libgtk-3-dev librsvg2-dev libayatana-appindicator3-dev libsoup-3.0-dev
  libdbus-1-dev libssl-dev libxdo-dev
  libxcb1-dev libxrandr-dev libdbus-1-3
  libgbm-dev libegl-dev libwayland-dev libpipewire-0.3-dev libclang-dev clang
  gnome-keyring dbus dbus-x11 nodejs npm
)
test_packages=(
  xvfb webkit2gtk-driver imagemagick xclip x11-utils qrencode oathtool zbar-tools postgresql
  python3 python3-pip python3-venv procps python3-gi gir1.2-webkit2-4.1
)

packages=("${run_packages[@]}")
[[ "$want" == test ]] && packages+=("${test_packages[@]}")

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node from a newer source may already provide node/npm without Debian's packages.
if command -v node >/dev/null && command -v npm >/dev/null; then
  filtered=()
  for p in "${missing[@]}"; do [[ "$p" == nodejs || "$p" == npm ]] || filtered+=("$p"); done
  missing=("${filtered[@]}")
fi
if ((${#missing[@]})); then
  echo "install-deps: apt-get install ${missing[*]}"
  sudo_cmd=(); [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if ! command -v cargo >/dev/null; then
  echo "install-deps: cargo is missing; install Rust from your distribution or rustup first" >&2
  exit 1
fi

# npm packages of the UI (and of the end-to-end runner), from the lock file.
for dir in ui tests/e2e; do
  [[ -f "$dir/package.json" ]] || continue
  if [[ ! -d "$dir/node_modules" || "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]]; then
    echo "install-deps: npm ci in $dir"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
done

if [[ "$want" == test ]]; then
  if ! command -v tauri-driver >/dev/null; then
    echo "install-deps: cargo install tauri-driver"
    cargo install tauri-driver --locked --version 2.1.0
  fi
  # Independent oracles used by the test suites, in a virtualenv kept out of the clone.
  venv="${COUNTERSIGN_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/countersign/venv}"
  stamp="$venv/.requirements"
  if [[ ! -f "$stamp" ]] || ! cmp -s scripts/requirements-test.txt "$stamp"; then
    echo "install-deps: python oracles in $venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check -r scripts/requirements-test.txt
    cp scripts/requirements-test.txt "$stamp"
  fi
fi
echo "install-deps: ready ($want)"
