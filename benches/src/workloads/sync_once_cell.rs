//! `oncecell_get` and `oncecell_set`, the Zig blitz-io harness's sync fast-path cases
//! (`bench/rust_bench/src/main.rs`: `bench_oncecell_get`, `bench_oncecell_set`) at its
//! parameters: 1 000 000 operations on one thread, no runtime involved (`rt` is unused).
//!
//! - get: one cell, set once per iteration, then `get()` 1 000 000 times through `black_box`.
//! - set: 1 000 000 times, a new empty cell and one `set(i)` (construction + set + drop per op).
//!
//! Check: every `get` returned the value; every `set` succeeded; the values add up.

use std::hint::black_box;

/// Operations per iteration (the harness's `SYNC_OPS`).
pub(crate) const OPS: usize = 1_000_000;

macro_rules! workload {
    ($get:ident, $set:ident, $Runtime:ty, $OnceCell:ident, $side:literal) => {
        pub(crate) fn $get(_rt: &$Runtime) {
            let cell = $OnceCell::new();
            cell.set(42u64).unwrap();
            let mut sum = 0u64;
            for _ in 0..OPS {
                sum += *black_box(cell.get()).unwrap_or(&0);
            }
            assert_eq!(
                sum,
                42 * OPS as u64,
                "{}: oncecell_get: a get missed",
                $side
            );
        }

        pub(crate) fn $set(_rt: &$Runtime) {
            let mut sum = 0u64;
            for i in 0..OPS as u64 {
                let cell = $OnceCell::new();
                if black_box(&cell).set(i).is_ok() {
                    sum += *cell.get().unwrap();
                }
            }
            let expected = (OPS as u64 - 1) * OPS as u64 / 2;
            assert_eq!(sum, expected, "{}: oncecell_set: a set failed", $side);
        }
    };
}

mod blitz {
    use super::*;
    use blitz_io::sync::OnceCell;
    workload!(get, set, blitz_io::Runtime, OnceCell, "blitz-io");
}

mod tokio_side {
    use super::*;
    use tokio::sync::OnceCell;
    workload!(get, set, tokio::runtime::Runtime, OnceCell, "tokio");
}

pub(crate) use blitz::{get as get_blitz, set as set_blitz};
pub(crate) use tokio_side::{get as get_tokio, set as set_tokio};
