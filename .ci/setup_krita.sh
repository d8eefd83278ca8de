#!/usr/bin/env bash
# Idempotent: installs Debian's Krita (5.1.5, embeds the system python3.11 + numpy), Xvfb and the
# screenshot tools the Krita tests need. Called by .ci/run; safe to run again.
set -euo pipefail
need=(krita python3-pyqt5 python3-numpy xvfb imagemagick x11-utils)
missing=()
for p in "${need[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
command -v kritarunner >/dev/null
echo "setup_krita: $(dpkg-query -W -f='${Version}' krita) ready"
