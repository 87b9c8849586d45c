#!/usr/bin/env bash
# Runs the runtime's tests of its unsafe cores under valgrind memcheck: the crate's unit tests
# (task core, schedulers, queues, intrusive list, wake batch) and the integration tests that
# drive abort, panic and shutdown paths, and the timer tests (entries unlinked from the shared
# wheel on drop, from any thread). Definite leaks and every memory error fail the run.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v valgrind >/dev/null 2>&1; then
    echo "valgrind not found; installing it" >&2
    apt-get update -qq && apt-get install -y -qq valgrind >/dev/null
fi

# Integration test binaries worth running under memcheck (small iteration counts).
INTEGRATION=(task_abort task_panic task_join task_join_set task_local task_local_set rt_shutdown rt_order blocking_pool
    machine_derive machine_size select
    channel_watch channel_broadcast channel_mpmc channel_oneshot
    channel_mpmc_permit channel_selector channel_mpmc_handles channel_mpmc_permit_many
    channel_mpmc_permit_owned channel_mpmc_poll machine_dump
    sync_notify sync_barrier sync_once_cell sync_cancellation
    sync_mutex sync_rwlock sync_rwlock_map sync_semaphore
    time_sleep time_timeout time_interval time_pause
    net_tcp net_udp_unix net_peek io_owned io_submit signal fs)
# Tests that loop many rounds (or hold 100k sleeps) read this and run a fraction of them.
export BLITZ_VALGRIND=1
# valgrind runs one thread at a time and lets no other thread run while one is blocked in
# io_uring_enter, so a runtime whose parked worker waits in the ring would stall the threads
# that should wake it. Runtimes built with Backend::Auto therefore use mio here; the tests
# that force io_uring through the Builder (single-threaded ones, under valgrind) still run it.
export BLITZ_IO_BACKEND=mio

# `bench-internals` adds the unit test of the timer-wheel layout experiment (its unsafe use of
# the wheel from several threads).
args=(--lib --features bench-internals)
for name in "${INTEGRATION[@]}"; do
    if [ -f "runtime/tests/$name.rs" ]; then
        args+=(--test "$name")
    fi
done

mapfile -t binaries < <(cargo test -p blitz-io "${args[@]}" --no-run --message-format=json 2>/dev/null |
    python3 -c 'import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable"):
        print(m["executable"])')

if [ ${#binaries[@]} -eq 0 ]; then
    echo "no test binaries found" >&2
    exit 1
fi

status=0
for binary in "${binaries[@]}"; do
    echo "== valgrind $(basename "$binary")"
    # RUST_BACKTRACE=0: nested-panic tests would otherwise symbolise full backtraces, which
    # is slow under valgrind and fills the "still reachable" report with std's caches.
    # --fair-sched=yes: valgrind runs one thread at a time, and by default a thread that
    # waits by yielding in a loop (as tests' `yield_until` does) can keep the lock and starve
    # the worker it waits for.
    # BLITZ_VALGRIND: tests that loop (the sync stress tests) shrink their iteration counts.
    if ! BLITZ_VALGRIND=1 RUST_BACKTRACE=0 valgrind -q --fair-sched=yes --error-exitcode=1 --leak-check=full \
        --errors-for-leak-kinds=definite --show-leak-kinds=definite \
        "$binary" --test-threads=1 -q; then
        status=1
    fi
done
exit $status
