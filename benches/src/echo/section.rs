//! The Echo section of `BENCHMARKS.md`: what the echo rows measure, then the table that
//! `benches/run-echo.sh --write` leaves in `benches/results/echo.md` (copied when present).
//! The echo benchmark runs separate processes, so `compare` does not run it; it only reports
//! the last run's table beside its own.

/// The section's markdown, ending with a blank line.
pub fn markdown() -> String {
    let mut out = String::from(
        "## Echo (TCP, separate processes)\n\n\
         `benches/run-echo.sh` (not run by `compare`; `--quick` proves the pipeline in ~20 s, a \
         full sweep takes ~7 minutes; `--rounds N` runs N sweeps, the servers alternating, and \
         reports for each cell the run with the median server CPU per request and, in \
         brackets, the range over the rounds; `--write` saves the table below). Three servers in turn, \
         each its own process built from `benches/src/bin/echo_server.rs`: blitz-io on \
         io_uring, blitz-io on mio, Tokio; the same program on each (accept loop as a task, \
         one task per connection, `TCP_NODELAY`, a 16 KiB buffer, `read` then `write_all`: \
         API `traits`). blitz-io on io_uring runs a second time with API `owned`: the same \
         loop with `read_owned` / `write_all_owned`, the buffer moving into each operation. One client for all, `echo_load`: closed loop (each \
         connection sends one message and waits for the whole echo before the next), every \
         echoed byte compared with a per-connection, per-request pattern, one `mio` epoll \
         loop per client thread (1 thread). A fresh server per cell; placements: **1w \
         pinned** = 1 worker under `taskset -c 0`, client under `taskset -c 1`; **2w shared** \
         = 2 workers, client and server unpinned on the same 2 vCPUs. Cells: 1 / 64 / 256 \
         connections x 64 B / 1 KiB / 16 KiB, by default 1 s warm-up then 3 s measured (the \
         table's first line gives its run's own figures).\n\n\
         - req/s and p50/p99 round trip (log-linear histogram, < 1 % bucket error) over the \
         measured window only.\n\
         - **Server CPU per request** = the server's own `getrusage(RUSAGE_SELF)` user + \
         system time over its whole life (printed when the runner closes its stdin) divided by \
         every request the client completed, warm-up included.\n\
         - Client CPU % = the client's `getrusage` over the window, as a share of the cores it \
         may use (min of its threads and its CPU affinity). **client-saturated** marks cells \
         where it reached 95 %: their throughput measures the client as much as the server. \
         The client spends about two syscalls per request (one `write`, one `read`, plus a \
         share of `epoll_wait`), one fewer than an echo server's read-until-would-block loop; \
         in the quick runs its CPU per request came to roughly 0.9x the server's, so with one \
         core each the server saturates first, but not by much: watch the flag.\n\
         - Other load % = the share of the machine's CPU capacity that other processes (not \
         this server, not this client) used during the window: `/proc/stat` busy time minus \
         both processes' CPU time (the server's read from `/proc/PID/stat`). On a shared \
         machine it says how far to trust a cell.\n\
         - In the 2w shared placement the client and the server compete for the same two \
         vCPUs; compare servers with each other there, not with the pinned figures.\n\
         - The blitz-io server also prints its I/O driver's counters at exit \
         (`io_driver_turns`, `io_uring_enters`, `io_uring_submit_enters`): divided by the \
         requests, they show how many `io_uring_enter` calls a request cost; then its \
         scheduler's (`polls`, `parks`, `sleeps`, `steals`, `remote_schedules`, `io_ready`). \
         The Tokio server prints its workers' `parks` (Tokio's stable `worker_park_count`).\n\
         - Targets (issue 8): mio >= 1.0x Tokio's throughput and <= 1.0x its CPU per request; \
         io_uring <= mio's CPU per request at 64+ connections (stretch: <= 0.7x Tokio's). \
         Published io_uring echo gains come from thread-per-core servers on 4-16 cores with \
         the client on other cores or another machine, where batching many completions per \
         `io_uring_enter` amortises the syscall; on this 2-vCPU VM over loopback, with the \
         client on the other vCPU and other engineers' builds running, expect a smaller gap \
         and read these figures as indicative only.\n\n",
    );
    crate::report::results::push_table(&mut out, "echo.md", "run `benches/run-echo.sh --write`");
    out.push_str(
        "### What io_uring can save here\n\n\
         `cargo run --release -p blitz-io-benches --bin ring_cost -- --write` (Linux, ~30 s, no \
         runtime): one thread, loopback TCP pairs, 64-byte messages; each 64-byte `recv` or \
         `send` made with its own syscall, or as one ring entry per socket with one \
         `io_uring_enter` per batch. On loopback most of either figure is the kernel's TCP \
         work, which io_uring does not remove: the saving is the syscall entry and exit, and \
         only once a batch shares an enter (alone, an entry costs more than the syscall). An \
         echo request is one receive and one send, so even a server that batched every \
         operation would save about the batched rows' share of its CPU per request: the \
         stretch target (0.7x Tokio's) is out of reach on this machine for any io_uring \
         design.\n\n",
    );
    crate::report::results::push_table(&mut out, "ring_cost.md", "run `ring_cost --write`");
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn section_has_a_title_and_ends_with_a_blank_line() {
        let text = super::markdown();
        assert!(text.starts_with("## Echo"));
        assert!(text.ends_with("\n\n"));
    }
}
