//! A derived state machine doing real I/O: an echo server whose per-connection task is the
//! `Copy` machine (socket into itself), and a client that checks every byte.
//!
//! Run it with `cargo run --release -p blitz-io-examples --example tcp_copy`.
//!
//! What `#[derive(StateMachine)]` writes for `Copy<R, W>` (in `shared/copy_machine.rs`; paths
//! shortened, `where R: AsyncRead + Unpin, W: AsyncWrite + Unpin` on every impl):
//!
//! ```text
//! #[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
//! #[repr(u8)]
//! enum CopyStep { Read, Write, Close }
//!
//! impl<R, W> StateMachine for Copy<R, W> {
//!     type Output = io::Result<u64>;
//!     type Tag = CopyStep;
//!     const STEP_NAMES: &'static [&'static str] = &["read", "write", "close"];
//!     fn tag_index(tag: CopyStep) -> usize { tag as usize }
//! }
//!
//! impl<R, W> TaggedSteps for Copy<R, W> {
//!     fn start_tag(&self) -> CopyStep { CopyStep::Read }
//!     fn poll_step(self: Pin<&mut Self>, tag: CopyStep, cx: &mut Context<'_>) -> Transition<Self> {
//!         match tag {
//!             CopyStep::Read => Self::read(self, cx),
//!             CopyStep::Write => Self::write(self, cx),
//!             CopyStep::Close => Self::close(self, cx),
//!         }
//!     }
//! }
//!
//! impl<R, W> IntoFuture for Copy<R, W> {
//!     type Output = io::Result<u64>;
//!     type IntoFuture = Machine<Self>;
//!     fn into_future(self) -> Machine<Self> { Machine::new(self) }
//! }
//!
//! // Plus `fn project(self: Pin<&mut Self>) -> __CopyProjection<'_, R, W>` with `&mut` to each
//! // field (none is `#[pin]`), and `impl Unpin for Copy<R, W>` since no field is pinned.
//! ```
//!
//! Awaiting it polls `Machine<Copy<..>>`: a one-byte tag beside the struct, a `match` per poll,
//! no allocation and no `dyn`. A read that is not ready returns `Pending` and the next poll
//! resumes at `read`; a write that fills the socket resumes at `write` with its offsets intact.

#[path = "shared/copy_machine.rs"]
mod copy_machine;

use blitz_io::io::{AsyncReadExt, AsyncWriteExt};
use blitz_io::machine::StateMachine;
use blitz_io::net::{TcpListener, TcpStream};
use copy_machine::{Copy, CopyStep};

fn main() {
    let echoed = blitz_io::run(async {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let server = blitz_io::spawn(async move {
            let (socket, _) = listener.accept().await?;
            // Reader and writer are the same socket, shared by reference.
            let machine = Copy::new(&socket, &socket, 4096);
            machine.await
        });
        let client = TcpStream::connect(addr).await?;
        let message: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        let (mut read_half, mut write_half) = client.into_split();
        let to_send = message.clone();
        let sender = blitz_io::spawn(async move {
            write_half.write_all(&to_send).await?;
            // Half-close: the machine reads end of stream, closes its side, finishes.
            write_half.close().await
        });
        let mut echoed = Vec::new();
        read_half.read_to_end(&mut echoed).await?;
        sender.await.expect("the sender does not panic")?;
        let copied = server.await.expect("the server task does not panic")?;
        assert_eq!(copied, message.len() as u64);
        assert!(echoed == message, "the echo differs from what was sent");
        std::io::Result::Ok(copied)
    });
    let copied = echoed.expect("the echo completes");
    let first_step = <Copy<&TcpStream, &TcpStream> as StateMachine>::step_name(CopyStep::Read);
    assert_eq!(first_step, "read");
    println!("the Copy machine echoed {copied} bytes intact");
}
