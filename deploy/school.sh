#!/usr/bin/env bash
# A school's server in the foreground, for a try-out and for the tests: N app servers
# on loopback ports and HAProxy (deploy/haproxy.cfg) serving the app on one port.
#
#   HWR_DB_URL=postgresql+psycopg://hwr:secret@127.0.0.1/hwr deploy/school.sh --servers 3 --port 8443 --cert /etc/haproxy/certs/hwr.pem
#
# Options:
#   --servers N        app servers (default 3), on loopback ports from --first-port on
#   --port P           where the proxy serves the app (default 8080)
#   --bind ADDR        the proxy's address (default 127.0.0.1; 0.0.0.0 for the school)
#   --first-port P     the first app server's port (default 8501)
#   --cert PEM         serve HTTPS with this certificate (certificate and key in one file)
#   --run-dir DIR      where the generated configuration, the stats socket and the logs
#                      go (default: a new temporary folder, removed at the end)
#   --restart-delay S  seconds before an app server that stopped is started again
#                      (default 2; as systemd's RestartSec in deploy/hwr@.service)
# The database comes from HWR_DB_URL, as for one server. Without it every app server
# shares one SQLite file (HWR_CLASS_DB, default ~/.hwr/class_digits.sqlite3): fine on
# one machine for a try-out; a school uses PostgreSQL (docs/school-server.md).
#
# Prints one line per app server start ("hwr: app1 on 127.0.0.1:8501 pid 1234") and
# "hwr: serving http(s)://ADDR:P" once the proxy runs. Ctrl-C or TERM stops everything.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/.." && pwd)"
servers=3 port=8080 bind=127.0.0.1 first=8501 cert="" run_dir="" restart_delay=2

usage() { sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-2}"; }
while [ $# -gt 0 ]; do
  case "$1" in
    --servers) servers="$2"; shift 2 ;;
    --port) port="$2"; shift 2 ;;
    --bind) bind="$2"; shift 2 ;;
    --first-port) first="$2"; shift 2 ;;
    --cert) cert="$2"; shift 2 ;;
    --run-dir) run_dir="$2"; shift 2 ;;
    --restart-delay) restart_delay="$2"; shift 2 ;;
    -h|--help) usage 0 ;;
    *) echo "school.sh: unknown option $1" >&2; usage ;;
  esac
done
case "$servers" in ''|*[!0-9]*|0) echo "school.sh: --servers takes a number from 1" >&2; exit 2 ;; esac
case "$port$first" in *[!0-9]*) echo "school.sh: ports are numbers" >&2; exit 2 ;; esac
if [ -n "$cert" ] && [ ! -r "$cert" ]; then
  echo "school.sh: cannot read the certificate $cert" >&2; exit 2
fi

haproxy="${HWR_HAPROXY:-$(command -v haproxy || echo /usr/sbin/haproxy)}"
if [ ! -x "$haproxy" ]; then
  echo "school.sh: HAProxy is not installed (apt-get install haproxy)" >&2; exit 2
fi
python="${HWR_PYTHON:-}"
if [ -z "$python" ]; then
  if [ -x "$repo/.venv/bin/python" ]; then python="$repo/.venv/bin/python"; else python=python3; fi
fi

own_run_dir=0
if [ -z "$run_dir" ]; then run_dir="$(mktemp -d -t hwr-school.XXXXXX)"; own_run_dir=1; fi
mkdir -p "$run_dir"
rm -f "$run_dir/stopping"
# Every app server signs its cookies (Streamlit's XSRF token) with one secret, so that a
# page that moves to another server (one died) can still upload: the secret from
# STREAMLIT_SERVER_COOKIE_SECRET, else a new one for this run.
if [ -z "${STREAMLIT_SERVER_COOKIE_SECRET:-}" ]; then
  STREAMLIT_SERVER_COOKIE_SECRET="$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')"
fi
export STREAMLIT_SERVER_COOKIE_SECRET
[ -n "${HWR_DB_URL:-}" ] || echo "school.sh: HWR_DB_URL is not set: the app servers share one SQLite file" >&2

# The configuration: deploy/haproxy.cfg with this run's address, certificate, servers
# and paths (the lines marked "school.sh:" there), nothing else changed.
if [ -n "$cert" ]; then
  listen="    bind $bind:$port ssl crt $cert alpn http/1.1"
  scheme=https
else
  listen="    bind $bind:$port"
  scheme=http
fi
server_lines=""
for i in $(seq 1 "$servers"); do
  server_lines+="    server app$i 127.0.0.1:$((first + i - 1)) cookie app$i"$'\n'
done
awk -v listen="$listen" -v servers="$server_lines" -v sock="$run_dir/haproxy.sock" \
    -v page="$here/503.http" '
  /^ *log \/dev\/log/ { print "    log stderr format raw local0 notice"; next }
  /^ *stats socket/ { print "    stats socket " sock " mode 600 level admin"; next }
  /^ *errorfile 503/ { print "    errorfile 503 " page; next }
  /^ *bind :443/ { print listen; next }
  /^ *bind :80/ { next }
  /^ *server app/ { next }
  /school.sh: the app servers/ { print; printf "%s", servers; next }
  { print }' "$here/haproxy.cfg" > "$run_dir/haproxy.cfg"
"$haproxy" -c -q -f "$run_dir/haproxy.cfg"

app_pids=() loops=() proxy_pid=""
stop() {
  trap - INT TERM EXIT
  touch "$run_dir/stopping"
  echo "hwr: stopping" >&2
  [ -n "$proxy_pid" ] && kill "$proxy_pid" 2>/dev/null || true
  for f in "$run_dir"/app*.pid; do
    [ -e "$f" ] && kill "$(cat "$f")" 2>/dev/null || true
  done
  wait || true
  [ "$own_run_dir" = 1 ] && rm -rf "$run_dir"
  exit 0
}
trap stop INT TERM EXIT

# One app server, started again when it stops (as systemd's Restart=always does),
# until school.sh stops.
app_server() {
  local name="$1" port="$2" pid
  while [ ! -e "$run_dir/stopping" ]; do
    "$python" -m streamlit run "$repo/streamlit_app.py" --server.port "$port" \
      --server.address 127.0.0.1 --server.headless true \
      --browser.gatherUsageStats false >>"$run_dir/$name.log" 2>&1 &
    pid=$!
    echo "$pid" > "$run_dir/$name.pid"
    # stop() marks "stopping" before it reads the pid files: a server started while it
    # ran is stopped here instead of running on.
    if [ -e "$run_dir/stopping" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" || true; break; fi
    echo "hwr: $name on 127.0.0.1:$port pid $pid"
    wait "$pid" || true
    [ -e "$run_dir/stopping" ] && break
    echo "hwr: $name stopped; starting it again in ${restart_delay} s"
    sleep "$restart_delay"
  done
}

cd "$repo"
for i in $(seq 1 "$servers"); do
  app_server "app$i" "$((first + i - 1))" &
  loops+=($!)
done
"$haproxy" -W -db -f "$run_dir/haproxy.cfg" 2>>"$run_dir/haproxy.log" &
proxy_pid=$!
echo "$proxy_pid" > "$run_dir/haproxy.pid"
echo "hwr: run folder $run_dir"
echo "hwr: serving $scheme://$bind:$port (stop with Ctrl-C)"
# Until asked to stop, or until the proxy stops by itself.
wait "$proxy_pid" || true
echo "hwr: the proxy stopped" >&2
stop
