//! The zero-allocation promise of blitz-io's sync primitives, pinned: constructing a `Mutex`,
//! `RwLock` or `Semaphore` and waiting for one under contention allocate nothing. (Tokio's
//! figures are measured alongside and printed for the record, not asserted.)

use blitz_io_benches::alloc::CountingAlloc;
use blitz_io_benches::sync_allocs;

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

#[test]
fn construction_and_contended_waits_allocate_nothing() {
    let rows = sync_allocs::measure();
    print!("{}", sync_allocs::markdown(&rows));
    for row in &rows {
        let (construction, waits) = row.blitz;
        assert_eq!(
            construction.allocs, 0,
            "{}: construction allocated",
            row.what
        );
        assert_eq!(waits.allocs, 0, "{}: contended waits allocated", row.what);
    }
}
