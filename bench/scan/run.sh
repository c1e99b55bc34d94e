#!/bin/sh
# Scan benchmark: vigil scan vs yara -r -p 1 and clamscan (hash database).
# usage: bench/scan/run.sh BUILD_DIR [WORK_DIR] [--files N] [--runs N]
set -eu
build=${1:?usage: run.sh BUILD_DIR [WORK_DIR] [--files N] [--runs N]}
shift
need=""
command -v yara >/dev/null 2>&1 || need="$need yara"
command -v clamscan >/dev/null 2>&1 || need="$need clamav"
if [ -n "$need" ]; then
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO=sudo
    # Local packages only: no freshclam, no signature download.
    $SUDO apt-get install -y -qq --no-install-recommends $need >/dev/null
fi
exec python3 "$(dirname "$0")/bench.py" "$build/src/cli/vigil" "$@"
