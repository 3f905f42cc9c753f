#!/usr/bin/env bash
# Renders the app icon set from icon.svg (the sizes `cargo tauri icon` makes for desktop,
# Windows Store, Android and iOS). Needs rsvg-convert (librsvg2-bin), ImageMagick and
# png2icns (icnsutils).
set -euo pipefail
cd "$(dirname "$0")/.."
svg=src/icon.svg
png() { rsvg-convert -w "$1" -h "$1" "$svg" -o "$2"; }

png 32 32x32.png
png 64 64x64.png
png 128 128x128.png
png 256 128x128@2x.png
png 512 icon.png
for s in 30 44 71 89 107 142 150 284 310; do png "$s" "Square${s}x${s}Logo.png"; done
png 50 StoreLogo.png

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
for s in 16 24 32 48 64 256; do png "$s" "$tmp/ico-$s.png"; done
convert "$tmp"/ico-16.png "$tmp"/ico-24.png "$tmp"/ico-32.png "$tmp"/ico-48.png "$tmp"/ico-64.png "$tmp"/ico-256.png icon.ico
for s in 16 32 48 128 256 512; do png "$s" "$tmp/icns-$s.png"; done
png2icns icon.icns "$tmp"/icns-{16,32,48,128,256,512}.png >/dev/null

# Android launcher icons (mipmap densities) and the iOS app icon.
for pair in mdpi:48 hdpi:72 xhdpi:96 xxhdpi:144 xxxhdpi:192; do
  mkdir -p "android/mipmap-${pair%%:*}"
  png "${pair##*:}" "android/mipmap-${pair%%:*}/ic_launcher.png"
done
mkdir -p ios
for s in 20 29 40 58 60 76 80 87 120 152 167 180 1024; do png "$s" "ios/AppIcon-${s}.png"; done
