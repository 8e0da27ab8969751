#!/usr/bin/env bash
# Renders an SVG in a real headless browser (Chromium) to a PNG, to check that a chart from
# `ckpt plot` / `ckpt schedule --plot` / `ckpt train` draws: axes, ticks, labels, title.
#
#   scripts/render_svg.sh chart.svg [out.png] [WIDTHxHEIGHT]
#
# Installs chromium through apt-get when it is missing (Debian). Exits 2 on bad usage, 1 when
# the browser fails or writes no image.
set -euo pipefail
if [[ $# -lt 1 || ! -f "$1" ]]; then
  echo "usage: $0 FILE.svg [OUT.png] [WIDTHxHEIGHT]   (FILE.svg must exist)" >&2
  exit 2
fi
svg=$(realpath "$1")
out=${2:-${svg%.svg}.png}
size=${3:-900x600}
browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
if [[ -z "$browser" ]]; then
  SUDO=""; [[ $(id -u) = 0 ]] || SUDO=sudo
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
  browser=$(command -v chromium)
fi
rm -f "$out"
# --no-sandbox: root in containers has no user namespace for the sandbox.
"$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars \
  --screenshot="$out" --window-size="${size/x/,}" "file://$svg" >/dev/null 2>&1 || true
if [[ ! -s "$out" ]]; then
  echo "$0: $browser wrote no image for $svg" >&2
  exit 1
fi
echo "$out"
