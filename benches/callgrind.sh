#!/usr/bin/env bash
# Instructions per op, blitz-io beside Tokio, counted by valgrind's callgrind on single-thread
# setups of the scheduler workloads and the timer rows (see benches/src/bin/instructions.rs).
#
# Usage: benches/callgrind.sh [WORKLOAD...]
#   (default: yield_many spawn_many_local chained_spawn timeout_ready timeout_cancel)
# Environment: PROFILE (cargo profile, default release), ITERS (extra iterations, default 5),
#              CARGO_TARGET_DIR (as for cargo).
#
# Each side runs twice, with 1 and with 1+ITERS timed iterations (plus one warm-up each); the
# difference of the two instruction totals divided by ITERS × ops per iteration is the
# instructions per op, with runtime start-up and shutdown cancelled out. Slow (valgrind runs
# everything on one thread, ~50× slower): a minute or two in all.
#
# Prints a plain table and writes it as markdown to benches/results/callgrind.md, which
# `compare` copies into the Method section of BENCHMARKS.md whenever it regenerates it.
set -euo pipefail

cd "$(dirname "$0")/.."
profile="${PROFILE:-release}"
iters="${ITERS:-5}"
workloads=("$@")
if [ "${#workloads[@]}" -eq 0 ]; then
    workloads=(yield_many spawn_many_local chained_spawn timeout_ready timeout_cancel)
fi
command -v valgrind >/dev/null || { echo "callgrind.sh: valgrind not found" >&2; exit 2; }
# valgrind lets no other thread run while one is blocked in io_uring_enter, so with Auto
# picking io_uring the 1-worker runtimes hang here (their parked worker waits in the ring for a
# wake that the stalled threads never send). Count blitz-io on mio, as .ci/valgrind.sh does;
# Tokio's driver is epoll either way.
export BLITZ_IO_BACKEND="${BLITZ_IO_BACKEND:-mio}"

cargo build --quiet --profile "$profile" -p blitz-io-benches --bin instructions
target="${CARGO_TARGET_DIR:-target}"
dir="$profile"
[ "$profile" = dev ] && dir=debug
bin="$target/$dir/instructions"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

# Total instructions (Ir) of one run: workload, side, timed iterations.
instructions() {
    local log="$out/$1.$2.$3.log"
    valgrind --tool=callgrind --callgrind-out-file="$out/$1.$2.$3.out" \
        "$bin" "$1" "$2" "$3" >"$out/$1.$2.$3.stdout" 2>"$log" \
        || { cat "$log" >&2; exit 1; }
    grep -o 'Collected : [0-9]*' "$log" | grep -o '[0-9]*$'
}

md="benches/results/callgrind.md"
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
{
    echo "Instructions per op under callgrind (\`benches/callgrind.sh\`, profile \`$profile\`, commit $commit, $(date -u '+%Y-%m-%d %H:%M UTC'); $(valgrind --version); blitz-io I/O backend $BLITZ_IO_BACKEND):"
    echo
    echo "| workload (single thread) | blitz-io Ir/op | Tokio Ir/op | ratio b/t |"
    echo "|---|---|---|---|"
} >"$out/md"
printf '%-18s %14s %14s %8s\n' workload "blitz-io Ir/op" "Tokio Ir/op" "b / t"
for w in "${workloads[@]}"; do
    declare -A per_op=()
    for side in blitz tokio; do
        low=$(instructions "$w" "$side" 1)
        high=$(instructions "$w" "$side" $((1 + iters)))
        ops=$(sed -n 's/^ops_per_iter=//p' "$out/$w.$side.1.stdout")
        per_op[$side]=$(awk -v h="$high" -v l="$low" -v n="$iters" -v o="$ops" \
            'BEGIN { printf "%.1f", (h - l) / (n * o) }')
    done
    ratio=$(awk -v b="${per_op[blitz]}" -v t="${per_op[tokio]}" 'BEGIN { printf "%.2f", b / t }')
    printf '%-18s %14s %14s %8s\n' "$w" "${per_op[blitz]}" "${per_op[tokio]}" "$ratio"
    case "$w" in
        spawn_many_local | timeout_ready | timeout_cancel) setup="current-thread" ;;
        *) setup="multi-thread, 1 worker" ;;
    esac
    echo "| \`$w\` ($setup) | ${per_op[blitz]} | ${per_op[tokio]} | $ratio |" >>"$out/md"
    unset per_op
done
mkdir -p benches/results
cp "$out/md" "$md"
echo "callgrind.sh: wrote $md"
