#!/usr/bin/env bash
# Installs the system libraries Lake builds against, when any is missing (Debian, as root).
# Sourced by scripts/demo.sh and scripts/test.sh.
set -euo pipefail
packages=(libsqlite3-dev libssl-dev libzstd-dev libxxhash-dev xxhash zlib1g-dev libcurl4-openssl-dev util-linux bsdutils git zstd tar xfsprogs)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if ! command -v swift >/dev/null; then
  [ -x /opt/swift/usr/bin/swift ] && export PATH=/opt/swift/usr/bin:$PATH
fi
command -v swift >/dev/null || { echo "swift is not on PATH: install a Swift 6.1+ toolchain" >&2; exit 1; }
