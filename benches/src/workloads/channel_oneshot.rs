//! Oneshot workloads, written once over `channel_api` for blitz-io's `channel::oneshot` and
//! `tokio::sync::oneshot`.
//!
//! - `oneshot_create_send_recv` (the Zig original's case): create a channel, send, await the
//!   receiver; 10 000 times inside `block_on`.
//! - `request_reply` (Tokio's `benches/sync_mpsc_oneshot.rs`): a server task receives
//!   `oneshot::Sender`s over an mpsc channel of capacity 10 and answers each; the `block_on`
//!   future makes 1 000 requests, awaiting each reply. On a multi-thread runtime every hop
//!   crosses threads, so park/unpark cost dominates (see the parks/op column).

pub(crate) const ONESHOTS: usize = 10_000;
pub(crate) const REQUESTS: usize = 1_000;

macro_rules! workloads {
    ($side:literal, $Runtime:ty) => {
        pub(crate) fn create_send_recv(rt: &$Runtime) {
            let sum = rt.block_on(async {
                let mut sum = 0usize;
                for i in 0..ONESHOTS {
                    let (tx, rx) = c::oneshot::<usize>();
                    c::osend(tx, i);
                    sum += c::orecv(rx).await.expect("sent above");
                }
                sum
            });
            assert_eq!(sum, ONESHOTS * (ONESHOTS - 1) / 2, "{}: oneshot", $side);
        }

        pub(crate) fn request_reply(rt: &$Runtime) {
            let replies = rt.block_on(async {
                let (req_tx, mut req_rx) = c::bounded::<c::OTx<()>>(10);
                let server = c::spawn(async move {
                    while let Some(reply) = c::recv(&mut req_rx).await {
                        c::osend(reply, ());
                    }
                });
                let mut replies = 0;
                for _ in 0..REQUESTS {
                    let (tx, rx) = c::oneshot();
                    c::send(&req_tx, tx).await;
                    if c::orecv(rx).await.is_some() {
                        replies += 1;
                    }
                }
                drop(req_tx);
                server.await.unwrap();
                replies
            });
            assert_eq!(replies, REQUESTS, "{}: request_reply", $side);
        }
    };
}

pub(crate) mod blitz {
    use super::super::channel_api::blitz as c;
    use super::*;
    workloads!("blitz-io", blitz_io::Runtime);
}

pub(crate) mod tokio {
    use super::super::channel_api::tokio as c;
    use super::*;
    workloads!("tokio", ::tokio::runtime::Runtime);
}
