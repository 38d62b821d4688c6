#!/usr/bin/env bash
# Debian packages the project needs: Chromium for the browser tests, CJK fonts so it draws
# Chinese, PostgreSQL, Redis and nginx for the scale-out mode and its tests (started by them on
# loopback, never as system services). Installed only when missing; apt's index
# is refreshed first.
set -euo pipefail
PACKAGES=(chromium fonts-noto-cjk postgresql redis-server nginx-light)
missing=()
for package in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing Debian packages: ${missing[*]}"
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
