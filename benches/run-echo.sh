#!/usr/bin/env bash
# The TCP echo benchmark: each echo server in its own process, the same closed-loop client
# (echo_load) against each, one markdown table of the results.
#
# Usage: benches/run-echo.sh [--quick] [--write] [--servers "SPEC ..."] [--cells "CxS ..."]
#                            [--placements "pinned shared"] [--duration SECS] [--warmup SECS]
#                            [--rounds N]
#   --quick     one placement (1 worker pinned), two cells (1 x 64 B, 64 x 1 KiB), ~1 s each:
#               proves the pipeline works (CI may run it); not a measurement.
#   --write     also write the table to benches/results/echo.md, which `compare` copies into
#               the Echo section of BENCHMARKS.md when it regenerates it.
#   --servers   server specs RUNTIME:BACKEND:API, default
#               "blitz:io_uring:traits blitz:io_uring:owned blitz:mio:traits tokio:auto:traits"
#               (owned = blitz-io's read_owned / write_all_owned).
#   --cells     connections x message bytes, default every pair of 1/64/256 and 64/1024/16384
#               (for example --cells "256x64 64x16384").
#   --placements  "pinned", "shared" or both (default both).
#   --rounds    run the whole sweep N times (default 1), the servers alternating within each
#               round; each cell then reports the run with the median server CPU per request
#               (its req/s and latencies with it) and the range of CPU per request over the
#               rounds: on a shared VM one run of a cell can be 30 % off.
# Environment: PROFILE (cargo profile, default release; `ci` builds faster), CARGO_TARGET_DIR.
#
# For every server, placement and cell (connections x message size) it starts a fresh server
# process, waits for its `listening ADDR` line, runs echo_load for --warmup + --duration
# seconds, then closes the server's stdin: the server prints its own getrusage CPU time and
# exits. Server CPU per request = that CPU time / every request the client completed (warm-up
# included, since the server's CPU covers its whole life). Placements: "1w pinned" = server
# with 1 worker under `taskset -c 0`, client under `taskset -c 1`; "2w shared" = server with 2
# workers and the client, all unpinned on the same cores. A cell is flagged when the client
# used >= 95 % of the cores it could use (its figures then measure the client too), FAILED when
# the client saw a wrong byte, an early close or an error (the run then exits 1), and n/a when
# the server is not available in this build (status 3). "other load %" is the share of the
# machine's CPU that processes other than this server and client used during the window (from
# /proc): on a shared machine, the figure that says how far to trust a cell.
set -euo pipefail
cd "$(dirname "$0")/.."

quick=0
write=0
servers="blitz:io_uring:traits blitz:io_uring:owned blitz:mio:traits tokio:auto:traits"
duration=3
warmup=1
cells_arg=""
placements_arg=""
rounds=1
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) quick=1 ;;
        --write) write=1 ;;
        --servers) servers="$2"; shift ;;
        --cells) cells_arg="$2"; shift ;;
        --placements) placements_arg="$2"; shift ;;
        --duration) duration="$2"; shift ;;
        --warmup) warmup="$2"; shift ;;
        --rounds) rounds="$2"; shift ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "run-echo.sh: unknown argument $1" >&2; exit 2 ;;
    esac
    shift
done

case "$rounds" in
    '' | *[!0-9]* | 0) echo "run-echo.sh: --rounds wants a positive whole number, got '$rounds'" >&2; exit 2 ;;
esac
profile="${PROFILE:-release}"
cells=("1 64" "1 1024" "1 16384" "64 64" "64 1024" "64 16384" "256 64" "256 1024" "256 16384")
placements=("pinned" "shared")
if [ "$quick" = 1 ]; then
    cells=("1 64" "64 1024")
    placements=("pinned")
    duration=1
    warmup=0.3
fi
if [ -n "$cells_arg" ]; then
    cells=()
    for c in $cells_arg; do cells+=("${c/x/ }"); done
fi
if [ -n "$placements_arg" ]; then
    read -r -a placements <<<"$placements_arg"
    for p in "${placements[@]}"; do
        case "$p" in pinned|shared) ;; *) echo "run-echo.sh: placement $p is not pinned or shared" >&2; exit 2 ;; esac
    done
