//! Channels: each flavour is a module with its own `Sender`, `Receiver`, errors and
//! constructor.
//!
//! - [`broadcast`]: every receiver sees every value (`T: Clone`), lagging receivers learn
//!   how many they missed.
//! - [`watch`]: one value, overwritten by senders; receivers borrow it and wait for changes.
//!
//! Waiting futures embed their waiter nodes (no allocation per wait) and take part in the
//! cooperative budget. `recv`-style futures return `Result<T, RecvError>` on every flavour, as
//! std, crossbeam and async-channel do (Tokio's `mpsc` returns `Option<T>` instead).

pub mod broadcast;
pub mod watch;
