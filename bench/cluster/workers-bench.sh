#!/usr/bin/env bash
# npm run bench:workers -- [CLIENTS] [SECONDS]
# The same load (CLIENTS matchmade walking bots, default 400, for SECONDS, default 20) on one
# process and on two workers, side by side in one run, each against its own fresh private
# redis-server. Reports the bots' snapshot rate, the server's CPU (every process of it, from
# /proc), and Redis commands and bytes per node per second. Needs Debian's redis-server.
set -euo pipefail
cd "$(dirname "$0")/../.."
clients=${1:-400}
seconds=${2:-20}
port=18700
rport=18790
hz=$(getconf CLK_TCK)

# CPU seconds (user + system) of a process and its children, living ones only.
cpu_of() {
  local total=0 pid
  for pid in $(pgrep -f -- "--port $port" || true); do
    [ -r "/proc/$pid/stat" ] || continue
    total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat")))
  done
  echo "$total"
}
redis_stat() { redis-cli -p "$rport" info stats | awk -F: -v k="$1" '$1 == k {print $2+0}'; }

printf '%-10s %8s %9s %22s %12s %14s %16s %16s\n' mode clients connected 'snapshots/s' 'kept up' 'server CPU %' 'Redis cmds/node/s' 'Redis KB/node/s'
for workers in 1 2; do
  redis-server --port "$rport" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes --logfile /dev/null >/dev/null
  sleep 0.3
  REDIS_URL="redis://127.0.0.1:$rport" TICKWIRE_LOG_LEVEL=warn node --import tsx src/cli/main.ts --port "$port" --host 127.0.0.1 \
    --workers "$workers" --per-ip-limits off --persistence off --max-connections 20000 >/dev/null 2>&1 &
  server=$!
  for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break; sleep 0.2; done
  c0=$(cpu_of); r0=$(redis_stat total_commands_processed); b0=$(( $(redis_stat total_net_input_bytes) + $(redis_stat total_net_output_bytes) )); t0=$(date +%s.%N)
  summary=$(npm run --silent bots -- --url "ws://127.0.0.1:$port/ws" --clients "$clients" --duration "$seconds" --ramp-ms 3000 --warmup 2 --matchmake --json 2>/dev/null | tail -n 1)
  c1=$(cpu_of); r1=$(redis_stat total_commands_processed); b1=$(( $(redis_stat total_net_input_bytes) + $(redis_stat total_net_output_bytes) )); t1=$(date +%s.%N)
  { kill -9 "$server" $(pgrep -f -- "--port $port"); wait "$server"; } 2>/dev/null || true
  redis-cli -p "$rport" shutdown nosave >/dev/null 2>&1 || true
  node -e '
    const [s, workers, c0, c1, r0, r1, b0, b1, t0, t1, hz] = [JSON.parse(process.argv[1]), ...process.argv.slice(2).map(Number)];
    const secs = t1 - t0;
    const cpu = ((c1 - c0) / hz / secs) * 100;
    const row = [workers === 1 ? "1 process" : `${workers} workers`, s.clientsRequested, s.clientsConnected,
      `${(s.snapshotsPerSecPerClient.mean ?? NaN).toFixed(2)} (min ${(s.snapshotsPerSecPerClient.min ?? NaN).toFixed(1)})`, s.keptUp ? "yes" : `no (${s.clientsBehind} behind)`, cpu.toFixed(1),
      ((r1 - r0) / workers / secs).toFixed(1), ((b1 - b0) / 1024 / workers / secs).toFixed(2)];
    console.log(row.map((v, i) => String(v).padStart(i === 0 ? -10 : [8, 9, 22, 12, 14, 16, 16][i - 1])).join(" ").replace(/^ */, (m) => m));
    if (s.playersPerNode) console.log("           per node:", Object.values(s.playersPerNode).join(" / "));
    if (s.failedJoins > 0) console.log("           failed joins:", JSON.stringify(s.failureReasons).slice(0, 300));
  ' "$summary" "$workers" "$c0" "$c1" "$r0" "$r1" "$b0" "$b1" "$t0" "$t1" "$hz"
  sleep 1
done
