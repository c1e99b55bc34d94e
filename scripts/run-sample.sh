#!/bin/sh
# `make run`: start vigild on the embedded SQLite store with sample data.
# Data lives in ./run-data (delete it to start over). Ctrl-C stops vigild and the
# sample agent. VIGIL_RUN_DATA, VIGIL_RUN_PORT, VIGIL_RUN_INGEST_PORT override the defaults.
set -eu
build=${1:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
data=${VIGIL_RUN_DATA:-$top/run-data}
port=${VIGIL_RUN_PORT:-8443}
mkdir -p "$data"

# Written on every start: the agents' mutual-TLS listener (ingest) port.
cat >"$data/vigild.yaml" <<YAML
ingest:
  port: ${VIGIL_RUN_INGEST_PORT:-8444}
YAML
"$build/src/server/vigild" -c "$data/vigild.yaml" --data-dir "$data" --listen "127.0.0.1:$port" &
pid=$!
apid=
stop() {
    [ -n "$apid" ] && kill "$apid" 2>/dev/null
    kill "$pid" 2>/dev/null
    wait 2>/dev/null
}
trap stop INT TERM
i=0
until curl -sfk "https://127.0.0.1:$port/healthz" >/dev/null 2>&1; do
    i=$((i + 1))
    if [ "$i" -gt 100 ] || ! kill -0 "$pid" 2>/dev/null; then
        echo "vigild did not start; see the log lines above" >&2
        exit 1
    fi
    sleep 0.2
done

export VIGIL_SERVER="https://127.0.0.1:$port"
export VIGIL_TOKEN_FILE="$data/admin.token"
export VIGIL_CACERT="$data/tls/vigild.crt"
vigil="$build/src/cli/vigil"

if [ ! -f "$data/.sample-loaded" ]; then
    unit=$("$vigil" --json unit add "Sở Thông tin và Truyền thông tỉnh Mẫu" --code STTTT-MAU |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
    "$vigil" system add "Cổng thông tin điện tử tỉnh" --unit "$unit" --level 3 \
        --addr 203.0.113.0/26 --addr 2001:db8:4::/48 --owner "Văn phòng UBND tỉnh" \
        --operator "Trung tâm CNTT" --contacts "soc@example.vn" >/dev/null
    "$vigil" system add "Hệ thống thư điện tử công vụ" --unit "$unit" --level 4 \
        --addr 203.0.113.64/27 --owner "Sở TT&TT" --operator "Trung tâm CNTT" >/dev/null
    "$vigil" system add "Phần mềm quản lý văn bản" --unit "$unit" --level 2 \
        --addr 198.51.100.0/28 --owner "Văn phòng UBND tỉnh" >/dev/null
    "$vigil" feed import sample/botnet-2026-10.csv --feed ais-botnet --date 2026-10-31
    "$vigil" feed import sample/botnet-2026-11.csv --feed ais-botnet --date 2026-11-20
    touch "$data/.sample-loaded"
fi
if [ ! -f "$data/.sample-rules-loaded" ]; then
    # A YARA bundle for the agents (vigil rules list); agents enrolled later get it
    # with their first scan task.
    "$vigil" rules import --kind rules sample/rules >/dev/null
    touch "$data/.sample-rules-loaded"
fi

# A sample agent on this machine, enrolled once, scanning a small tree that
# holds the EICAR test file and a one-line PHP web shell (both written here),
# so there is a host, its inventory, a scan and malware findings to look at.
agent="$build/src/agent/vigil-agent"
host="$data/sample-host"
if [ ! -f "$data/agent/agent.json" ]; then
    mkdir -p "$host/var/www/html/uploads" "$host/home/canbo/Downloads" "$host/etc"
    printf '%s' 'X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*' \
        >"$host/home/canbo/Downloads/eicar.com"
    printf '%s\n' '<?php @eval($_POST["cmd"]); ?>' >"$host/var/www/html/uploads/anh-dai-dien.php"
    printf '%s\n' '<?php echo "Cổng thông tin điện tử tỉnh"; ?>' >"$host/var/www/html/index.php"
    printf '%s\n' 'server_name cong.example.vn;' >"$host/etc/nginx.conf"
    token=$("$vigil" --json agent token create --ttl 600 --note "make run" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
    fp=$(openssl x509 -in "$VIGIL_CACERT" -noout -fingerprint -sha256 | cut -d= -f2)
    "$agent" enroll --server "127.0.0.1:$port" --token "$token" --fingerprint "SHA256:$fp" \
        --data-dir "$data/agent" --hostname may-chu-mau >/dev/null
    aid=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["agent_id"])' \
        "$data/agent/agent.json")
    "$vigil" scans start "${aid#agent-}" >/dev/null # the first full scan, at once
fi
cat >"$data/agent.yaml" <<YAML
data_dir: "$data/agent"
heartbeat_seconds: 5
scan:
  roots: ["$host"]
YAML
"$agent" run -c "$data/agent.yaml" >>"$data/agent.log" 2>&1 &
apid=$!

cat <<MSG

Vigil đang chạy / Vigil is running: https://127.0.0.1:$port  (vigild pid $pid)
Agent mẫu / sample agent: pid $apid, quét / scans $host (log: $data/agent.log)
  curl -k https://127.0.0.1:$port/healthz

Dùng dòng lệnh / use the command line:
  export VIGIL_SERVER=$VIGIL_SERVER
  export VIGIL_TOKEN_FILE=$VIGIL_TOKEN_FILE
  export VIGIL_CACERT=$VIGIL_CACERT
  $vigil finding list
  $vigil system list
  $vigil feed diff ais-botnet
  $vigil rules list
  $vigil agent list
  $vigil scans list
  $vigil malware list

Nhấn Ctrl-C để dừng / press Ctrl-C to stop.
MSG
rc=0
wait "$pid" || rc=$? # vigild ended by itself: stop the agent too
stop
exit "$rc"
