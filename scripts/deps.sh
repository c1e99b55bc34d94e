#!/bin/sh
# Install the Debian 12 packages Vigil needs to build, test and run.
# Idempotent: when every package is present it only checks and returns.
set -eu

PKGS="build-essential meson ninja-build pkg-config
libssl-dev openssl libevent-dev libsqlite3-dev sqlite3 libjansson-dev libfyaml-dev
libcmocka-dev libzstd-dev clang libclang-rt-14-dev libpcap-dev
libyara-dev yara libsystemd-dev
grepcidr curl python3 ca-certificates"

missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi
echo "deps: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