fi
if [ "$(nproc)" -lt 2 ] || ! command -v taskset >/dev/null; then
    echo "run-echo.sh: fewer than 2 CPUs or no taskset: skipping the pinned placement" >&2
    placements=("shared")
fi

echo "building echo_server and echo_load (profile $profile)" >&2
cargo build --quiet -j 1 --profile "$profile" -p blitz-io-benches --bin echo_server --bin echo_load
target="${CARGO_TARGET_DIR:-target}"
dir="$profile"
[ "$profile" = dev ] && dir=debug
bin="$target/$dir"

tmp="$(mktemp -d)"
server_pid=""
cleanup() {
    exec 3>&- 2>/dev/null || true
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; fi
    rm -rf "$tmp"
}
trap cleanup EXIT

# Waits up to 10 s for the server to exit after its stdin closed, then kills it.
stop_server() {
    for _ in $(seq 100); do
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.1
    done
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
}

# The value of KEY=VALUE in a file (first match; empty when absent).
field() { { grep -o "\b$1=[^ ]*" "$2" || true; } | head -n 1 | cut -d= -f2; }

load_start="$(cut -d' ' -f1-3 /proc/loadavg)"
started="$(date -u '+%Y-%m-%d %H:%M UTC')"
commit="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
[ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ] && commit="$commit+dirty"
# Results per cell (key "spec|placement|conns|size", in first-seen order): each run's row with
# `@CPU@` where the CPU figure goes, and each run's CPU per request (or "?").
keys=()
declare -A runs cpus
failed=0
cell_no=0

# Records one run of the cell `key`: its row (CPU cell `@CPU@`) and its CPU per request.
record() {
    local key="$1" row="$2" cpu="$3"
    if [ -z "${runs[$key]+set}" ]; then
        keys+=("$key")
        runs[$key]="$row"
        cpus[$key]="$cpu"
    else
        runs[$key]+=$'\n'"$row"
        cpus[$key]+=" $cpu"
    fi
}

for round in $(seq "$rounds"); do
[ "$rounds" -gt 1 ] && echo "== round $round of $rounds" >&2
for spec in $servers; do
    IFS=: read -r runtime backend api <<<"$spec"
    for placement in "${placements[@]}"; do
        if [ "$placement" = pinned ]; then
            workers=1; pin_server=(taskset -c 0); pin_client=(taskset -c 1); label="1w pinned"
        else
            workers=2; pin_server=(); pin_client=(); label="2w shared"
        fi
        for cell in "${cells[@]}"; do
            read -r conns size <<<"$cell"
            cell_no=$((cell_no + 1))
            fifo="$tmp/stdin.$cell_no"
            mkfifo "$fifo"
            args=(--runtime "$runtime" --workers "$workers" --api "$api")
            [ "$runtime" = blitz ] && args+=(--backend "$backend")
            "${pin_server[@]}" "$bin/echo_server" "${args[@]}" <"$fifo" >"$tmp/server.out" \
                2>"$tmp/server.err" &
            server_pid=$!
            exec 3>"$fifo" # the server's stdin stays open while fd 3 does
            addr=""
            for _ in $(seq 200); do
                addr="$(awk '/^listening /{print $2; exit}' "$tmp/server.out")"
                [ -n "$addr" ] && break
                kill -0 "$server_pid" 2>/dev/null || break
                sleep 0.05
            done
            name="tokio"
            [ "$runtime" = blitz ] && name="blitz-io $backend"
            if [ -z "$addr" ]; then
                exec 3>&-
                status=0
                wait "$server_pid" || status=$?
                server_pid=""
                if [ "$status" = 3 ]; then
                    why="$(sed 's/^echo_server: not available: //' "$tmp/server.err" | head -n 1)"
                    record "$spec|$label|$conns|$size" "| $name | $label | $conns | $size | n/a | | | @CPU@ | | | $api | not available: $why |" "?"
                else
                    echo "run-echo.sh: $spec did not start (status $status):" >&2
                    cat "$tmp/server.err" >&2
                    record "$spec|$label|$conns|$size" "| $name | $label | $conns | $size | | | | @CPU@ | | | $api | FAILED: server did not start |" "?"
                    failed=1
                fi
                continue
            fi
            actual="$(field backend "$tmp/server.out")"
            if [ "$runtime" = blitz ]; then
                name="blitz-io $actual"
                [ "$backend" != auto ] && [ "$actual" != "$backend" ] && name="$name (asked $backend)"
            else
                name="tokio"
            fi
            echo "== $name, $label, $conns x $size B" >&2
            status=0
            "${pin_client[@]}" "$bin/echo_load" --addr "$addr" --connections "$conns" \
                --size "$size" --duration "$duration" --warmup "$warmup" --server-pid "$server_pid" \
                >"$tmp/client.out" 2>"$tmp/client.err" || status=$?
            exec 3>&- # EOF on the server's stdin: it prints its CPU time and exits
            stop_server
            if [ "$status" != 0 ] || ! grep -q '^RESULT ' "$tmp/client.out"; then
                cat "$tmp/client.err" >&2
                why="$({ grep -o 'FAILED: .*' "$tmp/client.err" || true; } | head -n 1 | tr '|' '/')"
                record "$spec|$label|$conns|$size" "| $name | $label | $conns | $size | | | | @CPU@ | | | $api | ${why:-FAILED} |" "?"
                failed=1
                continue
            fi
            cpu_us="$(field server_cpu_us "$tmp/server.out")"
            all="$(field all_requests "$tmp/client.out")"
            per_req="$(awk -v c="${cpu_us:-0}" -v n="$all" 'BEGIN { if (n > 0 && c > 0) printf "%.2f", c / n; else print "?" }')"
            flag=""
            if [ -z "$cpu_us" ]; then
                flag="FAILED: the server printed no CPU time"
                failed=1
            fi
            [ "$(field client_saturated "$tmp/client.out")" = yes ] && flag="${flag:+$flag; }client-saturated"
            record "$spec|$label|$conns|$size" "| $name | $label | $conns | $size | $(field rps "$tmp/client.out") | $(field p50_us "$tmp/client.out") | $(field p99_us "$tmp/client.out") | @CPU@ | $(field client_cpu_pct "$tmp/client.out") | $(field other_load_pct "$tmp/client.out") | $api | $flag |" "$per_req"
        done
    done
