//! Channels: message passing between tasks and threads.
//!
//! Each flavour is its own module with its own `Sender`, `Receiver`, error types and
//! constructor. Every channel has two tiers: `try_send`/`try_recv` return at once with a typed
//! error, `send()`/`recv()` are named futures that wait, and `blocking_send`/`blocking_recv`
//! serve plain threads. `recv()` returns `Result<T, RecvError>` as std, crossbeam and
//! async-channel do (tokio's mpsc returns `Option<T>`).
//!
//! - [`mpmc`]: cloneable senders and receivers, bounded (a lock-free ring) or unbounded;
//!   [`Sender::reserve`](mpmc::Sender::reserve) holds room for a send that cannot fail, and a
//!   [`Selector`](mpmc::Selector) receives from many receivers of one type at once.
//! - [`oneshot`]: a single value from one sender to one receiver, one allocation per channel.
//! - [`broadcast`]: every receiver sees every value (`T: Clone`); a lagging receiver learns
//!   exactly how many it missed.
//! - [`watch`]: one value, overwritten by senders; receivers borrow it and wait for changes.
//!
//! Waiting futures embed their own waiter node (no allocation per wait) and take part in the
//! cooperative budget; they work under any executor.

pub mod broadcast;
pub mod mpmc;
pub mod oneshot;
pub mod watch;
