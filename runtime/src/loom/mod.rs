//! The concurrency vocabulary of the crate, swapped for [loom]'s under `--cfg blitz_loom`.
//!
//! Every module that holds shared state takes its atomics, locks, `UnsafeCell` and threads from
//! here, never from `std` directly, so the loom models exercise the same code that ships. The
//! std side wraps `Mutex` to ignore poisoning (a panicking task never poisons runtime state: the
//! runtime catches panics before they cross a lock) and gives `UnsafeCell` loom's closure API.
//!
//! [loom]: https://docs.rs/loom

#[cfg(not(blitz_loom))]
mod std_impl;
#[cfg(not(blitz_loom))]
pub(crate) use std_impl::*;

#[cfg(blitz_loom)]
mod loom_impl;
#[cfg(blitz_loom)]
pub(crate) use loom_impl::*;