done
done

# One row per cell: the run with the median CPU per request (runs without a figure sort last),
# its CPU cell followed by the range over the rounds when there were several.
rows=()
for key in "${keys[@]}"; do
    mapfile -t cell_runs <<<"${runs[$key]}"
    read -r -a cell_cpus <<<"${cpus[$key]}"
    pick="$(for i in "${!cell_cpus[@]}"; do
        c="${cell_cpus[$i]}"
        [ "$c" = "?" ] && c=inf
        echo "$c $i"
    done | sort -g | awk -v n="${#cell_cpus[@]}" 'NR == int((n + 1) / 2) { print $2 }')"
    cpu="${cell_cpus[$pick]}"
    if [ "${#cell_cpus[@]}" -gt 1 ] && [ "$cpu" != "?" ]; then
        range="$(printf '%s\n' "${cell_cpus[@]}" | grep -v '?' | sort -g | sed -n '1p;$p' | paste -sd' ')"
        read -r low high <<<"$range"
        cpu="$cpu ($low–$high)"
    fi
    [ "$cpu" = "?" ] && cpu=""
    rows+=("${cell_runs[$pick]//@CPU@/$cpu}")
done

load_end="$(cut -d' ' -f1-3 /proc/loadavg)"
{
    rounds_note=""
    [ "$rounds" -gt 1 ] && rounds_note="; $rounds rounds, each cell the run with the median server CPU per request (range over the rounds in brackets)"
    echo "Echo run (\`benches/run-echo.sh$([ "$quick" = 1 ] && echo " --quick")$([ "$rounds" -gt 1 ] && echo " --rounds $rounds")\`, profile \`$profile\`, commit $commit, $started; ${warmup} s warm-up + ${duration} s per cell$rounds_note; $(nproc) CPUs; load average $load_start at start, $load_end at the end):"
    echo
    echo "| server | placement | conns | size (B) | req/s | p50 (µs) | p99 (µs) | server CPU µs/req | client CPU % | other load % | API | flag |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
    printf '%s\n' "${rows[@]}"
} >"$tmp/table.md"
cat "$tmp/table.md"
if [ "$write" = 1 ]; then
    mkdir -p benches/results
    cp "$tmp/table.md" benches/results/echo.md
    echo "wrote benches/results/echo.md" >&2
fi
exit "$failed"
